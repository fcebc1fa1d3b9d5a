#pragma once
// Logging: spdlog to stderr (journald under systemd), one line per send attempt.
// Secrets are redacted by type: core's Secret has a fmt formatter that prints "[redacted]", so no
// log call can print a token even by mistake.
#include <fmt/format.h>

#include <string_view>

#include "core/secret.hpp"
#include "core/result.hpp"

namespace outreach {

/// Installs the process-wide logger. level: trace|debug|info|warn|error.
Result<void> init_logging(std::string_view level);

/// Changes the level at run time (SIGHUP reload).
Result<void> set_log_level(std::string_view level);

}  // namespace outreach

template <>
struct fmt::formatter<outreach::Secret> : fmt::formatter<std::string_view> {
  auto format(outreach::Secret const&, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(outreach::Secret::redacted(), ctx);
  }
};
