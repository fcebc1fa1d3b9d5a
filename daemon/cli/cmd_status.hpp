#pragma once
// `outreachd status [--config FILE | --db FILE] [--json] [--watch]`: the campaign and account
// tables, read from the same status views (README.md#the-schema-stable-interface) an operator can
// query with sqlite3. Works whether the daemon runs or not (WAL lets readers in while it writes).
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& status_spec();
int cmd_status(std::vector<std::string> const& args);

}  // namespace outreach::cli
