#pragma once
// `outreachd check-config [--config FILE]` (README.md#command-line): parses the config, resolves
// every secret and reports all problems, one per line on stderr; exit 0 when the config is usable,
// 1 otherwise.
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& check_config_spec();

/// `args` are the words after "check-config".
int cmd_check_config(std::vector<std::string> const& args);

}  // namespace outreach::cli
