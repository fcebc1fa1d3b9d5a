#pragma once
// One account's send loop: a coroutine that performs what core's SendMachine asks — read the
// ledger, claim, read a cache, look up, check the gate, send, record, sleep — and feeds back what
// came of it. The rules live in the machine; this file only does I/O. Storage calls are
// synchronous and the loop is single-threaded, so no two workers ever interleave inside a
// transaction; claims go through ClaimCoalescer, which commits them in groups.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/account_schedule.hpp"
#include "core/send_machine.hpp"
#include "core/time.hpp"
#include "daemon/runtime/clock.hpp"

namespace outreach {

class ClaimCoalescer;
class Database;
class ProviderSession;

/// The parts of the config a worker follows; replaced as a whole on reload.
struct WorkerPolicy {
  PacingWindow pacing;
  RetryConfig retry;
  Duration can_dm_ttl{std::chrono::hours{24}};
  int daily_cap = 0;
  Duration contact_cooldown{0};  ///< [safety] contact_cooldown
  bool reads_inbox = false;      ///< an inbox sync runs for the account (daemon/runtime/inbox_sync.hpp)
};

/// What all workers share: the database, its group-committed claims, the clock, the random
/// source and two hooks.
struct WorkerEnv {
  Database* db = nullptr;
  ClaimCoalescer* claims = nullptr;  ///< every claim goes through it (one fsync per loop turn)
  Clock* clock = nullptr;
  std::function<double()> draw;       ///< uniform in [0, 1)
  std::function<void()> on_activity;  ///< something changed (STATUS= refresh, a stop may finish)
  std::function<void()> on_requeue;   ///< a recipient went back to the queue: wake the idle workers
  /// A send's delivery is in doubt and waits for a check of `account`'s inbox: wake its sync.
  std::function<void(std::string const& account)> on_inbox_check;
};

class AccountWorker : public std::enable_shared_from_this<AccountWorker> {
 public:
  AccountWorker(boost::asio::any_io_executor executor, WorkerEnv env, std::string account,
                std::shared_ptr<ProviderSession> session, WorkerPolicy policy);
  ~AccountWorker();

  void start();
  /// Re-evaluate now (new campaign, resume, retry, config change). Never lost: a wake that arrives
  /// while the worker is busy makes it skip its next sleep.
  void wake();
  /// Graceful stop: no new claims; an in-flight request finishes and is recorded first.
  void request_stop();
  /// Reload: new policy and credentials; a stopped account starts again.
  void update(WorkerPolicy policy, std::shared_ptr<ProviderSession> session);
  /// The wall clock stepped by `step`: the waits kept as wall-clock times move with it.
  void shift_times(Duration step);
  /// The inbox sync met the account's credentials refused: stop as a send would.
  void stop_from_inbox(std::string const& reason);
  /// The inbox sync turned the account's inbox off: no more inbox checks for its sends.
  void inbox_off() { machine_.inbox_off(); }

  bool finished() const { return machine_.phase() == SendPhase::finished; }
  bool busy() const { return machine_.busy(); }
  /// Asleep because nothing was due when it last looked (not pacing, capped or rate-limited).
  bool idle() const { return machine_.phase() == SendPhase::idle; }
  std::string const& name() const { return account_; }
  AccountState state() const { return state_; }
  std::optional<TimePoint> state_until() const { return state_until_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<SendEvent> perform(SendAction const& action);
  send_event::Looked look();
  boost::asio::awaitable<SendEvent> claim();
  SendEvent read_user_cache(send_action::ReadUserCache const& a);
  SendEvent read_can_dm_cache(send_action::ReadCanDmCache const& a);
  boost::asio::awaitable<SendEvent> look_up(send_action::LookUp const& a);
  void cache_lookup(send_action::CacheLookup const& a);
  SendEvent check_gate(send_action::CheckGate const& a);
  boost::asio::awaitable<SendEvent> send(send_action::Send const& a);
  SendEvent record(send_action::Record const& a);
  void stop_account(send_action::StopAccount const& a);
  boost::asio::awaitable<SendEvent> sleep(send_action::Sleep const& a);
  void show(AccountState state, std::optional<TimePoint> until, std::optional<std::string> last_error = std::nullopt);
  void failed(std::string const& what);
  RetryContext retry_context(int attempt);
  SendRules rules() const;
  TimePoint now() { return env_.clock->now(); }

  Timer timer_;
  WorkerEnv env_;
  std::string account_;
  // Shared, not unique: a reload may replace the session while a request is out, and the
  // recipient's requests all go through the session it started with (flow_session_).
  std::shared_ptr<ProviderSession> session_;
  std::shared_ptr<ProviderSession> flow_session_;
  WorkerPolicy policy_;
  SendMachine machine_;
  std::vector<TimePoint> window_;  ///< the ledger read by the last look
  bool woken_ = false;             ///< a wake came while not asleep: skip the next sleep
  AccountState state_ = AccountState::ready;
  std::optional<TimePoint> state_until_;
};

}  // namespace outreach
