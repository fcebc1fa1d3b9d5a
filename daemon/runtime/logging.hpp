#pragma once
// Logging: spdlog to stderr (journald under systemd), one line per send attempt.
// Secrets are redacted by type: core's Secret has a fmt formatter that prints "[redacted]", so no
// log call can print a token even by mistake.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "core/secret.hpp"
#include "core/result.hpp"

namespace outreach {

/// Installs the process-wide logger. level: trace|debug|info|warn|error.
Result<void> init_logging(std::string_view level);

/// Changes the level at run time (SIGHUP reload).
Result<void> set_log_level(std::string_view level);

/// `text` with every control character (C0, DEL, C1) spelled out as an escape (\n, \t, \r, \xHH,
/// \u0085). Every log line passes through it: file names, usernames and provider texts come from
/// outside, and one holding a newline could otherwise forge a whole line ("send … outcome=sent").
std::string escape_for_log(std::string_view text);

}  // namespace outreach

template <>
struct fmt::formatter<outreach::Secret> : fmt::formatter<std::string_view> {
  auto format(outreach::Secret const&, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(outreach::Secret::redacted(), ctx);
  }
};
