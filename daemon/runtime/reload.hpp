#pragma once
// Reading the config again for a reload (SIGHUP or `outreachd reload`): what is refused, what is
// only warned about, and what the caller is told.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/secret_source.hpp"

namespace outreach {

/// What a reload did, for `outreachd reload` (over the control socket) and the log.
struct ReloadOutcome {
  bool applied = false;
  std::vector<std::string> lines;  ///< the problems when refused; warnings and notes otherwise
  /// "ok" or "refused", then one line each: what the control socket answers.
  std::string answer() const;
};

struct ReloadPlan {
  ReloadOutcome outcome;
  std::optional<Config> config;  ///< the config to apply; nullopt when refused
};

/// Loads `path` (logging each problem and warning). state_dir and watch_dir keep their current
/// values: the daemon holds locks and watches on them, so a change waits for a restart.
ReloadPlan read_reload(std::string const& path, Config const& current, SecretEnvironment const& secrets);

}  // namespace outreach
