#pragma once
// Reconciliation of in-doubt sends against the account's sent messages
// (docs/send-rules.md#in-doubt-sends). A send whose answer was lost may or may not have been
// delivered; once the account's inbox has been read, each such attempt gets one verdict:
//
//   confirmed       a message from the account to the attempt's recipient (same user id, exact
//                   string), created no earlier than kReconcileSlack before the attempt began,
//                   whose text matches the attempt's (texts_match: whitespace runs and links made
//                   equal), and not already used by another attempt. The row becomes `sent`.
//   absent          no such message, and a completed read covered the whole span from
//                   kReconcileSlack before the attempt to `reconcile_after` after it (both ends
//                   inclusive). A read made sooner than `reconcile_after` after the attempt proves
//                   nothing: the provider may not list a just-sent message yet.
//   beyond_history  no such message, no read proved the absence, and none ever can: the span's
//                   start is older than what the provider's history reaches (`history_limit`, X
//                   keeps 30 days; and never further back than `lookback`, how far reads go) at
//                   the earliest moment a read could still decide. Such a row is never requeued.
//   undecided       none of the above yet: a later read, at or after `decidable_at`, reaching
//                   back to `reach_back_to`, can decide it.
//
// A proof of absence made while the history still reached the span stays a proof: absent wins
// over beyond_history. A confirmation needs no coverage at all (a message found is found).
//
// One message confirms at most one attempt, within a call and across calls (the caller passes
// the ids already used, including those of sends whose answer carried the message id). The
// assignment is deterministic whatever the input order: attempts are taken oldest first (ties by
// attempt id), and each takes the oldest eligible unused message (ties by message id, compared
// as decimal numbers when both are). Why this order: two attempts can only compete for a
// message when they have the same recipient and texts that normalise the same, and then a
// message eligible for the newer attempt is eligible for the older one too (its window opens
// earlier). Serving the oldest attempt with the oldest message leaves the newer messages, which
// the newer attempts can use, so as many attempts as possible are confirmed; and it pairs each
// send with the first copy that appeared after it, the order in which they happened.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/time.hpp"

namespace outreach {

/// How long before an attempt's start a matching message may have been created and still
/// confirm it (the provider's clock and ours disagree; the attempt's row is written first).
inline constexpr Duration kReconcileSlack = std::chrono::minutes{5};

/// An attempt whose outcome is in doubt, with the text it carried (stored when it was claimed).
struct InDoubtAttempt {
  std::int64_t attempt_id = 0;
  std::string recipient_user_id;  ///< the provider's user id of the recipient
  TimePoint started_at;           ///< when the attempt began
  std::string text;
};

/// A message the account sent, as read from its inbox.
struct OutgoingMessage {
  std::string message_id;         ///< the provider's message id
  std::string recipient_user_id;  ///< the other participant
  TimePoint created_at;           ///< the provider's creation time
  std::string text;
};

/// What the completed reads of the account's inbox have covered: every message the account sent
/// between `from` and `read_at` has been read.
struct InboxCoverage {
  TimePoint read_at;  ///< when the latest completed read was made
  /// The oldest message time the reads reached; nullopt when they went back to the end of the
  /// history (then the coverage starts history_limit before read_at).
  std::optional<TimePoint> oldest_reached;
};

struct ReconcileLimits {
  Duration reconcile_after{std::chrono::seconds{30}};  ///< `[inbox] reconcile_after`
  Duration history_limit{std::chrono::days{30}};       ///< how far back the provider keeps DMs
  Duration lookback{std::chrono::days{7}};             ///< `[inbox] lookback`
};

namespace verdict {
struct Confirmed {
  std::string message_id;
  TimePoint created_at;
  friend bool operator==(Confirmed const&, Confirmed const&) = default;
};
struct Absent {
  friend bool operator==(Absent const&, Absent const&) = default;
};
struct Undecided {
  TimePoint decidable_at;   ///< started_at + reconcile_after: no earlier read can decide
  TimePoint reach_back_to;  ///< started_at - kReconcileSlack: how far back that read must reach
  friend bool operator==(Undecided const&, Undecided const&) = default;
};
struct BeyondHistory {
  friend bool operator==(BeyondHistory const&, BeyondHistory const&) = default;
};
}  // namespace verdict

using ReconcileVerdict = std::variant<verdict::Confirmed, verdict::Absent, verdict::Undecided, verdict::BeyondHistory>;

struct AttemptVerdict {
  std::int64_t attempt_id = 0;
  ReconcileVerdict verdict;
};

/// The earliest start of a span a read made at `read_at` can still cover:
/// read_at - min(history_limit, lookback).
TimePoint history_horizon(TimePoint read_at, ReconcileLimits const& limits);

/// Where the coverage starts: `oldest_reached`, or read_at - history_limit when the reads went
/// back to the end of the history.
TimePoint coverage_start(InboxCoverage const& coverage, ReconcileLimits const& limits);

/// True when `coverage` proves the absence of a message for an attempt begun at `started_at`:
/// it reaches back to started_at - kReconcileSlack and forward to started_at + reconcile_after.
bool coverage_decides(TimePoint started_at, InboxCoverage const& coverage, ReconcileLimits const& limits);

/// One verdict per attempt, in the order of `attempts`. `messages` may hold any of the
/// account's outgoing messages (other recipients are ignored); `already_used` are message ids
/// that confirmed something before and may not confirm again. `coverage` is nullopt when no
/// read has completed. `now` is the caller's clock (for beyond_history).
std::vector<AttemptVerdict> reconcile(std::span<InDoubtAttempt const> attempts,
                                      std::span<OutgoingMessage const> messages,
                                      std::span<std::string const> already_used,
                                      std::optional<InboxCoverage> const& coverage, ReconcileLimits const& limits,
                                      TimePoint now);

}  // namespace outreach
