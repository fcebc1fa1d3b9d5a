#pragma once
// What happened to a claimed recipient, and the one place that decides it from a classified
// answer (core/outcome.hpp's Decision). Whether an attempt uses one of the recipient's
// max_attempts and whether it counts toward the account's rolling daily cap are set here and
// nowhere else: storage stores these flags as given, the send machine only picks the function.
#include <optional>
#include <string>
#include <string_view>

#include "core/outcome.hpp"
#include "core/recipient_state.hpp"
#include "core/time.hpp"

namespace outreach {

struct Outcome {
  RecipientState state = RecipientState::pending;  ///< anything but `sending`
  ErrorClass reason = ErrorClass::none;            ///< required for retrying, failed, skipped, unknown; none for sent
  bool send_attempted = false;                     ///< a send request went out (it may have reached the provider)
  bool uses_attempt = false;                       ///< the recipient's attempt counter advances
  bool counts_toward_cap = false;                  ///< a ledger entry for the rolling 24 h cap
  int http_status = 0;                             ///< 0: no HTTP response
  std::string message_id;                          ///< the DM's id, on success
  std::string error;                               ///< the provider's error text, already redacted
  std::optional<TimePoint> next_attempt_at;        ///< required for retrying
  std::string resolved_user_id;                    ///< the id a lookup found, if any
  /// The DM may have been delivered although the answer does not say so: storage keeps an
  /// inbox check for it (docs/send-rules.md#the-inbox), and a `retrying` row waits for that
  /// check before its retry. Set by the send machine for accounts that read their inbox.
  bool check_inbox = false;

  // A send attempt that reached the provider (or may have) uses an attempt and counts toward the cap.
  static Outcome sent(std::string message_id, int http_status);
  static Outcome retry_at(TimePoint next_attempt_at, ErrorClass reason, int http_status, std::string error);
  static Outcome failed(ErrorClass reason, int http_status, std::string error);
  static Outcome in_doubt(std::string error);
  /// A lookup or policy ended the recipient's turn with no send (not_found, cannot_dm, dry_run).
  static Outcome skipped(ErrorClass reason, int http_status = 0, std::string error = {});
  /// Back to pending without using an attempt: the account hit a 429 or an account-level error.
  static Outcome requeue(ErrorClass reason, int http_status, std::string error);
  /// Back to pending with nothing used and nothing to report: its turn never reached a request
  /// that could change anything (a stop, a paused campaign, a gate that could not be checked).
  static Outcome back_to_queue(std::string resolved_user_id);
};

/// The answer to a send (classified), as the recipient's outcome. A 429 or an account-level error
/// puts the recipient back unharmed: neither uses an attempt nor counts toward the cap.
Outcome outcome_of_send(Decision const& decision, int http_status, TimePoint end);

/// The answer to a failed lookup (anything but Sent), as the recipient's outcome. Lookups never
/// count toward the cap; one that failed transiently uses an attempt, or a recipient whose lookup
/// keeps failing would be retried forever at the first backoff step. `in_doubt_retry` is the wait
/// for an in-doubt lookup (lookups are reads: classify never says so, but be safe).
Outcome outcome_of_failed_lookup(Decision const& decision, int http_status, TimePoint now, Duration in_doubt_retry);

/// The last look before a send (storage's check_before_send): what may have changed since the
/// claim, and what only the lookup could tell.
enum class SendGate {
  go,                  ///< send it
  hold,                ///< the campaign is paused or cancelled: back to the queue, unsent
  suppressed,          ///< skip it as `skipped`/`suppressed`
  duplicate,           ///< skip it as `skipped`/`duplicate`: one person, one DM per campaign
  recently_contacted,  ///< skip it as `skipped`/`recently_contacted`: another campaign reached them lately
};

/// Whether a send's outcome leaves its delivery in doubt in a way the account's inbox can settle:
/// `unknown` (the answer was lost), or `retrying` after a server error (a 5xx, or a vague provider
/// error, may follow a delivery: retrying blindly could send a second copy).
bool needs_inbox_check(Outcome const& outcome);

/// The skip reason a closed gate records (suppressed, duplicate, recently_contacted); none for go/hold.
ErrorClass skip_reason(SendGate gate);

/// "sent", "requeued" (pending again), "retrying", …: the outcome word of the send log line.
std::string_view outcome_name(Outcome const& outcome);

}  // namespace outreach
