#pragma once
// The daemon's account workers by name: built from the config, brought in line with a reloaded
// one (removed accounts drain and stop, new ones start, the others take the new policy and
// credentials), and woken, stopped or shifted together. An account whose provider reads DMs
// (getxapi, x_api) also has an inbox sync (daemon/runtime/inbox_sync.hpp) sharing its session.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/runtime/account_worker.hpp"
#include "daemon/runtime/inbox_sync.hpp"
#include "daemon/runtime/status_line.hpp"

namespace outreach {

class ProviderSession;

class WorkerRegistry {
 public:
  using SessionFactory = std::function<std::shared_ptr<ProviderSession>(AccountConfig const&)>;

  WorkerRegistry(boost::asio::any_io_executor executor, WorkerEnv env, SessionFactory make_session);

  /// One worker per configured account, not started.
  void create(Config const& config);
  void start_all();
  /// A reloaded config: see the header comment.
  void apply(Config const& config);

  void wake_all();
  /// Only idle workers: the others wake on their own timers and claim it then, and waking a
  /// thousand paced workers for every retry would cost a ledger read each.
  void wake_idle();
  void request_stop_all();
  void shift_times(Duration step);
  bool all_finished() const;
  std::size_t size() const { return workers_.size(); }
  std::vector<AccountLine> lines() const;
  /// The worker of `account`, or nullptr (tests look at one).
  AccountWorker const* find(std::string const& account) const;
  /// Wakes `account`'s inbox sync (an in-doubt send waits for it).
  void wake_inbox(std::string const& account);
  /// The accounts of `config` whose inbox a sync reads (storage's abandon_unread_inbox_checks
  /// gives up the checks of all others).
  static std::vector<std::string> inbox_accounts(Config const& config);

 private:
  void add(AccountConfig const& account, Config const& config);
  std::shared_ptr<InboxSync> make_inbox(AccountConfig const& account, Config const& config,
                                        std::shared_ptr<ProviderSession> session);

  boost::asio::any_io_executor executor_;
  WorkerEnv env_;
  SessionFactory make_session_;
  std::map<std::string, std::shared_ptr<AccountWorker>> workers_;
  std::map<std::string, std::shared_ptr<InboxSync>> inboxes_;
  bool started_ = false;  ///< start_all() ran: what is added later starts at once
};

WorkerPolicy policy_for(Config const& config, AccountConfig const& account);
InboxPolicy inbox_policy_for(Config const& config);

}  // namespace outreach
