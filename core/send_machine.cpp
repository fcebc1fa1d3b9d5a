#include "core/send_machine.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace outreach {
namespace {

constexpr Duration kStorageRetry = std::chrono::seconds(5);
constexpr Duration kRecordRetryFirst = std::chrono::seconds(1);
constexpr Duration kRecordRetryMax = std::chrono::seconds(30);

decision::AccountStop const* refreshable_stop(Decision const& d) {
  auto const* stop = std::get_if<decision::AccountStop>(&d);
  return stop != nullptr && stop->refreshable ? stop : nullptr;
}

/// Pending or retrying again: another account of the campaign may be the one to send it.
bool queued_again(Outcome const& o) {
  return o.state == RecipientState::pending || o.state == RecipientState::retrying;
}

}  // namespace

std::string_view to_string(SendPhase phase) {
  switch (phase) {
    case SendPhase::looking: return "looking";
    case SendPhase::claiming: return "claiming";
    case SendPhase::reading_due: return "reading_due";
    case SendPhase::idle: return "idle";
    case SendPhase::waiting: return "waiting";
    case SendPhase::reading_cache: return "reading_cache";
    case SendPhase::looking_up: return "looking_up";
    case SendPhase::refreshing: return "refreshing";
    case SendPhase::caching: return "caching";
    case SendPhase::gating: return "gating";
    case SendPhase::sending: return "sending";
    case SendPhase::recording: return "recording";
    case SendPhase::record_backoff: return "record_backoff";
    case SendPhase::stopping: return "stopping";
    case SendPhase::finished: return "finished";
  }
  return "looking";
}

Duration record_retry_delay(int retry) {
  Duration delay = kRecordRetryFirst;
  for (int i = 1; i < retry && delay < kRecordRetryMax; ++i) delay *= 2;
  return std::min(delay, kRecordRetryMax);
}

bool SendMachine::busy() const {
  switch (phase_) {
    case SendPhase::reading_cache:
    case SendPhase::looking_up:
    case SendPhase::refreshing:
    case SendPhase::caching:
    case SendPhase::gating:
    case SendPhase::sending:
    case SendPhase::recording:
    case SendPhase::record_backoff:
    case SendPhase::stopping: return true;
    default: return false;
  }
}

void SendMachine::reload(SendRules rules) {
  rules_ = rules;
  account_stopped_ = false;
  // Configured again: an account removed by an earlier reload whose last request was still out
  // would otherwise end its loop and never send again.
  draining_ = false;
  ++generation_;
  // A provider's rate-limit reset is kept: it is the provider's state, not the config's, and
  // sending before it only earns another 429.
}

void SendMachine::shift_times(Duration step) {
  auto shift = [step](TimePoint& t) {
    if (t != TimePoint{} && t != TimePoint::max()) t += step;
  };
  shift(pacing_until_);
  shift(provider_wait_until_);
  shift(now_);
  // A step may be reported while a recipient is in hand (its answer read before the step, its
  // record after): the times taken from the old reading move too, or the pacing gap, the retry
  // time and the ledger entry would be off by the step.
  if (!flow_) return;
  shift(flow_->record_at);
  shift(flow_->refused_end);
  if (flow_->pace_from) shift(*flow_->pace_from);
  if (flow_->outcome && flow_->outcome->next_attempt_at) shift(*flow_->outcome->next_attempt_at);
}

SendAction SendMachine::start(std::optional<TimePoint> last_attempt) {
  if (last_attempt) pacing_until_ = *last_attempt + rules_.pacing.min;
  return again();
}

SendAction SendMachine::again() {
  flow_.reset();
  if (draining_) {
    phase_ = SendPhase::finished;
    return send_action::Finish{};
  }
  phase_ = SendPhase::looking;
  return send_action::Look{};
}

SendAction SendMachine::sleep(std::optional<TimePoint> until, std::optional<AccountState> shown,
                              std::optional<TimePoint> shown_until, bool idle) {
  phase_ = idle ? SendPhase::idle : SendPhase::waiting;
  return send_action::Sleep{until, shown, shown_until, idle};
}

SendAction SendMachine::next(SendEvent const& event) {
  return std::visit(
      [this](auto const& e) -> SendAction {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, send_event::Looked>) {
          return look(e);
        } else if constexpr (std::is_same_v<E, send_event::Claimed>) {
          return claimed(e);
        } else if constexpr (std::is_same_v<E, send_event::StorageFailed>) {
          now_ = e.now;
          return sleep(e.now + kStorageRetry, std::nullopt, std::nullopt, false);
        } else if constexpr (std::is_same_v<E, send_event::NextDue>) {
          return sleep(e.at, AccountState::ready, std::nullopt, true);
        } else if constexpr (std::is_same_v<E, send_event::UserCacheRead>) {
          return cache_answered(e.entry);
        } else if constexpr (std::is_same_v<E, send_event::CanDmCacheRead>) {
          flow_->can_dm = e.can_dm;
          return after_cache();
        } else if constexpr (std::is_same_v<E, send_event::LookedUp>) {
          return looked_up(e.answer, e.now);
        } else if constexpr (std::is_same_v<E, send_event::TokenRefreshed>) {
          return refreshed(e);
        } else if constexpr (std::is_same_v<E, send_event::GateChecked>) {
          return gate_checked(e);
        } else if constexpr (std::is_same_v<E, send_event::Sent>) {
          return sent(e.answer, e.end, e.gap_draw);
        } else if constexpr (std::is_same_v<E, send_event::Recorded>) {
          return recorded(e);
        } else if constexpr (std::is_same_v<E, send_event::Woke>) {
          if (phase_ == SendPhase::record_backoff) {
            phase_ = SendPhase::recording;
            return send_action::Record{*flow_->outcome, flow_->record_at, flow_->log_line, flow_->latency,
                                       queued_again(*flow_->outcome)};
          }
          return again();
        } else {  // Done: a cache write or an account stop was carried out
          if (phase_ == SendPhase::caching) {
            if (flow_->outcome) return record(*flow_->outcome, flow_->record_at);
            return can_dm_known();
          }
          return again();
        }
      },
      event);
}

// ---- the account: may it claim? -----------------------------------------------------------------

SendAction SendMachine::look(send_event::Looked const& e) {
  now_ = e.now;
  if (draining_) return again();
  if (e.unreadable) return sleep(e.now + kStorageRetry, std::nullopt, std::nullopt, false);
  AccountSnapshot snapshot;
  snapshot.stopped = account_stopped_;
  snapshot.pacing_until = pacing_until_;
  snapshot.provider_wait_until = provider_wait_until_;
  snapshot.provider_wait_is_daily = provider_wait_is_daily_;
  snapshot.attempts_in_window = e.attempts_in_window;
  snapshot.daily_cap = rules_.daily_cap;
  NextStep const step = next_step(snapshot, e.now);
  switch (step.action) {
    case NextStep::Action::stop: return sleep(std::nullopt, AccountState::stopped, std::nullopt, false);
    case NextStep::Action::sleep_until: return sleep(step.until, step.state, step.until, false);
    case NextStep::Action::claim: break;
  }
  phase_ = SendPhase::claiming;
  return send_action::Claim{};
}

SendAction SendMachine::claimed(send_event::Claimed const& e) {
  if (!e.recipient) {
    phase_ = SendPhase::reading_due;
    return send_action::ReadNextDue{};
  }
  flow_.emplace();
  flow_->claim = *e.recipient;
  flow_->user_id = e.recipient->user_id;
  flow_->generation = generation_;
  now_ = e.recipient->claimed_at;
  phase_ = SendPhase::reading_cache;
  // The caches answer first: a fresh answer (within [can_dm] cache_ttl) saves a request.
  if (flow_->user_id.empty()) return send_action::ReadUserCache{flow_->claim.username};
  return send_action::ReadCanDmCache{flow_->user_id};
}

// ---- one recipient: who is it, may it be messaged, send, record --------------------------------

SendAction SendMachine::cache_answered(std::optional<CachedUserAnswer> const& user) {
  if (user) {
    if (!user->exists) return record(Outcome::skipped(ErrorClass::not_found, 0, "user not found (cached)"), now_);
    flow_->user_id = user->user_id;
  }
  if (!flow_->user_id.empty()) return send_action::ReadCanDmCache{flow_->user_id};
  return after_cache();
}

SendAction SendMachine::after_cache() {
  SendFlow& f = *flow_;
  if (!f.user_id.empty() && f.can_dm) return can_dm_known();
  // After a stop request no new exchange begins (the stop grace covers only one already out).
  if (draining_) return back_to_queue();
  return look_up();
}

SendAction SendMachine::looked_up(LookupAnswer const& answer, TimePoint now) {
  now_ = now;
  SendFlow& f = *flow_;
  if (answer.user_id) f.user_id = *answer.user_id;
  if (refreshable_stop(answer.decision)) {
    // An expired access token met during shutdown: the next start refreshes it. Not a reason to
    // stop the account, nor to use the recipient's attempt.
    if (draining_) return back_to_queue();
    if (!f.refreshed) {
      f.refreshed = true;
      f.refused_lookup = answer;
      phase_ = SendPhase::refreshing;
      return send_action::RefreshToken{};
    }
  }
  if (!std::holds_alternative<decision::Sent>(answer.decision)) return lookup_failed(answer, now);
  f.can_dm = answer.can_dm;
  send_action::CacheLookup cache;
  if (!f.claim.username.empty() && !f.user_id.empty()) {
    cache.username = f.claim.username;
    cache.user_known = true;
    cache.user_id = f.user_id;
  }
  if (answer.can_dm && !f.user_id.empty()) {
    cache.can_dm = answer.can_dm;
    cache.can_dm_user_id = f.user_id;
  }
  if (!cache.user_known && !cache.can_dm) return can_dm_known();
  phase_ = SendPhase::caching;
  return cache;
}

SendAction SendMachine::lookup_failed(LookupAnswer const& answer, TimePoint now) {
  SendFlow& f = *flow_;
  Outcome o = outcome_of_failed_lookup(answer.decision, answer.http_status, now, rules_.lookup_in_doubt_retry);
  send_action::CacheLookup cache;
  if (auto const* failed = std::get_if<decision::FailedPermanent>(&answer.decision)) {
    if (failed->reason == ErrorClass::not_found && !f.claim.username.empty()) {
      cache.username = f.claim.username;
      cache.user_known = true;  // with no id: there is no such user
    } else if (failed->reason == ErrorClass::cannot_dm) {
      o.resolved_user_id = f.user_id;
      if (!f.user_id.empty()) {
        cache.can_dm = false;
        cache.can_dm_user_id = f.user_id;
      }
    }
  } else if (auto const* wait = std::get_if<decision::RateLimitedWait>(&answer.decision)) {
    provider_wait_until_ = wait->until;
    provider_wait_is_daily_ = wait->daily_limit;
  } else if (auto const* stop = std::get_if<decision::AccountStop>(&answer.decision)) {
    f.stop_reason = stop->reason;
  }
  if (!cache.user_known && !cache.can_dm) return record(std::move(o), now);
  f.outcome = std::move(o);
  f.record_at = now;
  phase_ = SendPhase::caching;
  return cache;
}

SendAction SendMachine::can_dm_known() {
  SendFlow& f = *flow_;
  if (f.can_dm && !*f.can_dm) {
    Outcome o = Outcome::skipped(ErrorClass::cannot_dm, 0, "recipient does not accept DMs");
    o.resolved_user_id = f.user_id;
    return record(std::move(o), now_);
  }
  // A graceful stop lets the exchange under way finish but begins no new one.
  if (draining_) return back_to_queue();
  phase_ = SendPhase::gating;
  return send_action::CheckGate{f.user_id};
}

SendAction SendMachine::gate_checked(send_event::GateChecked const& e) {
  now_ = e.now;
  SendFlow& f = *flow_;
  // Paused or cancelled while the lookup was out, or not checkable: back to the queue, unsent
  // (recording turns that into skipped/cancelled for a cancelled campaign).
  if (!e.gate || *e.gate == SendGate::hold) return back_to_queue();
  if (*e.gate != SendGate::go) {
    Outcome o = Outcome::skipped(skip_reason(*e.gate));
    o.resolved_user_id = f.user_id;
    f.log_line = true;
    return record(std::move(o), e.now);
  }
  if (f.claim.dry_run) {  // everything but the send itself
    Outcome o = Outcome::skipped(ErrorClass::dry_run);
    o.resolved_user_id = f.user_id;
    f.pace_from_record = true;
    return record(std::move(o), e.now);
  }
  return send();
}

SendAction SendMachine::sent(SendAnswer const& answer, TimePoint end, double gap_draw) {
  now_ = end;
  SendFlow& f = *flow_;
  bool const expired_token = refreshable_stop(answer.decision) != nullptr;
  if (expired_token && !f.refreshed && !draining_) {
    // A 401 means the DM was not accepted, so repeating it after a refresh cannot duplicate it.
    f.refreshed = true;
    f.refused_send = answer;
    f.refused_end = end;
    f.refused_gap_draw = gap_draw;
    phase_ = SendPhase::refreshing;
    return send_action::RefreshToken{};
  }
  Outcome o = outcome_of_send(answer.decision, answer.http_status, end);
  o.resolved_user_id = f.user_id;
  o.check_inbox = rules_.reads_inbox && needs_inbox_check(o);
  if (auto const* wait = std::get_if<decision::RateLimitedWait>(&answer.decision)) {
    provider_wait_until_ = wait->until;
    provider_wait_is_daily_ = wait->daily_limit;
  }
  // An expired token met during shutdown is the next start's to refresh: no stop.
  if (auto const* stop = std::get_if<decision::AccountStop>(&answer.decision); stop && !(expired_token && draining_))
    f.stop_reason = stop->reason;
  f.log_line = true;
  f.latency = answer.latency;
  // Pacing runs from the end of every send attempt.
  f.pace_from = end;
  f.gap_draw = gap_draw;
  return record(std::move(o), end);
}

SendAction SendMachine::refreshed(send_event::TokenRefreshed const& e) {
  now_ = e.now;
  SendFlow& f = *flow_;
  if (e.ok && draining_) return back_to_queue();
  if (e.ok) {
    if (f.refused_lookup) {
      f.refused_lookup.reset();
      return look_up();
    }
    f.refused_send.reset();
    return send();
  }
  // The refresh failed: the refusal stands.
  if (f.refused_lookup) {
    LookupAnswer answer = std::move(*f.refused_lookup);
    f.refused_lookup.reset();
    return looked_up(answer, e.now);
  }
  SendAnswer answer = std::move(*f.refused_send);
  f.refused_send.reset();
  return sent(answer, f.refused_end, f.refused_gap_draw);
}

// The lookup and the send are made twice each: first, and again after a token refresh.
SendAction SendMachine::look_up() {
  phase_ = SendPhase::looking_up;
  return send_action::LookUp{flow_->claim.username, flow_->user_id, flow_->claim.attempts + 1};
}

SendAction SendMachine::send() {
  phase_ = SendPhase::sending;
  SendFlow const& f = *flow_;
  return send_action::Send{DmMessage{f.user_id, f.claim.username, f.claim.text, {}}, f.claim.attempts + 1};
}

void SendMachine::abandon() {
  flow_.reset();
  phase_ = SendPhase::finished;
}

SendAction SendMachine::back_to_queue() { return record(Outcome::back_to_queue(flow_->user_id), now_); }

SendAction SendMachine::record(Outcome outcome, TimePoint at) {
  SendFlow& f = *flow_;
  phase_ = SendPhase::recording;
  bool const wakes = queued_again(outcome);
  f.outcome = std::move(outcome);
  f.record_at = at;
  return send_action::Record{*f.outcome, at, f.log_line, f.latency, wakes};
}

SendAction SendMachine::recorded(send_event::Recorded const& e) {
  now_ = e.now;
  SendFlow& f = *flow_;
  // A failed record is retried, never dropped: left alone the row would stay `sending` for the
  // daemon's whole life, its attempt missing from the cap ledger and a sent DM's id lost. The
  // account claims nothing else meanwhile. If the daemon stops first, the row stays `sending` and
  // the next start makes it unknown/in_doubt: never a resend.
  if (e.result == RecordResult::environmental && !draining_) {
    ++f.record_retries;
    phase_ = SendPhase::record_backoff;
    return send_action::Sleep{e.now + record_retry_delay(f.record_retries), std::nullopt, std::nullopt, false};
  }
  if (f.pace_from_record) pacing_until_ = e.now + next_gap(rules_.pacing, e.gap_draw);
  if (f.pace_from) pacing_until_ = *f.pace_from + next_gap(rules_.pacing, f.gap_draw);
  if (f.stop_reason) {
    phase_ = SendPhase::stopping;
    bool const superseded = f.generation != generation_;
    if (!superseded) account_stopped_ = true;
    return send_action::StopAccount{*f.stop_reason, superseded};
  }
  return again();
}

}  // namespace outreach
