#include "daemon/cli/cmd_reload.hpp"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "config/config.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/runtime/control_socket.hpp"

namespace outreach::cli {
namespace {

// Loading a config is quick; secrets from files and credentials too. Generous, since a daemon
// busy with a big import answers only after it.
constexpr std::chrono::milliseconds kAnswerTimeout{30'000};

/// README.md#command-line: 2 when no daemon runs (the code usage errors also use).
constexpr int kExitNoDaemon = 2;

}  // namespace

CommandSpec const& reload_spec() {
  static CommandSpec const spec{
      .name = "reload",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Ask the running daemon to re-read its config; report whether it took it.",
      .details =
          "The daemon re-reads the config file it was started with (--config here only finds its\n"
          "state directory) and keeps its state: queue, caps, provider waits. A config with problems\n"
          "is refused and listed; the daemon keeps the previous one. Exit 0: the new config is in\n"
          "force; 1: refused (or no answer); 2: no daemon is running.\n"
          "Credentials loaded by systemd (LoadCredential=) are copied only when the service starts:\n"
          "after changing one, use `systemctl restart outreachd`.",
      .options = {kConfigOption},
  };
  return spec;
}

int cmd_reload(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(reload_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  const std::string path = config_path_from(*parsed.args);
  // Only state_dir is needed, and a config the daemon will refuse must still lead to the daemon
  // (which names its problems), so its other errors do not stop us here.
  ConfigLoad load = load_config_file(path, SecretEnvironment::without_secrets());
  if (load.state_dir.empty()) {
    for (auto const& e : load.errors) std::fprintf(stderr, "outreachd reload: %s\n", e.c_str());
    std::fprintf(stderr, "outreachd reload: cannot tell the state directory from %s\n", path.c_str());
    return kExitInvalid;
  }
  DaemonAnswer answer = ask_daemon(load.state_dir, "reload", kAnswerTimeout);
  switch (answer.status) {
    case DaemonAnswer::Status::no_daemon:
      std::fprintf(stderr, "outreachd reload: %s\n", answer.text.c_str());
      return kExitNoDaemon;
    case DaemonAnswer::Status::no_answer:
      std::fprintf(stderr, "outreachd reload: %s\n", answer.text.c_str());
      return kExitInvalid;
    case DaemonAnswer::Status::answered:
      break;
  }
  std::istringstream lines(answer.text);
  std::string verdict;
  std::getline(lines, verdict);
  const bool applied = verdict == "ok";
  for (std::string line; std::getline(lines, line);) {
    if (applied) std::printf("%s\n", line.c_str());
    else std::fprintf(stderr, "outreachd reload: %s\n", line.c_str());
  }
  if (!applied && verdict != "refused")
    std::fprintf(stderr, "outreachd reload: unexpected answer from the daemon: %s\n", verdict.c_str());
  return applied ? kExitOk : kExitInvalid;
}

}  // namespace outreach::cli
