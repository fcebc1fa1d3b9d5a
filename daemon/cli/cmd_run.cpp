#include "daemon/cli/cmd_run.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "daemon/cli/cli.hpp"
#include "daemon/cli/cli_db.hpp"
#include "daemon/runtime/logging.hpp"
#include "daemon/runtime/runtime.hpp"

namespace outreach::cli {

CommandSpec const& run_spec() {
  static CommandSpec const spec{
      .name = "run",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Run the daemon in the foreground (systemd runs this).",
      .details = "Takes a lock on state_dir (a second `outreachd run` on it exits with an error), turns\n"
                 "recipients left `sending` by a crash into unknown/in_doubt, imports campaign files from\n"
                 "watch_dir and sends. SIGTERM/SIGINT stop gracefully; SIGHUP reloads the config.",
      .options = {kConfigOption},
  };
  return spec;
}

int cmd_run(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(run_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  const std::string path = config_path_from(*parsed.args);
  ConfigLoad load = load_config_file(path, SecretEnvironment::from_process());
  if (!load.config) {
    for (auto const& e : load.errors) std::fprintf(stderr, "outreachd run: %s\n", e.c_str());
    return kExitInvalid;
  }
  if (auto r = init_logging(to_string(load.config->log_level)); !r) {
    std::fprintf(stderr, "outreachd run: %s\n", r.error().message.c_str());
    return kExitInvalid;
  }
  for (auto const& w : load.warnings) spdlog::warn("{}", w);
  RuntimeOptions options;
  options.config_path = path;
  return run_daemon(std::move(*load.config), options);
}

}  // namespace outreach::cli
