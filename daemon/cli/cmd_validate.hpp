#pragma once
// `outreachd validate FILE [--config FILE]`: checks a campaign file against the config's accounts
// without importing it; exit 0 valid, 1 invalid with every problem listed.
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& validate_spec();
int cmd_validate(std::vector<std::string> const& args);

}  // namespace outreach::cli
