#pragma once
// `outreachd run`: the daemon. Takes the single-instance lock, opens the database, turns rows left
// `sending` by a previous crash into unknown/in_doubt, then runs one event loop with an account
// worker per configured account, the watch directory, the control socket, signals and sd_notify.
#include <string>

#include "config/config.hpp"

namespace outreach {

struct RuntimeOptions {
  std::string config_path;
  /// Bound on the graceful stop: in-flight requests get this long to finish and be recorded
  /// (default: the HTTP request timeout plus 5 s).
  std::optional<Duration> stop_grace;
};

/// Runs until SIGTERM/SIGINT. Returns the process exit code; start-up problems print one sentence
/// to stderr and return 1.
int run_daemon(Config config, RuntimeOptions const& options);

}  // namespace outreach
