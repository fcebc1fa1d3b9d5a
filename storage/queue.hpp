#pragma once
// The send queue (docs/send-rules.md#claim-before-send, #outcomes): claim the next due recipient for an account, durably
// marked `sending` before any network call; then record what happened in one transaction.
//
// Durability, and why it is split: a claim commits with synchronous=FULL (fsync of the WAL), since
// a claim lost to a power cut after its request went out would send that DM again after reboot.
// A record commits with synchronous=NORMAL (no fsync): if power fails before the next fsync, the
// row is found `sending` at start-up and becomes `unknown`/`in_doubt` — never a resend. The next
// claim's fsync also makes every earlier record durable, since the WAL is synced as a whole.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/claimed_recipient.hpp"
#include "core/outcome.hpp"
#include "core/recipient_outcome.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"
#include "core/recipient_state.hpp"

namespace outreach {

/// The next due recipient among the active campaigns that list `account`: higher priority first,
/// then older campaigns, then file order; a `retrying` recipient is due once its next_attempt_at
/// has come. Paused, cancelled and scheduled (start_at in the future) campaigns are skipped.
/// Recipients on the suppression list are marked skipped/suppressed on the way. nullopt: nothing due.
Result<std::optional<ClaimedRecipient>> claim_next(Database& db, std::string_view account, TimePoint now);

/// claim_next for several accounts in one durable transaction (one fsync for all of them).
/// result[i] belongs to accounts[i]; an account may appear only once.
Result<std::vector<std::optional<ClaimedRecipient>>> claim_batch(Database& db, std::span<const std::string> accounts,
                                                                 TimePoint now);

/// When the account next has something to claim: `now` if something is due, the earliest
/// next_attempt_at or start_at otherwise; nullopt when its active campaigns hold nothing queued.
/// (Paused campaigns count as nothing queued: resume wakes the daemon.)
Result<std::optional<TimePoint>> next_due_at(Database& db, std::string_view account, TimePoint now);

/// Stores the outcome, an attempts row (when a request was made or an error is to be kept) and
/// a ledger entry (when it counts toward the cap), in one transaction. Fails, changing nothing,
/// when the recipient is not `sending` for this claim's account (recorded twice, say).
/// A campaign cancelled while the recipient was being sent takes it too: an outcome that would
/// queue it again (pending, retrying) leaves it `skipped`/`cancelled` instead, as cancel does
/// with the rest; the attempts row keeps what really happened. A `sent` outcome also clears the
/// account's last_error: whatever stopped it before no longer holds.
Result<void> record_outcome(Database& db, ClaimedRecipient const& claim, Outcome const& outcome, TimePoint now);

/// The last look before a send: what may have changed since the claim (a lookup can take a while):
/// the campaign paused or cancelled, the username or an id added to the suppression list; and what
/// only the lookup could tell: whether this person already has another row that reached them.
struct GateRules {
  /// [safety] contact_cooldown: another campaign's contact within this long skips the person; 0 = off.
  Duration contact_cooldown{0};
  TimePoint now{};
};

/// One transaction that stores the id the lookup resolved (so the person's other rows see this
/// one from now on) and decides. "One person, one DM" (docs/send-rules.md#one-person-one-dm): another row of the same campaign
/// whose id (given or resolved) is this one's and that was claimed, is retrying, was sent or is
/// unknown makes this one a duplicate. The event loop runs one gate at a time and records the
/// outcome right after it, so of two rows of one person at most one is ever let through.
Result<SendGate> check_before_send(Database& db, ClaimedRecipient const& claim, std::string_view resolved_user_id,
                                   GateRules const& rules = {});

/// Stores a lookup's answer while the recipient is still `sending`, so recipient_status shows the
/// resolved id even if the daemon dies before the send is recorded.
Result<void> note_resolved_user_id(Database& db, ClaimedRecipient const& claim, std::string_view user_id);

/// At daemon start-up, under the state directory's lock: every `sending` recipient becomes
/// `unknown`/`in_doubt` (its DM may have gone out), with an attempts row and a ledger entry at its
/// claim time, since an attempt whose outcome is unknown counts toward the cap. Returns how many.
/// CLI commands never call this: a running daemon's in-flight sends are not in doubt.
Result<std::int64_t> recover_in_doubt(Database& db, StateLock const& lock, TimePoint now);

}  // namespace outreach
