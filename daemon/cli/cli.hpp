#pragma once
// The command line (README.md#command-line): one binary, one sub-command per operator action.
// Exit codes: 0 success, 1 invalid input or failed check, 2 usage error.
//
// Adding a command: write daemon/cmd_<name>.{hpp,cpp} exposing
// `int cmd_<name>(std::vector<std::string> const& args)` (the words after the command name; parse
// them with parse_command_line() from daemon/cli/cli_args.hpp) and add one row to kCommands in cli.cpp.

namespace outreach::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

int run(int argc, char** argv);

}  // namespace outreach::cli
