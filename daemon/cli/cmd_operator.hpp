#pragma once
// The operator's changes (README.md#command-line, docs/send-rules.md): retry, pause, resume,
// cancel, suppress. Each is one durable transaction in the database, then a datagram wakes the
// running daemon so it acts within a second; without a running daemon the change simply waits in
// the database. And forget, which deletes stored replies: one durable transaction too, but
// nothing the daemon needs to hear about.
#include <string>
#include <vector>

#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& retry_spec();
CommandSpec const& pause_spec();
CommandSpec const& resume_spec();
CommandSpec const& cancel_spec();
CommandSpec const& suppress_spec();
CommandSpec const& forget_spec();

int cmd_retry(std::vector<std::string> const& args);
int cmd_pause(std::vector<std::string> const& args);
int cmd_resume(std::vector<std::string> const& args);
int cmd_cancel(std::vector<std::string> const& args);
int cmd_suppress(std::vector<std::string> const& args);
int cmd_forget(std::vector<std::string> const& args);

}  // namespace outreach::cli
