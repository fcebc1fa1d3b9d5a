#pragma once
// What the daemon keeps of an account's inbox, and what a read changes (docs/send-rules.md#the-inbox):
// the messages it has read (ids, times, directions, the other user: never the text of anyone but
// recipients who replied), the replies and opt-outs among them, and the verdicts on sends whose
// delivery is in doubt. Each read is applied in one transaction, so a kill leaves it all or none.
//
// The rules themselves are core's: reconcile() (core/reconcile.hpp), attribute_reply()
// (core/reply_attribution.hpp) and is_opt_out() (core/opt_out.hpp). This file stores their inputs
// and their answers.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/providers/inbox.hpp"
#include "core/reconcile.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

/// What the inbox sync of one account needs to know to schedule its next read (core/inbox_walk.hpp).
struct InboxAccountFacts {
  bool has_unfinished_campaign = false;    ///< a campaign of the account is not done or cancelled
  std::optional<TimePoint> last_send_at;   ///< the latest send known (the ledger, or a sent message read)
  std::optional<TimePoint> oldest_check_at;  ///< the oldest open in-doubt check's attempt time
  /// The earliest time an open check becomes decidable (attempt + reconcile_after) that no read
  /// since `last_complete_read` has passed: a read is due then.
  std::optional<TimePoint> next_check_decidable_at;
  /// A campaign of the account waits for a read before its first claim here: when it is (or
  /// becomes) active, at least `now`.
  std::optional<TimePoint> read_needed_at;
};
Result<InboxAccountFacts> inbox_account_facts(Database& db, std::string_view account, TimePoint now,
                                              std::optional<TimePoint> last_complete_read, Duration reconcile_after);

/// True when any of `messages` was read before (a read stops at such a page).
Result<bool> any_message_seen(Database& db, std::string_view account, std::span<InboxMessage const> messages);

/// One completed walk of an account's inbox.
struct InboxWalk {
  std::string own_user_id;             ///< the account's own id (decides each message's direction)
  std::vector<InboxMessage> messages;  ///< every message read, newest first
  InboxCoverage coverage;              ///< what the walk covered (core/reconcile.hpp)
};

struct InboxRules {
  ReconcileLimits limits;
  bool requeue_unconfirmed = false;
  std::vector<std::string> opt_out_keywords;
};

/// What applying a walk did.
struct InboxApplied {
  std::int64_t new_messages = 0;
  std::int64_t replies = 0;          ///< new reply messages from recipients
  std::int64_t opt_outs = 0;         ///< users newly suppressed by their reply
  std::int64_t rows_suppressed = 0;  ///< queued rows skipped at once by those opt-outs
  std::int64_t confirmed = 0;        ///< in-doubt sends found: now sent/reconciled
  std::int64_t absent = 0;           ///< proven never delivered
  std::int64_t requeued = 0;         ///< of `absent`, back to retrying (requeue_unconfirmed)
  std::int64_t beyond_history = 0;   ///< too old to be checked: stay unknown
  std::int64_t retries_released = 0; ///< retries after a server error that may now go out
  std::int64_t abandoned_checks = 0; ///< checks no read will settle: held retries became unknown
  std::int64_t open_checks = 0;      ///< checks a later read must decide
  std::int64_t campaigns_released = 0;  ///< campaigns that waited for this read before their first claim
  /// Something became claimable: the account's worker (and others) should look again.
  bool wakes_workers() const { return requeued + retries_released + campaigns_released > 0; }
};

/// Stores the walk's messages, records replies and opt-outs among the new ones, settles the open
/// checks the walk can decide, releases the campaigns that waited for a read, and stamps the
/// account's inbox_synced_at — in one transaction (its durability: see storage/inbox.cpp).
Result<InboxApplied> apply_inbox_walk(Database& db, std::string_view account, InboxWalk const& walk,
                                      InboxRules const& rules, TimePoint now);

/// A read was tried and failed, or was rate limited: the campaigns that waited for it go ahead
/// anyway (a read never holds sends back for longer than one request). Returns how many.
Result<std::int64_t> release_campaigns_waiting_for_read(Database& db, std::string_view account, TimePoint now);

/// The provider refuses to let this account read its DMs: `reason` shows as its last_error (while
/// it has none of its own) until a read succeeds again. No read will settle its checks: its held
/// retries become unknown/in_doubt (the DM may have gone out: never a blind second copy), its
/// unknown rows stay so, and its campaigns no longer wait for a read. Sending goes on.
Result<InboxApplied> turn_inbox_off(Database& db, std::string_view account, std::string_view reason, TimePoint now);

/// The checks of accounts whose inbox is not read any more (removed from the config, moved to a
/// provider without an inbox) are given up as turn_inbox_off() does, and their campaigns no longer
/// wait for a read: at start-up and after a reload, `reading` being the accounts whose inbox sync
/// runs. Returns how many checks were given up.
Result<std::int64_t> abandon_unread_inbox_checks(Database& db, std::span<const std::string> reading, TimePoint now);

/// `outreachd forget USER...`: deletes the replies (and their text) of each user, given as a user
/// id or a username (with or without '@', any case). Returns how many replies were deleted.
Result<std::int64_t> forget_users(Database& db, std::span<const std::string> users);

}  // namespace outreach
