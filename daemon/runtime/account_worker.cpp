#include "daemon/runtime/account_worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <exception>

#include "daemon/runtime/claim_coalescer.hpp"
#include "daemon/runtime/provider_session.hpp"
#include "storage/accounts.hpp"
#include "storage/caches.hpp"
#include "storage/ledger.hpp"
#include "storage/queue.hpp"

namespace outreach {
namespace asio = boost::asio;

AccountWorker::AccountWorker(asio::any_io_executor executor, WorkerEnv env, std::string account,
                             std::shared_ptr<ProviderSession> session, WorkerPolicy policy)
    : timer_(std::move(executor), *env.clock),
      env_(std::move(env)),
      account_(std::move(account)),
      session_(std::move(session)),
      policy_(policy),
      machine_(rules()) {}

AccountWorker::~AccountWorker() = default;

SendRules AccountWorker::rules() const {
  return SendRules{policy_.pacing, policy_.daily_cap, policy_.retry.backoff.base, policy_.reads_inbox};
}

RetryContext AccountWorker::retry_context(int attempt) {
  return RetryContext{attempt, policy_.retry.max_attempts, policy_.retry.backoff, env_.draw(), now()};
}

void AccountWorker::start() {
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
                   self->failed(what);
                 });
}

void AccountWorker::failed(std::string const& what) {
  spdlog::critical("account {}: its send loop failed: {}", account_, what);
  machine_.abandon();
  show(AccountState::stopped, std::nullopt, "internal error: " + what);
  if (env_.on_activity) env_.on_activity();
}

void AccountWorker::wake() {
  woken_ = true;
  timer_.cancel();
}

void AccountWorker::request_stop() {
  machine_.request_stop();
  wake();
}

void AccountWorker::update(WorkerPolicy policy, std::shared_ptr<ProviderSession> session) {
  policy_ = policy;
  if (session) session_ = std::move(session);
  machine_.reload(rules());
  wake();
}

void AccountWorker::shift_times(Duration step) {
  machine_.shift_times(step);
  wake();
}

void AccountWorker::stop_from_inbox(std::string const& reason) {
  machine_.account_refused();
  stop_account(send_action::StopAccount{"inbox read: " + reason, false});
  wake();  // asleep, it would not see the stop until its timer
}

// ---- the send path: perform what the machine asks, feed back what came of it -----------------

asio::awaitable<void> AccountWorker::run() {
  auto self = shared_from_this();  // keep alive while the coroutine runs
  auto window = ledger_window(*env_.db, account_, now());
  std::optional<TimePoint> last = window && !window->empty() ? std::optional(window->back()) : std::nullopt;
  SendAction action = machine_.start(last);
  while (!std::holds_alternative<send_action::Finish>(action)) action = machine_.next(co_await perform(action));
  show(state_, state_until_);
  if (env_.on_activity) env_.on_activity();
}

asio::awaitable<SendEvent> AccountWorker::perform(SendAction const& action) {
  using namespace send_action;
  if (std::holds_alternative<Look>(action)) co_return look();
  if (std::holds_alternative<Claim>(action)) co_return co_await claim();
  if (std::holds_alternative<ReadNextDue>(action)) {
    auto due = next_due_at(*env_.db, account_, now());
    co_return send_event::NextDue{due ? *due : std::nullopt};
  }
  if (auto const* a = std::get_if<Sleep>(&action)) co_return co_await sleep(*a);
  if (auto const* a = std::get_if<ReadUserCache>(&action)) co_return read_user_cache(*a);
  if (auto const* a = std::get_if<ReadCanDmCache>(&action)) co_return read_can_dm_cache(*a);
  if (auto const* a = std::get_if<LookUp>(&action)) co_return co_await look_up(*a);
  if (std::holds_alternative<RefreshToken>(action)) {
    bool const ok = co_await flow_session_->refresh_tokens();
    co_return send_event::TokenRefreshed{ok, now()};
  }
  if (auto const* a = std::get_if<CacheLookup>(&action)) cache_lookup(*a);
  if (auto const* a = std::get_if<CheckGate>(&action)) co_return check_gate(*a);
  if (auto const* a = std::get_if<Send>(&action)) co_return co_await send(*a);
  if (auto const* a = std::get_if<Record>(&action)) co_return record(*a);
  if (auto const* a = std::get_if<StopAccount>(&action)) stop_account(*a);
  co_return send_event::Done{};
}

send_event::Looked AccountWorker::look() {
  woken_ = false;  // this look sees whatever the wake was about
  // One reading for both: a clock step it reports has moved the ledger before it is read.
  TimePoint const at = now();
  auto window = ledger_window(*env_.db, account_, at);
  if (!window) spdlog::error("account {}: cannot read its send ledger: {}", account_, window.error().message);
  window_ = window ? std::move(*window) : std::vector<TimePoint>{};
  return send_event::Looked{window_, at, !window.has_value()};
}

asio::awaitable<SendEvent> AccountWorker::claim() {
  auto claimed = co_await env_.claims->claim(account_, [this] { return !machine_.stopping(); });
  if (!claimed) {
    spdlog::error("account {}: cannot claim: {}", account_, claimed.error().message);
    co_return send_event::StorageFailed{now()};
  }
  flow_session_ = session_;  // this recipient's requests all go through the session it starts with
  co_return send_event::Claimed{std::move(*claimed)};
}

SendEvent AccountWorker::read_user_cache(send_action::ReadUserCache const& a) {
  auto cached = cached_user(*env_.db, a.username, now(), policy_.can_dm_ttl);
  if (!cached || !*cached) return send_event::UserCacheRead{};  // a miss: the lookup asks the provider
  return send_event::UserCacheRead{CachedUserAnswer{(*cached)->exists, (*cached)->user_id}};
}

SendEvent AccountWorker::read_can_dm_cache(send_action::ReadCanDmCache const& a) {
  auto cached = cached_can_dm(*env_.db, account_, a.user_id, now(), policy_.can_dm_ttl);
  return send_event::CanDmCacheRead{cached ? *cached : std::nullopt};
}

asio::awaitable<SendEvent> AccountWorker::look_up(send_action::LookUp const& a) {
  LookupAnswer answer = co_await flow_session_->lookup(a.username, a.user_id, retry_context(a.attempt));
  co_return send_event::LookedUp{std::move(answer), now()};
}

void AccountWorker::cache_lookup(send_action::CacheLookup const& a) {
  // A cache that cannot be written costs a lookup later, nothing more: logged, not fatal.
  auto warn = [&](Result<void> const& r) {
    if (!r) spdlog::warn("account {}: cannot cache a lookup: {}", account_, r.error().message);
  };
  if (a.user_known) warn(cache_user(*env_.db, a.username, a.user_id, now()));
  if (a.can_dm) warn(cache_can_dm(*env_.db, account_, a.can_dm_user_id, *a.can_dm, now()));
}

SendEvent AccountWorker::check_gate(send_action::CheckGate const& a) {
  auto gate = check_before_send(*env_.db, *machine_.current(), a.user_id, GateRules{policy_.contact_cooldown, now()});
  if (!gate) spdlog::error("account {}: cannot check the campaign before sending: {}", account_, gate.error().message);
  return send_event::GateChecked{gate ? std::optional(*gate) : std::nullopt, now()};
}

asio::awaitable<SendEvent> AccountWorker::send(send_action::Send const& a) {
  SendAnswer answer = co_await flow_session_->send(a.message, retry_context(a.attempt));
  TimePoint const end = now();
  co_return send_event::Sent{std::move(answer), end, env_.draw()};
}

SendEvent AccountWorker::record(send_action::Record const& a) {
  ClaimedRecipient const& claim = *machine_.current();
  auto r = record_outcome(*env_.db, claim, a.outcome, a.at);
  RecordResult result = RecordResult::landed;
  if (r) {
    if (a.log_line)
      spdlog::info("send campaign={} account={} recipient={} outcome={}{}{} http={} latency={}ms", claim.campaign,
                   account_, describe_recipient(claim), outcome_name(a.outcome),
                   a.outcome.reason == ErrorClass::none ? "" : "/", to_string(a.outcome.reason), a.outcome.http_status,
                   a.latency.count());
    if (env_.on_activity) env_.on_activity();
    if (a.wakes_others && env_.on_requeue) env_.on_requeue();
    if (a.outcome.check_inbox && env_.on_inbox_check) env_.on_inbox_check(account_);
  } else if (!r.error().environmental) {
    // Not the disk but the record itself: the row is no longer `sending` for this account (a
    // second daemon's recovery made it unknown, say) or the outcome is invalid. Retrying cannot
    // help and would freeze the account, so say it once and go on.
    result = RecordResult::impossible;
    spdlog::error("campaign {} account {} recipient {}: cannot record outcome {}: {}; giving up on this record",
                  claim.campaign, account_, describe_recipient(claim), outcome_name(a.outcome), r.error().message);
  } else {
    result = RecordResult::environmental;
    if (machine_.stopping())
      spdlog::error("campaign {} account {} recipient {}: cannot record outcome: {}; stopping, so it stays "
                    "'sending' and becomes unknown/in_doubt at the next start",
                    claim.campaign, account_, describe_recipient(claim), r.error().message);
    else
      spdlog::error("campaign {} account {} recipient {}: cannot record outcome: {}; trying again in {} s",
                    claim.campaign, account_, describe_recipient(claim), r.error().message,
                    std::chrono::duration_cast<std::chrono::seconds>(
                        record_retry_delay(machine_.record_retries() + 1)).count());
  }
  return send_event::Recorded{result, now(), env_.draw()};
}

void AccountWorker::stop_account(send_action::StopAccount const& a) {
  if (a.superseded) {
    spdlog::warn("account {}: {} (with the credentials from before the reload; trying the new ones)", account_,
                 a.reason);
    return;
  }
  // systemd copies LoadCredential= files only at start, so a fixed credential file needs a restart.
  spdlog::error("account {} stopped: {} (fix the config, then `systemctl reload outreachd`; a fixed credential "
                "file needs `systemctl restart outreachd`)",
                account_, a.reason);
  show(AccountState::stopped, std::nullopt, a.reason);
}

asio::awaitable<SendEvent> AccountWorker::sleep(send_action::Sleep const& a) {
  if (a.shown) show(*a.shown, a.shown_until);
  // A wake meant for the main loop must not cut a record's backoff into a busy loop.
  if (machine_.phase() == SendPhase::record_backoff) woken_ = false;
  if (woken_ || machine_.stopping()) co_return send_event::Woke{};
  if (a.until && *a.until <= now()) co_return send_event::Woke{};
  timer_.expires_at(a.until.value_or(TimePoint::max()));
  // Arming read the clock, and a step it reported woke this worker with its waits moved: the
  // deadline just armed is in the old frame, so look again instead of sleeping on it.
  if (woken_ || machine_.stopping()) co_return send_event::Woke{};
  (void)co_await timer_.wait();
  co_return send_event::Woke{};
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

}  // namespace outreach
