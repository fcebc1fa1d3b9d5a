#include "daemon/cli/cmd_operator.hpp"

#include <chrono>
#include <cstdio>

#include "daemon/cli/cli.hpp"
#include "daemon/cli/cli_db.hpp"
#include "daemon/runtime/control_socket.hpp"
#include "storage/inbox.hpp"
#include "storage/operator.hpp"

namespace outreach::cli {
namespace {

TimePoint wall_now() { return std::chrono::floor<Duration>(std::chrono::system_clock::now()); }

CommandSpec campaign_command(std::string_view name, std::string_view summary, std::string_view details,
                             std::vector<OptionSpec> extra = {}) {
  std::vector<OptionSpec> options{kConfigOption, kDbOption};
  options.insert(options.end(), extra.begin(), extra.end());
  return CommandSpec{.name = name,
                     .positionals = "CAMPAIGN",
                     .min_positionals = 1,
                     .max_positionals = 1,
                     .summary = summary,
                     .details = details,
                     .options = std::move(options)};
}

int fail(std::string_view command, std::string const& message) {
  std::fprintf(stderr, "outreachd %.*s: %s\n", static_cast<int>(command.size()), command.data(), message.c_str());
  return kExitInvalid;
}

/// Tells the user whether the daemon heard about it: both are fine, but they behave differently.
void wake(OpenedDatabase const& opened) {
  if (notify_daemon(opened.state_dir, "wake")) std::puts("the running daemon was notified");
  else std::puts("no daemon is running on this state directory; the change applies when it starts");
}

template <class Op>
int campaign_op(CommandSpec const& spec, std::vector<std::string> const& args, Op op) {
  auto parsed = parse_command_line(spec, args);
  if (!parsed.args) return parsed.exit_code;
  auto opened = open_database_for(spec.name, *parsed.args);
  if (!opened) return kExitInvalid;
  auto message = op(opened->db, parsed.args->positionals.front(), *parsed.args);
  if (!message) return fail(spec.name, message.error().message);
  std::puts(message->c_str());
  wake(*opened);
  return kExitOk;
}

}  // namespace

CommandSpec const& retry_spec() {
  static CommandSpec const spec = campaign_command(
      "retry", "Requeue a campaign's failed recipients (and unknown ones with --include-unknown).",
      "Attempts restart at 0. Unknown recipients may already have received their DM (the outcome\n"
      "of their send is in doubt): requeue them only if a duplicate is acceptable.",
      {OptionSpec{"include-unknown", "", "also requeue recipients whose outcome is unknown"}});
  return spec;
}
CommandSpec const& pause_spec() {
  static CommandSpec const spec =
      campaign_command("pause", "Stop sending from a campaign until it is resumed.",
                       "A send already in flight finishes and is recorded.");
  return spec;
}
CommandSpec const& resume_spec() {
  static CommandSpec const spec = campaign_command("resume", "Resume a paused campaign.", {});
  return spec;
}
CommandSpec const& cancel_spec() {
  static CommandSpec const spec =
      campaign_command("cancel", "Cancel a campaign for good.",
                       "Remaining pending and retrying recipients become skipped/cancelled. A send already\n"
                       "in flight finishes and is recorded.");
  return spec;
}
CommandSpec const& suppress_spec() {
  static CommandSpec const spec{
      .name = "suppress",
      .positionals = "USER...",
      .min_positionals = 1,
      .max_positionals = kUnlimited,
      .summary = "Add usernames or user ids to the global do-not-contact list.",
      .details = "Queued recipients on the list are skipped/suppressed when their turn comes; future\n"
                 "imports mark them at once. Usernames may be written with or without @.",
      .options = {kConfigOption, kDbOption},
  };
  return spec;
}

CommandSpec const& forget_spec() {
  static CommandSpec const spec{
      .name = "forget",
      .positionals = "USER...",
      .min_positionals = 1,
      .max_positionals = kUnlimited,
      .summary = "Delete the stored replies (and their text) of users.",
      .details = "Each USER is a user id or a username (with or without @, any case). Only the replies\n"
                 "view's rows go: recipient_status keeps replied_at and campaign_status its replied count\n"
                 "(the fact of a reply stays; its text does not). Works whether the daemon runs or not.",
      .options = {kConfigOption, kDbOption},
  };
  return spec;
}

int cmd_retry(std::vector<std::string> const& args) {
  return campaign_op(retry_spec(), args, [](Database& db, std::string const& campaign, ParsedArgs const& a)
                                             -> Result<std::string> {
    auto n = retry_campaign(db, campaign, a.flag("include-unknown"), wall_now());
    if (!n) return n.error();
    return "campaign " + campaign + ": " + std::to_string(*n) + " recipients requeued";
  });
}

int cmd_pause(std::vector<std::string> const& args) {
  return campaign_op(pause_spec(), args, [](Database& db, std::string const& campaign, ParsedArgs const&)
                                             -> Result<std::string> {
    if (auto r = pause_campaign(db, campaign); !r) return r.error();
    return "campaign " + campaign + " paused";
  });
}

int cmd_resume(std::vector<std::string> const& args) {
  return campaign_op(resume_spec(), args, [](Database& db, std::string const& campaign, ParsedArgs const&)
                                              -> Result<std::string> {
    if (auto r = resume_campaign(db, campaign, /*read_inbox_first=*/true); !r) return r.error();
    return "campaign " + campaign + " resumed";
  });
}

int cmd_cancel(std::vector<std::string> const& args) {
  return campaign_op(cancel_spec(), args, [](Database& db, std::string const& campaign, ParsedArgs const&)
                                              -> Result<std::string> {
    auto n = cancel_campaign(db, campaign, wall_now());
    if (!n) return n.error();
    return "campaign " + campaign + " cancelled; " + std::to_string(*n) + " recipients skipped";
  });
}

int cmd_suppress(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(suppress_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  auto opened = open_database_for("suppress", *parsed.args);
  if (!opened) return kExitInvalid;
  auto added = suppress(opened->db, parsed.args->positionals, wall_now());
  if (!added) return fail("suppress", added.error().message);
  std::printf("%lld added to the do-not-contact list (%zu given)\n", static_cast<long long>(*added),
              parsed.args->positionals.size());
  wake(*opened);
  return kExitOk;
}

int cmd_forget(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(forget_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  auto opened = open_database_for("forget", *parsed.args);
  if (!opened) return kExitInvalid;
  auto deleted = forget_users(opened->db, parsed.args->positionals);
  if (!deleted) return fail("forget", deleted.error().message);
  std::printf("%lld replies forgotten\n", static_cast<long long>(*deleted));
  return kExitOk;
}

}  // namespace outreach::cli
