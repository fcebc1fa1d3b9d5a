#include "daemon/account_worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "daemon/claim_coalescer.hpp"
#include "daemon/provider_session.hpp"
#include "storage/accounts.hpp"
#include "storage/caches.hpp"
#include "storage/ledger.hpp"
#include "storage/queue.hpp"

namespace outreach {
namespace asio = boost::asio;

namespace {

constexpr Duration kRecordRetryFirst = std::chrono::seconds(1);
constexpr Duration kRecordRetryMax = std::chrono::seconds(30);

std::string describe_recipient(ClaimedRecipient const& c) {
  if (!c.username.empty()) return "@" + c.username;
  return "id:" + c.user_id;
}

std::string_view outcome_name(Outcome const& o) {
  if (o.state == RecipientState::pending) return "requeued";
  return to_string(o.state);
}

/// A lookup that failed transiently uses an attempt (but no cap slot): otherwise a recipient whose
/// lookup keeps failing would be retried forever at the first backoff step.
Outcome lookup_retry(TimePoint at, ErrorClass reason, int http_status, std::string error) {
  Outcome o = Outcome::retry_at(at, reason, http_status, std::move(error));
  o.send_attempted = false;
  o.counts_toward_cap = false;
  return o;
}

Outcome lookup_failed(ErrorClass reason, int http_status, std::string error) {
  Outcome o = Outcome::failed(reason, http_status, std::move(error));
  o.send_attempted = false;
  o.counts_toward_cap = false;
  return o;
}

/// Pending again with no attempt used and nothing to report: its turn never reached the send.
Outcome back_to_queue(std::string const& resolved_user_id) {
  Outcome o;
  o.state = RecipientState::pending;
  o.resolved_user_id = resolved_user_id;
  return o;
}

Outcome lookup_requeue(ErrorClass reason, int http_status, std::string error) {
  Outcome o = Outcome::requeue(reason, http_status, std::move(error));
  o.send_attempted = false;
  return o;
}

}  // namespace

AccountWorker::AccountWorker(asio::any_io_executor executor, WorkerEnv env, std::string account,
                             std::unique_ptr<ProviderSession> session, WorkerPolicy policy)
    : timer_(std::move(executor)),
      env_(std::move(env)),
      account_(std::move(account)),
      session_(std::move(session)),
      policy_(policy) {}

AccountWorker::~AccountWorker() = default;

void AccountWorker::start() {
  // After a restart, resume pacing from the last counted attempt instead of sending at once, so a
  // crash loop cannot turn into a burst.
  if (auto window = ledger_window(*env_.db, account_, env_.now()); window && !window->empty())
    pacing_until_ = window->back() + policy_.pacing.min;
  // Not asio::detached: that drops an escaped exception silently, leaving an account that never
  // sends again and a shutdown that waits out its whole grace period. Say so and mark it stopped.
  asio::co_spawn(timer_.get_executor(), [self = shared_from_this()]() { return self->run(); },
                 [self = shared_from_this()](std::exception_ptr failure) {
                   if (!failure) return;
                   std::string what = "unknown exception";
                   try {
                     std::rethrow_exception(failure);
                   } catch (std::exception const& e) {
                     what = e.what();
                   } catch (...) {
                   }
                   spdlog::critical("account {}: its send loop failed: {}", self->account_, what);
                   self->busy_ = false;
                   self->stopped_ = true;
                   self->show(AccountState::stopped, std::nullopt, "internal error: " + what);
                   self->finished_ = true;
                   if (self->env_.on_activity) self->env_.on_activity();
                 });
}

void AccountWorker::wake() {
  woken_ = true;
  timer_.cancel();
}

void AccountWorker::request_stop() {
  stop_requested_ = true;
  wake();
}

void AccountWorker::update(WorkerPolicy policy, std::unique_ptr<ProviderSession> session) {
  policy_ = policy;
  if (session) session_ = std::move(session);
  stopped_ = false;
  // Configured again: an account removed by an earlier reload whose last request was still out
  // (so its worker had not finished yet) would otherwise end its loop and never send again.
  stop_requested_ = false;
  // A provider's rate-limit reset is kept: it is the provider's state, not the config's (SPEC §2:
  // a reload loses no state), and sending before it only earns another 429.
  wake();
}

void AccountWorker::shift_times(Duration step) {
  auto shift = [step](TimePoint& t) {
    if (t != TimePoint{} && t != TimePoint::max()) t += step;
  };
  shift(pacing_until_);
  shift(provider_wait_until_);
  wake();
}

RetryContext AccountWorker::retry_context(int attempt, TimePoint now) {
  return RetryContext{attempt, policy_.retry.max_attempts, policy_.retry.backoff, env_.draw(), now};
}

void AccountWorker::show(AccountState state, std::optional<TimePoint> until, std::optional<std::string> last_error) {
  const bool changed = state != state_ || until != state_until_ || last_error.has_value();
  state_ = state;
  state_until_ = until;
  if (!changed) return;
  if (auto r = set_account_state(*env_.db, account_, AccountRuntime{state, until, std::move(last_error)}); !r)
    spdlog::error("account {}: cannot store its state: {}", account_, r.error().message);
  if (env_.on_activity) env_.on_activity();
}

void AccountWorker::stop_account(std::shared_ptr<ProviderSession> const& used, std::string reason) {
  if (used != session_) {
    // The refusal answered a request made with the credentials from before a reload: the
    // operator may just have fixed them, so the next request tries the new ones instead.
    spdlog::warn("account {}: {} (with the credentials from before the reload; trying the new ones)", account_,
                 reason);
    return;
  }
  stopped_ = true;
  // systemd copies LoadCredential= files only at start, so a fixed credential file needs a restart.
  spdlog::error("account {} stopped: {} (fix the config, then `systemctl reload outreachd`; a fixed credential "
                "file needs `systemctl restart outreachd`)",
                account_, reason);
  show(AccountState::stopped, std::nullopt, std::move(reason));
}

asio::awaitable<void> AccountWorker::record(ClaimedRecipient const& claim, Outcome outcome, TimePoint now) {
  // A failed record is retried, never dropped: left alone the row would stay `sending` for the
  // daemon's whole life, its attempt missing from the cap ledger and a sent DM's message id lost.
  // The account stays busy meanwhile, so it claims nothing else. If the daemon stops first, the
  // row stays `sending` and the next start turns it into unknown/in_doubt: never a resend.
  Duration backoff = kRecordRetryFirst;
  for (;;) {
    auto r = record_outcome(*env_.db, claim, outcome, now);
    if (r) break;
    if (!r.error().environmental) {
      // Not the disk but the record itself: the row is no longer `sending` for this account (another
      // process changed it, e.g. a second daemon's recovery made it unknown) or the outcome is
      // invalid. Retrying cannot help and would freeze the account, so say it once and go on.
      spdlog::error("campaign {} account {} recipient {}: cannot record outcome {}: {}; giving up on this record",
                    claim.campaign, account_, describe_recipient(claim), outcome_name(outcome), r.error().message);
      break;
    }
    if (stop_requested_) {
      spdlog::error("campaign {} account {} recipient {}: cannot record outcome: {}; stopping, so it stays "
                    "'sending' and becomes unknown/in_doubt at the next start",
                    claim.campaign, account_, describe_recipient(claim), r.error().message);
      co_return;
    }
    spdlog::error("campaign {} account {} recipient {}: cannot record outcome: {}; trying again in {} s",
                  claim.campaign, account_, describe_recipient(claim), r.error().message,
                  std::chrono::duration_cast<std::chrono::seconds>(backoff).count());
    woken_ = false;  // a wake meant for the main loop must not turn this wait into a busy loop
    co_await sleep_until(env_.now() + backoff);
    backoff = std::min<Duration>(backoff * 2, kRecordRetryMax);
  }
  if (env_.on_activity) env_.on_activity();
  // Back in the queue (now or at its retry time): the campaign's other accounts may be idle,
  // asleep with nothing due, and this account may not be the one to send it (stopped, rate-limited).
  bool const queued_again = outcome.state == RecipientState::pending || outcome.state == RecipientState::retrying;
  if (queued_again && env_.on_requeue) env_.on_requeue();
}

asio::awaitable<void> AccountWorker::sleep_until(std::optional<TimePoint> until) {
  if (woken_ || stop_requested_) co_return;
  if (!until || *until == TimePoint::max()) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  } else {
    const auto wait = *until - env_.now();
    if (wait <= Duration{0}) co_return;
    timer_.expires_after(wait);
  }
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> AccountWorker::run() {
  auto self = shared_from_this();  // keep alive while the coroutine runs
  while (!stop_requested_) {
    woken_ = false;
    const TimePoint now = env_.now();
    auto window = ledger_window(*env_.db, account_, now);
    if (!window) {
      spdlog::error("account {}: cannot read its send ledger: {}", account_, window.error().message);
      co_await sleep_until(now + std::chrono::seconds(5));
      continue;
    }
    AccountSnapshot snapshot;
    snapshot.stopped = stopped_;
    snapshot.pacing_until = pacing_until_;
    snapshot.provider_wait_until = provider_wait_until_;
    snapshot.provider_wait_is_daily = provider_wait_is_daily_;
    snapshot.attempts_in_window = *window;
    snapshot.daily_cap = policy_.daily_cap;
    const NextStep step = next_step(snapshot, now);

    if (step.action == NextStep::Action::stop) {
      co_await sleep_until(std::nullopt);  // until reload or shutdown
      continue;
    }
    if (step.action == NextStep::Action::sleep_until) {
      show(step.state, step.until);
      co_await sleep_until(step.until);
      continue;
    }

    auto claimed = co_await env_.claims->claim(account_, [this] { return !stop_requested_; });
    if (!claimed) {
      spdlog::error("account {}: cannot claim: {}", account_, claimed.error().message);
      co_await sleep_until(now + std::chrono::seconds(5));
      continue;
    }
    if (!*claimed) {
      auto due = next_due_at(*env_.db, account_, now);
      show(AccountState::ready, std::nullopt);
      idle_ = true;
      co_await sleep_until(due ? *due : std::nullopt);
      idle_ = false;
      continue;
    }
    busy_ = true;
    co_await process(std::move(**claimed));
    busy_ = false;
  }
  show(state_, state_until_);
  finished_ = true;
  if (env_.on_activity) env_.on_activity();
}

asio::awaitable<void> AccountWorker::process(ClaimedRecipient claim) {
  Database& db = *env_.db;
  TimePoint now = env_.now();
  const int attempt = claim.attempts + 1;
  const Duration ttl = policy_.can_dm_ttl;
  // This recipient's requests all go through the session it started with, even if a reload
  // swaps session_ meanwhile (see the header).
  const std::shared_ptr<ProviderSession> session = session_;

  // --- resolve the id and check canDm, from the cache when it is fresh (SPEC §4.2) ---
  std::string user_id = claim.user_id;
  std::optional<bool> can_dm;
  if (user_id.empty()) {
    if (auto cached = cached_user(db, claim.username, now, ttl); cached && *cached) {
      if (!(*cached)->exists) {
        co_await record(claim, Outcome::skipped(ErrorClass::not_found, 0, "user not found (cached)"), now);
        co_return;
      }
      user_id = (*cached)->user_id;
    }
  }
  if (!user_id.empty()) {
    if (auto cached = cached_can_dm(db, account_, user_id, now, ttl); cached && *cached) can_dm = **cached;
  }
  if (user_id.empty() || !can_dm) {
    LookupOutcome lookup = co_await session->lookup(claim.username, user_id, retry_context(attempt, now));
    // After a stop request no new exchange begins (the stop grace covers just one): no refresh.
    if (auto* stop = std::get_if<decision::AccountStop>(&lookup.decision); stop && stop->refreshable &&
                                                                           env_.refresh_tokens && !stop_requested_) {
      if (co_await env_.refresh_tokens(*session, account_))
        lookup = co_await session->lookup(claim.username, user_id, retry_context(attempt, env_.now()));
    }
    now = env_.now();
    if (lookup.user_id) user_id = *lookup.user_id;
    if (auto* stop = std::get_if<decision::AccountStop>(&lookup.decision); stop && stop->refreshable && stop_requested_) {
      // An expired access token met during shutdown: the next start refreshes it. Not a reason
      // to mark the account stopped, nor to use the recipient's attempt.
      co_await record(claim, back_to_queue(user_id), now);
      co_return;
    }
    if (std::holds_alternative<decision::Sent>(lookup.decision)) {
      if (!claim.username.empty() && !user_id.empty()) (void)cache_user(db, claim.username, user_id, now);
      if (lookup.can_dm && !user_id.empty()) (void)cache_can_dm(db, account_, user_id, *lookup.can_dm, now);
      can_dm = lookup.can_dm;
    } else if (auto* failed = std::get_if<decision::FailedPermanent>(&lookup.decision)) {
      if (failed->reason == ErrorClass::not_found) {
        if (!claim.username.empty()) (void)cache_user(db, claim.username, std::nullopt, now);
        co_await record(claim, Outcome::skipped(ErrorClass::not_found, lookup.http_status, failed->detail), now);
      } else if (failed->reason == ErrorClass::cannot_dm) {
        if (!user_id.empty()) (void)cache_can_dm(db, account_, user_id, false, now);
        Outcome o = Outcome::skipped(ErrorClass::cannot_dm, lookup.http_status, failed->detail);
        o.resolved_user_id = user_id;
        co_await record(claim, o, now);
      } else {
        co_await record(claim, lookup_failed(failed->reason, lookup.http_status, failed->detail), now);
      }
      co_return;
    } else if (auto* retry = std::get_if<decision::RetryLater>(&lookup.decision)) {
      co_await record(claim, lookup_retry(now + retry->delay, retry->reason, lookup.http_status, retry->detail), now);
      co_return;
    } else if (auto* wait = std::get_if<decision::RateLimitedWait>(&lookup.decision)) {
      provider_wait_until_ = wait->until;
      provider_wait_is_daily_ = wait->daily_limit;
      co_await record(claim, lookup_requeue(ErrorClass::rate_limited, lookup.http_status, wait->detail), now);
      co_return;
    } else if (auto* stop = std::get_if<decision::AccountStop>(&lookup.decision)) {
      co_await record(claim, lookup_requeue(ErrorClass::account, lookup.http_status, stop->reason), now);
      stop_account(session, stop->reason);
      co_return;
    } else if (auto* doubt = std::get_if<decision::InDoubt>(&lookup.decision)) {
      // Lookups are reads; classify never answers InDoubt for them, but be safe.
      co_await record(claim, lookup_retry(now + policy_.retry.backoff.base, ErrorClass::network, lookup.http_status,
                                 doubt->detail),
             now);
      co_return;
    }
  }
  if (can_dm && !*can_dm) {
    Outcome o = Outcome::skipped(ErrorClass::cannot_dm, 0, "recipient does not accept DMs");
    o.resolved_user_id = user_id;
    co_await record(claim, o, now);
    co_return;
  }

  // Last look before the send. A graceful stop lets the in-flight request finish but begins no
  // new one; and while a lookup was out the campaign may have been paused or cancelled, the
  // recipient suppressed, or another row of the same person sent. Unsent, the recipient goes back
  // to the queue untouched (record turns that into skipped/cancelled for a cancelled campaign).
  if (stop_requested_) {
    co_await record(claim, back_to_queue(user_id), env_.now());
    co_return;
  }
  auto gate = check_before_send(db, claim, user_id, GateRules{policy_.contact_cooldown, env_.now()});
  if (!gate) spdlog::error("account {}: cannot check the campaign before sending: {}", account_, gate.error().message);
  if (!gate || *gate == SendGate::hold) {
    co_await record(claim, back_to_queue(user_id), env_.now());
    co_return;
  }
  if (*gate != SendGate::go) {
    // Recorded straight after the gate, with no suspension between: no other gate runs meanwhile.
    ErrorClass const reason = *gate == SendGate::suppressed ? ErrorClass::suppressed
                              : *gate == SendGate::duplicate ? ErrorClass::duplicate
                                                             : ErrorClass::recently_contacted;
    Outcome o = Outcome::skipped(reason);
    o.resolved_user_id = user_id;
    co_await record(claim, o, now);
    spdlog::info("send campaign={} account={} recipient={} outcome=skipped/{}", claim.campaign, account_,
                 describe_recipient(claim), to_string(reason));
    co_return;
  }

  // --- dry run: everything but the send itself (SPEC §3) ---
  if (claim.dry_run) {
    Outcome o = Outcome::skipped(ErrorClass::dry_run);
    o.resolved_user_id = user_id;
    co_await record(claim, o, now);
    pacing_until_ = env_.now() + next_gap(policy_.pacing, env_.draw());
    co_return;
  }

  // --- send ---
  DmMessage message{user_id, claim.username, claim.text, {}};
  SendOutcome sent = co_await session->send(message, retry_context(attempt, now));
  if (auto* stop = std::get_if<decision::AccountStop>(&sent.decision); stop && stop->refreshable &&
                                                                       env_.refresh_tokens && !stop_requested_) {
    // A 401 means the DM was not accepted, so repeating it after a refresh cannot duplicate it.
    if (co_await env_.refresh_tokens(*session, account_)) sent = co_await session->send(message, retry_context(attempt, env_.now()));
  }
  const TimePoint end = env_.now();
  ProviderResult const& r = sent.result;
  Outcome outcome;
  if (auto* ok = std::get_if<decision::Sent>(&sent.decision)) {
    outcome = Outcome::sent(ok->message_id, r.http_status);
  } else if (auto* retry = std::get_if<decision::RetryLater>(&sent.decision)) {
    outcome = Outcome::retry_at(end + retry->delay, retry->reason, r.http_status, retry->detail);
  } else if (auto* failed = std::get_if<decision::FailedPermanent>(&sent.decision)) {
    outcome = Outcome::failed(failed->reason, r.http_status, failed->detail);
  } else if (auto* doubt = std::get_if<decision::InDoubt>(&sent.decision)) {
    outcome = Outcome::in_doubt(doubt->detail);
    outcome.http_status = r.http_status;
  } else if (auto* wait = std::get_if<decision::RateLimitedWait>(&sent.decision)) {
    outcome = Outcome::requeue(ErrorClass::rate_limited, r.http_status, wait->detail);
    provider_wait_until_ = wait->until;
    provider_wait_is_daily_ = wait->daily_limit;
  } else if (auto* stop = std::get_if<decision::AccountStop>(&sent.decision)) {
    outcome = Outcome::requeue(ErrorClass::account, r.http_status, stop->reason);
  }
  outcome.resolved_user_id = user_id;
  co_await record(claim, outcome, end);
  spdlog::info("send campaign={} account={} recipient={} outcome={}{}{} http={} latency={}ms", claim.campaign,
               account_, describe_recipient(claim), outcome_name(outcome),
               outcome.reason == ErrorClass::none ? "" : "/", to_string(outcome.reason), r.http_status,
               sent.latency.count());
  if (auto* stop = std::get_if<decision::AccountStop>(&sent.decision)) stop_account(session, stop->reason);
  // Pacing runs from the end of every send attempt (SPEC §4.4).
  pacing_until_ = end + next_gap(policy_.pacing, env_.draw());
}

}  // namespace outreach
