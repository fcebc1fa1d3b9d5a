#pragma once
// `outreachd run [--config FILE]`: the daemon in the foreground (systemd runs this).
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& run_spec();
int cmd_run(std::vector<std::string> const& args);

}  // namespace outreach::cli
