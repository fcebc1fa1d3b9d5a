#pragma once
// `outreachd reload [--config FILE]`: asks the running daemon to re-read its config over the control
// socket and reports what it said: exit 0 when the new config is in force, 1 with the problems when
// the daemon refused it (it keeps the previous one), 2 when no daemon runs. The unit's ExecReload=,
// so `systemctl reload` fails visibly on a broken config instead of only logging it.
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& reload_spec();

/// `args` are the words after "reload".
int cmd_reload(std::vector<std::string> const& args);

}  // namespace outreach::cli
