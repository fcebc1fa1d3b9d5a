#pragma once
// One account's send loop (SPEC §4): a coroutine that asks core's next_step() whether it may send,
// sleeps on a timer when it may not, and otherwise claims → resolves/checks canDm (cached) → sends
// → records → paces. Storage calls are synchronous and the loop is single-threaded, so no two
// coroutines ever interleave inside a transaction. Claims are queued and committed in groups by
// ClaimCoalescer, in a turn of the loop of their own: still one transaction at a time.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/account_schedule.hpp"
#include "core/outcome.hpp"
#include "core/pacing.hpp"
#include "core/time.hpp"

namespace outreach {

class ClaimCoalescer;
class Database;
class ProviderSession;
struct ClaimedRecipient;
struct Outcome;

/// The parts of the config a worker follows; replaced as a whole on SIGHUP.
struct WorkerPolicy {
  PacingWindow pacing;
  RetryConfig retry;
  Duration can_dm_ttl{std::chrono::hours{24}};
  int daily_cap = 0;
  Duration contact_cooldown{0};  ///< [safety] contact_cooldown
};

/// What all workers share: the database, its group-committed claims, the clock, the random
/// source and a change hook.
struct WorkerEnv {
  Database* db = nullptr;
  ClaimCoalescer* claims = nullptr;  ///< every claim goes through it (one fsync per loop turn)
  std::function<TimePoint()> now;
  std::function<double()> draw;       ///< uniform in [0, 1)
  std::function<void()> on_activity;  ///< something changed (STATUS= refresh)
  std::function<void()> on_requeue;   ///< a recipient went back to the queue: wake the idle workers
  /// x_api: refreshes the account's OAuth tokens, persisting the rotated refresh token before the
  /// new access token is used; true when the session now holds a fresh access token.
  std::function<boost::asio::awaitable<bool>(ProviderSession&, std::string const& account)> refresh_tokens;
};

class AccountWorker : public std::enable_shared_from_this<AccountWorker> {
 public:
  AccountWorker(boost::asio::any_io_executor executor, WorkerEnv env, std::string account,
                std::unique_ptr<ProviderSession> session, WorkerPolicy policy);
  ~AccountWorker();

  void start();
  /// Re-evaluate now (new campaign, resume, retry, config change). Never lost: a wake that arrives
  /// while the worker is busy makes it skip its next sleep.
  void wake();
  /// Graceful stop: no new claims; an in-flight request finishes and is recorded first.
  void request_stop();
  /// SIGHUP: new policy and credentials; a stopped account starts again (SPEC §5).
  void update(WorkerPolicy policy, std::unique_ptr<ProviderSession> session);
  /// The wall clock stepped by `step`: the waits this worker keeps as wall-clock times (pacing, a
  /// provider's reset) move with it, so they end at the same real instant, and it looks again.
  void shift_times(Duration step);

  bool finished() const { return finished_; }
  bool busy() const { return busy_; }
  /// Asleep because nothing was due when it last looked (not pacing, capped or rate-limited):
  /// the one kind of sleep that a recipient put back in the queue must end.
  bool idle() const { return idle_; }
  std::string const& name() const { return account_; }
  AccountState state() const { return state_; }
  std::optional<TimePoint> state_until() const { return state_until_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> process(ClaimedRecipient claim);
  boost::asio::awaitable<void> sleep_until(std::optional<TimePoint> until);
  void show(AccountState state, std::optional<TimePoint> until, std::optional<std::string> last_error = std::nullopt);
  /// Records the outcome, retrying a failed write (full disk, lock held past busy_timeout) with
  /// backoff until it lands or the daemon stops.
  boost::asio::awaitable<void> record(ClaimedRecipient const& claim, Outcome outcome, TimePoint now);
  /// Marks the account stopped, unless `used` (the session the refused request went through) was
  /// replaced by a reload meanwhile.
  void stop_account(std::shared_ptr<ProviderSession> const& used, std::string reason);
  RetryContext retry_context(int attempt, TimePoint now);

  boost::asio::steady_timer timer_;
  WorkerEnv env_;
  std::string account_;
  // Shared, not unique: a SIGHUP may replace the session while process() is suspended inside one of
  // its requests, and that coroutine keeps its own reference until the request is recorded (a
  // unique_ptr here freed the session under the in-flight request: a use-after-free).
  std::shared_ptr<ProviderSession> session_;
  WorkerPolicy policy_;

  TimePoint pacing_until_{};
  TimePoint provider_wait_until_{};
  bool provider_wait_is_daily_ = false;
  bool stopped_ = false;
  bool stop_requested_ = false;
  bool woken_ = false;
  bool busy_ = false;
  bool idle_ = false;
  bool finished_ = false;
  AccountState state_ = AccountState::ready;
  std::optional<TimePoint> state_until_;
};

}  // namespace outreach
