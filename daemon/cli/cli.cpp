#include "daemon/cli/cli.hpp"

#include <array>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cli/cli_args.hpp"
#include "daemon/cli/cmd_check_config.hpp"
#include "daemon/cli/cmd_operator.hpp"
#include "daemon/cli/cmd_reload.hpp"
#include "daemon/cli/cmd_run.hpp"
#include "daemon/cli/cmd_simulate.hpp"
#include "daemon/cli/cmd_status.hpp"
#include "daemon/cli/cmd_validate.hpp"

namespace outreach::cli {
namespace {

using CommandFn = int (*)(std::vector<std::string> const& args);

struct Command {
  std::string_view name;
  std::string_view summary;  ///< one line for `outreachd help`
  CommandFn run;
};

int cmd_help(std::vector<std::string> const& args);
int cmd_version(std::vector<std::string> const& args);

// The dispatch table, in the order `outreachd help` lists it. One row per command.
constexpr std::array kCommands{
    Command{"run", "run the daemon in the foreground (systemd runs this)", cmd_run},
    Command{"status", "show campaign progress and account states", cmd_status},
    Command{"validate", "check a campaign file without importing it", cmd_validate},
    Command{"retry", "requeue a campaign's failed (and --include-unknown) recipients", cmd_retry},
    Command{"pause", "stop sending from a campaign until resumed", cmd_pause},
    Command{"resume", "resume a paused campaign", cmd_resume},
    Command{"cancel", "cancel a campaign; its queued recipients are skipped", cmd_cancel},
    Command{"suppress", "add users to the do-not-contact list", cmd_suppress},
    Command{"forget", "delete the stored replies (and their text) of users", cmd_forget},
    Command{"reload", "ask the running daemon to re-read its config, and report the outcome", cmd_reload},
    Command{"check-config", "parse the config, resolve secrets, report problems", cmd_check_config},
    Command{"simulate", "serve the four provider APIs locally, for demos and tests", cmd_simulate},
    Command{"help", "list the commands, or show one command's usage", cmd_help},
    Command{"version", "print the version", cmd_version},
};

Command const* find_command(std::string_view name) {
  for (Command const& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

std::string overview() {
  std::string text = "usage: outreachd <command> [arguments] [options]\n\ncommands:\n";
  std::size_t width = 0;
  for (Command const& c : kCommands) width = std::max(width, c.name.size());
  for (Command const& c : kCommands)
    text += "  " + std::string(c.name) + std::string(width - c.name.size() + 2, ' ') + std::string(c.summary) + "\n";
  text +=
      "\nEvery command accepts --help. Options may come before or after a command's arguments.\n"
      "Exit status: 0 success, 1 invalid input or failed check, 2 usage error.\n";
  return text;
}

int cmd_help(std::vector<std::string> const& args) {
  static CommandSpec const spec{
      .name = "help",
      .positionals = "[COMMAND]",
      .min_positionals = 0,
      .max_positionals = 1,
      .summary = "List the commands, or show the usage of COMMAND.",
      .details = {},
      .options = {kConfigOption},  // accepted by every command (README.md#command-line), not needed
  };
  auto parsed = parse_command_line(spec, args);
  if (!parsed.args) return parsed.exit_code;
  if (parsed.args->positionals.empty()) {
    std::fputs(overview().c_str(), stdout);
    return kExitOk;
  }
  std::string const& name = parsed.args->positionals.front();
  Command const* command = find_command(name);
  if (command == nullptr) {
    std::fprintf(stderr, "outreachd help: unknown command \"%s\"; run \"outreachd help\" for the list\n",
                 name.c_str());
    return kExitUsage;
  }
  return command->run({"--help"});
}

int cmd_version(std::vector<std::string> const& args) {
  static CommandSpec const spec{
      .name = "version",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Print the version of outreachd.",
      .details = {},
      .options = {kConfigOption},  // accepted by every command (README.md#command-line), not needed
  };
  auto parsed = parse_command_line(spec, args);
  if (!parsed.args) return parsed.exit_code;
  std::puts("outreachd 0.1.0");
  return kExitOk;
}

// Options that every command shares may also precede the command name
// (`outreachd --config F status`); they are handed to the command like its own.
bool is_leading_option(std::string_view arg, bool& takes_value) {
  for (std::string_view name : {"--config", "--db"}) {
    if (arg == name) {
      takes_value = true;
      return true;
    }
    if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
      takes_value = false;
      return true;
    }
  }
  takes_value = false;
  return arg == "--json";
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string> words;
  for (char* arg : std::span<char*>(argv, static_cast<std::size_t>(argc)).subspan(argc > 0 ? 1 : 0))
    words.emplace_back(arg);

  std::vector<std::string> leading;
  std::size_t i = 0;
  for (bool takes_value = false; i < words.size() && is_leading_option(words[i], takes_value); ++i) {
    leading.push_back(words[i]);
    if (takes_value && i + 1 < words.size()) leading.push_back(words[++i]);
  }

  if (i == words.size()) {
    if (!leading.empty()) {
      std::fputs("outreachd: missing command after the options; run \"outreachd help\" for the list\n", stderr);
      return kExitUsage;
    }
    std::fputs(overview().c_str(), stderr);
    return kExitUsage;
  }
  const std::string_view name = words[i];
  if (leading.empty() && (name == "--help" || name == "-h")) return cmd_help({});
  if (leading.empty() && name == "--version") return cmd_version({});

  Command const* command = find_command(name);
  if (command == nullptr) {
    if (name.substr(0, 1) == "-")
      std::fprintf(stderr, "outreachd: unknown option %s before the command; run \"outreachd help\" for the list\n",
                   words[i].c_str());
    else
      std::fprintf(stderr, "outreachd: unknown command \"%s\"; run \"outreachd help\" for the list\n",
                   words[i].c_str());
    return kExitUsage;
  }
  std::vector<std::string> args = leading;
  args.insert(args.end(), words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
  return command->run(args);
}

}  // namespace outreach::cli
