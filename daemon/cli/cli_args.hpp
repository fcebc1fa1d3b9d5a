#pragma once
// Argument parsing shared by every sub-command (README.md#command-line): options may come before or
// after the positional arguments, as `--name VALUE` or `--name=VALUE`; `--` ends the options;
// `--help` (or `-h`) anywhere prints the command's usage to stdout and exits 0; an unknown option,
// a missing value or a wrong number of arguments is one sentence on stderr and exit 2.
//
// A command declares a CommandSpec and calls parse_command_line():
//
//   static CommandSpec const spec{.name = "validate", .positionals = "FILE", .min_positionals = 1,
//                                 .max_positionals = 1, .summary = "...", .options = {kConfigOption}};
//   auto parsed = parse_command_line(spec, args);
//   if (!parsed.args) return parsed.exit_code;
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace outreach::cli {

struct OptionSpec {
  std::string_view name;        ///< without the dashes: "config"
  std::string_view value_name;  ///< "FILE"; empty for a flag such as --json
  std::string_view help;        ///< one line for the usage text
};

inline constexpr OptionSpec kConfigOption{
    "config", "FILE", "config file (default: $OUTREACHD_CONFIG, else /etc/outreachd/outreachd.toml)"};
inline constexpr OptionSpec kDbOption{"db", "FILE", "database file (default: state_dir/outreachd.db from the config)"};
inline constexpr OptionSpec kJsonOption{"json", "", "print JSON instead of tables"};

inline constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

struct CommandSpec {
  std::string_view name;         ///< "check-config"
  std::string_view positionals;  ///< usage text for the positionals: "FILE", "CAMPAIGN", "USER..."
  std::size_t min_positionals = 0;
  std::size_t max_positionals = 0;  ///< kUnlimited for USER...
  std::string_view summary;         ///< one line, also shown by `outreachd help`
  std::string_view details;         ///< optional paragraphs after the options in --help
  std::vector<OptionSpec> options;  ///< --help is implicit
};

class ParsedArgs {
 public:
  std::vector<std::string> positionals;
  bool help = false;

  /// True when the flag (an option without a value) was given.
  bool flag(std::string_view name) const { return flags_.find(name) != flags_.end(); }
  /// The option's value when given.
  std::optional<std::string> value(std::string_view name) const {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    return std::nullopt;
  }

  void set_flag(std::string_view name) { flags_.emplace(name); }
  void set_value(std::string_view name, std::string v) { values_.insert_or_assign(std::string(name), std::move(v)); }

 private:
  std::set<std::string, std::less<>> flags_;
  std::map<std::string, std::string, std::less<>> values_;
};

/// Pure parsing: `args` are the words after the command name. The error is one sentence without
/// the program or command prefix.
Result<ParsedArgs> parse_args(CommandSpec const& spec, std::span<std::string const> args);

/// The full --help text: usage line, summary, options, details.
std::string usage_text(CommandSpec const& spec);

struct ParseOutcome {
  std::optional<ParsedArgs> args;  ///< set when the command should run
  int exit_code = 0;               ///< otherwise: 0 after --help, 2 after a usage error
};

/// parse_args plus the shared conventions: prints the usage for --help (stdout, exit 0) or
/// "outreachd NAME: <problem>; run "outreachd NAME --help" for usage" (stderr, exit 2).
ParseOutcome parse_command_line(CommandSpec const& spec, std::vector<std::string> const& args);

/// The config file a command should use: --config when given, else default_config_path().
std::string config_path_from(ParsedArgs const& args);

}  // namespace outreach::cli
