#include "daemon/runtime/inbox_sync.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <exception>

#include "core/iso_time.hpp"
#include "core/providers/provider_kind.hpp"
#include "daemon/runtime/provider_session.hpp"

namespace outreach {
namespace asio = boost::asio;
namespace {

/// A rate-limited read that names no reset time waits this long.
constexpr Duration kReadLimitFallback = std::chrono::minutes{1};
/// The storage could not be read: look again after this long.
constexpr Duration kStorageRetry = std::chrono::seconds{30};

std::string_view decision_name(InboxReadDecision const& d) {
  using namespace inbox_read;
  if (std::holds_alternative<WaitUntil>(d)) return "rate limited";
  if (std::holds_alternative<RetryLater>(d)) return "failed";
  if (std::holds_alternative<RefreshToken>(d)) return "token expired";
  if (std::holds_alternative<StopAccount>(d)) return "refused";
  if (std::holds_alternative<InboxOff>(d)) return "not allowed";
  return "ok";
}

}  // namespace

InboxSync::InboxSync(asio::any_io_executor executor, InboxSyncEnv env, std::string account,
                     std::shared_ptr<ProviderSession> session, InboxPolicy policy)
    : timer_(std::move(executor), *env.clock),
      env_(std::move(env)),
      account_(std::move(account)),
      session_(std::move(session)),
      policy_(std::move(policy)) {}

void InboxSync::start() {
  asio::co_spawn(timer_.get_executor(), [self = shared_from_this()]() { return self->run(); },
                 [self = shared_from_this()](std::exception_ptr failure) {
                   self->finished_ = true;
                   if (!failure) return;
                   try {
                     std::rethrow_exception(failure);
                   } catch (std::exception const& e) {
                     spdlog::critical("account {}: its inbox sync failed: {}", self->account_, e.what());
                   } catch (...) {
                     spdlog::critical("account {}: its inbox sync failed", self->account_);
                   }
                   if (self->env_.on_activity) self->env_.on_activity();
                 });
}

void InboxSync::wake() {
  woken_ = true;
  timer_.cancel();
}

void InboxSync::request_stop() {
  stopping_ = true;
  wake();
}

void InboxSync::update(InboxPolicy policy, std::shared_ptr<ProviderSession> session) {
  policy_ = std::move(policy);
  if (session) session_ = std::move(session);
  ++generation_;      // a walk under way used the old session: its results are dropped
  stopping_ = false;  // configured again (a reload may restore an account an earlier one removed)
  own_id_.reset();    // the new credentials may be another account's
  off_ = false;     // new credentials or scopes may allow reading now
  failures_ = 0;
  not_before_.reset();
  wake();
}

void InboxSync::shift_times(Duration step) {
  if (last_read_at_) *last_read_at_ += step;
  if (last_complete_read_at_) *last_complete_read_at_ += step;
  if (not_before_) *not_before_ += step;
  wake();
}

asio::awaitable<void> InboxSync::run() {
  auto self = shared_from_this();
  while (!stopping_) {
    woken_ = false;
    if (off_) {
      release_waiting_campaigns();  // a campaign imported meanwhile: no read will come for it
      co_await sleep_until(std::nullopt);
      continue;
    }
    TimePoint const at_now = now();
    auto facts = inbox_account_facts(*env_.db, account_, at_now, last_complete_read_at_,
                                     policy_.rules.limits.reconcile_after);
    if (!facts) {
      spdlog::error("account {}: cannot read its inbox state: {}", account_, facts.error().message);
      co_await sleep_until(at_now + kStorageRetry);
      continue;
    }
    InboxReadTriggers triggers;
    triggers.last_read_at = last_read_at_;
    triggers.has_unfinished_campaign = facts->has_unfinished_campaign;
    triggers.last_send_at = facts->last_send_at;
    triggers.check_decidable_at = facts->next_check_decidable_at;
    triggers.read_needed_at = facts->read_needed_at;
    triggers.not_before = not_before_;
    auto const due = next_inbox_read(triggers, policy_.poll, at_now);
    // A campaign that waits for a read may not wait out a read's rate limit or backoff.
    if (facts->read_needed_at && *facts->read_needed_at <= at_now && due && *due > at_now)
      release_waiting_campaigns();
    if (!due || *due > at_now) {
      co_await sleep_until(due);
      continue;
    }
    co_await walk(*facts);
  }
  finished_ = true;
  if (env_.on_activity) env_.on_activity();
}

asio::awaitable<void> InboxSync::sleep_until(std::optional<TimePoint> at) {
  if (woken_ || stopping_) co_return;
  if (at && *at <= now()) co_return;
  timer_.expires_at(at.value_or(TimePoint::max()));
  if (woken_ || stopping_) co_return;  // arming read the clock, and a step may have woken us
  (void)co_await timer_.wait();
}

asio::awaitable<bool> InboxSync::walk(InboxAccountFacts const& facts) {
  TimePoint const read_at = now();
  last_read_at_ = read_at;
  bool refreshed = false;
  // The session the whole walk goes through; a reload meanwhile (a new generation) drops the walk,
  // since its cursor and its answers belong to the credentials it began with.
  std::shared_ptr<ProviderSession> const session = session_;
  std::uint64_t const generation = generation_;
  auto superseded = [&] { return stopping_ || generation != generation_; };
  // getxapi names the account's own id on every page, so nothing stored is passed in (a session
  // swapped by a reload may belong to another account); x_api asks /2/users/me once per session.
  std::string own = session->kind() == ProviderKind::x_api && own_id_ ? *own_id_ : std::string{};

  if (own.empty() && session->kind() == ProviderKind::x_api) {
    for (;;) {
      OwnAccount me = co_await session->own_account();
      if (superseded()) co_return false;
      InboxReadDecision d = decide_inbox_read(me.result, now(), kReadLimitFallback);
      if (std::holds_alternative<inbox_read::Ok>(d) && me.user_id) {
        own = *me.user_id;
        break;
      }
      if (std::holds_alternative<inbox_read::Ok>(d))
        d = inbox_read::RetryLater{ErrorClass::server_error, "/2/users/me named no user id"};
      if (co_await read_failed(d, refreshed, *session, generation)) continue;
      co_return false;
    }
  }

  InboxWalk w;
  InboxWalkLimits limits;
  limits.horizon = read_at - policy_.poll.lookback;
  if (facts.oldest_check_at) limits.reach_back_to = *facts.oldest_check_at - kReconcileSlack;
  std::optional<std::string> cursor;
  std::optional<TimePoint> oldest_reached;
  bool end_of_history = false;
  int pages = 0;
  for (;;) {
    InboxPage page = co_await session->read_inbox(cursor, own);
    if (superseded()) co_return false;
    InboxReadDecision const d = decide_inbox_read(page.result, now(), kReadLimitFallback);
    if (!std::holds_alternative<inbox_read::Ok>(d)) {
      if (co_await read_failed(d, refreshed, *session, generation)) continue;
      co_return false;
    }
    if (page.account_id) {  // getxapi: every page names the account; all pages of a walk must agree
      if (!own.empty() && own != *page.account_id) {
        (void)co_await read_failed(
            inbox_read::RetryLater{ErrorClass::server_error, "the inbox pages named two different accounts"}, refreshed,
            *session, generation);
        co_return false;
      }
      own = *page.account_id;
    }
    ++pages;
    auto seen = any_message_seen(*env_.db, account_, page.messages);
    if (!seen) {
      spdlog::error("account {}: cannot compare its inbox with what was read before: {}", account_,
                    seen.error().message);
      (void)co_await read_failed(inbox_read::RetryLater{ErrorClass::server_error, "storage error"}, refreshed, *session,
                                 generation);
      co_return false;
    }
    std::optional<TimePoint> oldest;
    for (auto& m : page.messages) {
      if (!oldest || m.created_at < *oldest) oldest = m.created_at;
      w.messages.push_back(std::move(m));
    }
    if (oldest && (!oldest_reached || *oldest < *oldest_reached)) oldest_reached = oldest;
    if (!page.next_cursor) {
      end_of_history = true;
      break;
    }
    if (!walk_goes_on(InboxPageSeen{true, *seen, oldest}, limits)) break;
    if (pages >= kMaxInboxPagesPerRead) {
      spdlog::warn("account {}: its inbox read stopped after {} pages; the rest is read next time", account_, pages);
      break;
    }
    cursor = std::move(page.next_cursor);
  }
  if (own.empty()) {
    (void)co_await read_failed(
        inbox_read::RetryLater{ErrorClass::server_error, "the inbox answer did not name the account's own id"},
        refreshed, *session, generation);
    co_return false;
  }
  own_id_ = own;
  w.own_user_id = own;
  w.coverage = InboxCoverage{read_at, end_of_history ? std::nullopt : oldest_reached};
  // Nothing read back at all (an empty first page that is also the last): the whole history.
  auto applied_walk = apply_inbox_walk(*env_.db, account_, w, policy_.rules, now());
  if (!applied_walk) {
    spdlog::error("account {}: cannot store its inbox read: {}", account_, applied_walk.error().message);
    ++failures_;
    not_before_ = now() + inbox_read_backoff(failures_);
    release_waiting_campaigns();
    co_return false;
  }
  failures_ = 0;
  not_before_.reset();
  last_complete_read_at_ = read_at;
  spdlog::debug("account {}: inbox read, {} pages, {} messages", account_, pages, w.messages.size());
  applied(*applied_walk);
  co_return true;
}

asio::awaitable<bool> InboxSync::read_failed(InboxReadDecision const& decision, bool& refreshed,
                                             ProviderSession& session, std::uint64_t generation) {
  using namespace inbox_read;
  // An answer to credentials a reload has replaced since says nothing about the new ones.
  if (stopping_ || generation != generation_) co_return false;
  if (auto const* wait = std::get_if<WaitUntil>(&decision)) {
    not_before_ = wait->until;
    spdlog::info("account {}: inbox reads wait until {} ({}); sends go on", account_, format_iso8601(wait->until),
                 wait->detail);
  } else if (auto const* later = std::get_if<RetryLater>(&decision)) {
    ++failures_;
    Duration const backoff = inbox_read_backoff(failures_);
    not_before_ = now() + backoff;
    spdlog::warn("account {}: inbox read {}: {}; reading again in {} s", account_, decision_name(decision),
                 later->detail, std::chrono::duration_cast<std::chrono::seconds>(backoff).count());
  } else if (auto const* refresh = std::get_if<RefreshToken>(&decision)) {
    if (!refreshed) {
      refreshed = true;
      if (co_await session.refresh_tokens()) co_return !stopping_ && generation == generation_;
      if (stopping_ || generation != generation_) co_return false;
    }
    account_refused(refresh->detail);
  } else if (auto const* stop = std::get_if<StopAccount>(&decision)) {
    account_refused(stop->reason);
  } else if (auto const* refused = std::get_if<InboxOff>(&decision)) {
    off_ = true;
    if (env_.inbox_off) env_.inbox_off();
    std::string const reason = "inbox reading is off: " + refused->reason;
    spdlog::warn("account {}: {}; its in-doubt sends stay unknown, sending goes on", account_, reason);
    auto a = turn_inbox_off(*env_.db, account_, reason, now());
    if (!a) {
      spdlog::error("account {}: cannot turn its inbox off: {}", account_, a.error().message);
    } else {
      applied(*a);
    }
    co_return false;
  }
  release_waiting_campaigns();
  co_return false;
}

void InboxSync::account_refused(std::string const& reason) {
  off_ = true;  // the same credentials as the sends: until a reload
  if (env_.stop_account) env_.stop_account(reason);
}

void InboxSync::release_waiting_campaigns() {
  // A read never holds sends back for longer than one request: the campaigns that waited for this
  // one go ahead without it.
  auto released = release_campaigns_waiting_for_read(*env_.db, account_, now());
  if (!released) {
    spdlog::error("account {}: cannot release the campaigns waiting for its inbox: {}", account_,
                  released.error().message);
    return;
  }
  if (*released > 0 && env_.wake_workers) env_.wake_workers();
}

void InboxSync::applied(InboxApplied const& a) {
  if (a.replies + a.opt_outs + a.confirmed + a.absent + a.beyond_history > 0)
    spdlog::info("inbox account={} new_messages={} replies={} opt_outs={} suppressed_rows={} reconciled={} "
                 "not_delivered={} requeued={} too_old={} open_checks={}",
                 account_, a.new_messages, a.replies, a.opt_outs, a.rows_suppressed, a.confirmed, a.absent, a.requeued,
                 a.beyond_history, a.open_checks);
  if (a.wakes_workers() && env_.wake_workers) env_.wake_workers();
  if (env_.on_activity) env_.on_activity();
}

}  // namespace outreach
