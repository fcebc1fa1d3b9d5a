#pragma once
// One account's send loop as a sans-I/O state machine, after Boost.Redis's FSMs: the driver
// (daemon/runtime/account_worker.cpp) performs the action this returns — read the ledger, claim,
// read a cache, look up, refresh a token, check the gate, send, record, sleep — and feeds back
// what came of it as the next event. Every decision between two I/O steps is taken here or in a
// named core function this calls, so the whole send behaviour is unit-tested with plain values:
// no socket, database, clock or random source (time and the random draws arrive in the events).
//
// Inputs that arrive while the driver is suspended (a stop request, a reload, a clock step) are
// methods; they change what the next event leads to, never the action already under way.
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "core/account_schedule.hpp"
#include "core/claimed_recipient.hpp"
#include "core/outcome.hpp"
#include "core/pacing.hpp"
#include "core/providers/codec.hpp"
#include "core/recipient_outcome.hpp"
#include "core/time.hpp"

namespace outreach {

/// What a lookup (username → id, canDm) answered, classified.
struct LookupAnswer {
  Decision decision;                   ///< Sent = the lookup succeeded; FailedPermanent = not_found/cannot_dm
  std::optional<std::string> user_id;  ///< the resolved id, when the provider named the user
  std::optional<bool> can_dm;
  int http_status = 0;
};

/// What a send answered, classified.
struct SendAnswer {
  Decision decision;
  int http_status = 0;
  Duration latency{0};
};

/// A user-cache entry that is still fresh.
struct CachedUserAnswer {
  bool exists = false;
  std::string user_id;
};

/// How a record attempt went.
enum class RecordResult {
  landed,
  environmental,  ///< full disk, lock held past busy_timeout: retry until it lands
  impossible,     ///< the row is not `sending` for this account any more, or the outcome is invalid
};

namespace send_event {
/// The driver looked: the account's send ledger for the last 24 h, read at `now`.
struct Looked {
  std::span<const TimePoint> attempts_in_window;
  TimePoint now;
  bool unreadable = false;  ///< the ledger could not be read (the driver logged why): look again later
};
struct Claimed {
  std::optional<ClaimedRecipient> recipient;  ///< nullopt: nothing is due for this account
};
/// The ledger could not be read or the claim could not be made (the driver logged why).
struct StorageFailed {
  TimePoint now;
};
/// When this account next has something due (nullopt: nothing queued).
struct NextDue {
  std::optional<TimePoint> at;
};
struct UserCacheRead {
  std::optional<CachedUserAnswer> entry;  ///< nullopt: no fresh entry (or the cache could not be read)
};
struct CanDmCacheRead {
  std::optional<bool> can_dm;
};
struct LookedUp {
  LookupAnswer answer;
  TimePoint now;
};
struct TokenRefreshed {
  bool ok = false;
  TimePoint now;
};
/// The gate's verdict; nullopt when it could not be checked (the driver logged why).
struct GateChecked {
  std::optional<SendGate> gate;
  TimePoint now;
};
struct Sent {
  SendAnswer answer;
  TimePoint end;         ///< when the answer (or its absence) was known
  double gap_draw = 0;   ///< uniform in [0, 1): the pacing gap that follows
};
struct Recorded {
  RecordResult result = RecordResult::landed;
  TimePoint now;
  double gap_draw = 0;   ///< for the pacing gap after a dry run
};
/// A sleep ended: its time came or something woke the account.
struct Woke {};
/// A fire-and-forget action (cache write, account stop) was carried out.
struct Done {};
}  // namespace send_event

using SendEvent = std::variant<send_event::Looked, send_event::Claimed, send_event::StorageFailed,
                               send_event::NextDue, send_event::UserCacheRead, send_event::CanDmCacheRead,
                               send_event::LookedUp, send_event::TokenRefreshed, send_event::GateChecked,
                               send_event::Sent, send_event::Recorded, send_event::Woke, send_event::Done>;

namespace send_action {
/// Read the ledger and feed Looked.
struct Look {};
/// Claim the next due recipient (durably, before any request) and feed Claimed or StorageFailed.
struct Claim {};
/// Nothing was due: read when something will be, feed NextDue.
struct ReadNextDue {};
/// Store `shown` as the account's state (when set), then sleep until `until` (nullopt: until
/// woken) and feed Woke. `idle`: asleep because nothing was due, the one sleep a recipient put
/// back in the queue must end.
struct Sleep {
  std::optional<TimePoint> until;
  std::optional<AccountState> shown;
  std::optional<TimePoint> shown_until;
  bool idle = false;
};
struct ReadUserCache {
  std::string username;
};
struct ReadCanDmCache {
  std::string user_id;
};
struct LookUp {
  std::string username;
  std::string user_id;
  int attempt = 1;
};
/// x_api: refresh the OAuth tokens through the session the request went through.
struct RefreshToken {};
/// Store what a lookup learnt in the caches (each field only when set), then feed Done.
struct CacheLookup {
  std::string username;                              ///< with user_known: the username's entry
  bool user_known = false;
  std::optional<std::string> user_id;                ///< nullopt with user_known: no such user
  std::optional<bool> can_dm;                        ///< for can_dm_user_id
  std::string can_dm_user_id;
};
struct CheckGate {
  std::string user_id;
};
struct Send {
  DmMessage message;
  int attempt = 1;
};
/// Record the outcome (one transaction) and feed Recorded. `log_line`: write the send log line.
struct Record {
  Outcome outcome;
  TimePoint at;
  bool log_line = false;
  Duration latency{0};
  bool wakes_others = false;  ///< once landed: the recipient is queued again, wake the idle accounts
};
/// An account-level error: mark the account stopped with `reason` as its last error, feed Done.
/// `superseded`: the refused request went out with credentials a reload has replaced since, so the
/// account is not stopped (the operator may just have fixed them); only say so.
struct StopAccount {
  std::string reason;
  bool superseded = false;
};
/// The stop request is honoured: the loop ends.
struct Finish {};
}  // namespace send_action

using SendAction = std::variant<send_action::Look, send_action::Claim, send_action::ReadNextDue,
                                send_action::Sleep, send_action::ReadUserCache, send_action::ReadCanDmCache,
                                send_action::LookUp, send_action::RefreshToken, send_action::CacheLookup,
                                send_action::CheckGate, send_action::Send, send_action::Record,
                                send_action::StopAccount, send_action::Finish>;

/// The rules a machine follows; replaced as a whole on reload.
struct SendRules {
  PacingWindow pacing;
  int daily_cap = 0;
  Duration lookup_in_doubt_retry{30'000};  ///< [retry] base_delay
  /// The account's inbox is read (core/providers/provider_kind.hpp reads_inbox): sends whose
  /// delivery is in doubt are marked for an inbox check (Outcome::check_inbox).
  bool reads_inbox = false;
};

/// Where the account's loop stands: one value instead of a set of flags.
enum class SendPhase {
  looking,         ///< reading the ledger to decide whether it may claim
  claiming,        ///< a claim is queued with the group commit
  reading_due,     ///< nothing was due: asking when something will be
  idle,            ///< asleep until something is due or a wake
  waiting,         ///< asleep: pacing, capped, a provider's wait, or stopped until a reload
  reading_cache,   ///< a recipient in hand from here to `recording`
  looking_up,
  refreshing,
  caching,
  gating,
  sending,
  recording,
  record_backoff,  ///< a record failed for an environmental reason; trying again after a wait
  stopping,        ///< marking the account stopped
  finished,
};
std::string_view to_string(SendPhase phase);

/// The wait before the n-th retry of a failed record (n >= 1): 1 s doubling to 30 s.
Duration record_retry_delay(int retry);

/// One claimed recipient, from its claim to what follows its record (SendMachine keeps it).
struct SendFlow {
  ClaimedRecipient claim;
  std::string user_id;
  std::optional<bool> can_dm;
  int generation = 0;      ///< the credentials' generation the requests went through
  bool refreshed = false;  ///< the token was refreshed once for this request already
  std::optional<LookupAnswer> refused_lookup;  ///< kept while the refresh runs
  std::optional<SendAnswer> refused_send;
  TimePoint refused_end;
  double refused_gap_draw = 0;
  // What follows the record.
  std::optional<Outcome> outcome;
  TimePoint record_at;
  bool log_line = false;
  Duration latency{0};
  std::optional<std::string> stop_reason;
  std::optional<TimePoint> pace_from;  ///< pacing runs from here after the record
  bool pace_from_record = false;       ///< dry run: pacing runs from when the record landed
  double gap_draw = 0;
  int record_retries = 0;
};

class SendMachine {
 public:
  explicit SendMachine(SendRules rules) : rules_(rules) {}

  /// The first action after start-up. `last_attempt` (the newest ledger entry) resumes pacing from
  /// it, so a crash loop cannot turn into a burst.
  SendAction start(std::optional<TimePoint> last_attempt);
  /// The action that follows an event.
  SendAction next(SendEvent const& event);

  /// The driver's loop died (an exception): the machine is finished, whatever it held.
  void abandon();
  /// Graceful stop: no new claim and no new exchange; an answer already under way is recorded.
  void request_stop() { draining_ = true; }
  /// New rules and credentials: an account stopped by an account-level error starts again, and an
  /// account-level refusal of a request made with the old credentials no longer stops it.
  void reload(SendRules rules);
  /// The account's inbox read met the credentials refused (core/inbox_read.hpp StopAccount): the
  /// account stops as if a send had met it, until a reload.
  void account_refused() { account_stopped_ = true; }
  /// The account's inbox was turned off (reading refused): in-doubt sends are no longer marked for
  /// an inbox check, since none will come. A reload turns it on again with its rules.
  void inbox_off() { rules_.reads_inbox = false; }
  /// The wall clock stepped: the waits kept as wall-clock times move with it, and so do the times
  /// the recipient in hand took from the old reading (its pacing start, retry time, record time).
  void shift_times(Duration step);

  SendPhase phase() const { return phase_; }
  /// The recipient in hand (from the claim to its record), or nullptr.
  ClaimedRecipient const* current() const { return flow_ ? &flow_->claim : nullptr; }
  /// How many times the record in hand has failed for an environmental reason.
  int record_retries() const { return flow_ ? flow_->record_retries : 0; }
  bool busy() const;  ///< a recipient is in hand
  bool stopping() const { return draining_; }
  bool account_stopped() const { return account_stopped_; }

 private:

  SendAction look(send_event::Looked const& e);
  SendAction claimed(send_event::Claimed const& e);
  SendAction cache_answered(std::optional<CachedUserAnswer> const& user);
  SendAction can_dm_known();
  SendAction looked_up(LookupAnswer const& answer, TimePoint now);
  SendAction lookup_failed(LookupAnswer const& answer, TimePoint now);
  SendAction gate_checked(send_event::GateChecked const& e);
  SendAction sent(SendAnswer const& answer, TimePoint end, double gap_draw);
  SendAction refreshed(send_event::TokenRefreshed const& e);
  SendAction recorded(send_event::Recorded const& e);
  SendAction record(Outcome outcome, TimePoint at);
  SendAction sleep(std::optional<TimePoint> until, std::optional<AccountState> shown,
                   std::optional<TimePoint> shown_until, bool idle);
  SendAction after_cache();
  SendAction back_to_queue();
  SendAction look_up();
  SendAction send();
  SendAction again();  ///< back to the top of the loop (or its end)

  SendRules rules_;
  SendPhase phase_ = SendPhase::looking;
  bool draining_ = false;
  bool account_stopped_ = false;
  int generation_ = 0;  ///< bumped by every reload
  TimePoint pacing_until_{};
  TimePoint provider_wait_until_{};
  bool provider_wait_is_daily_ = false;
  std::optional<SendFlow> flow_;
  TimePoint now_{};  ///< the latest time an event brought
};

}  // namespace outreach
