#include "daemon/runtime/worker_registry.hpp"

#include "core/providers/provider_kind.hpp"

namespace outreach {

WorkerPolicy policy_for(Config const& config, AccountConfig const& account) {
  return WorkerPolicy{config.pacing, config.retry, config.can_dm.cache_ttl, account.effective_cap,
                      config.safety.contact_cooldown, reads_inbox(account.provider)};
}

InboxPolicy inbox_policy_for(Config const& config) {
  InboxPolicy p;
  p.poll.poll_interval = config.inbox.poll_interval;
  p.poll.lookback = config.inbox.lookback;
  p.rules.limits.reconcile_after = config.inbox.reconcile_after;
  p.rules.limits.lookback = config.inbox.lookback;
  p.rules.requeue_unconfirmed = config.inbox.requeue_unconfirmed;
  p.rules.opt_out_keywords = config.inbox.opt_out_keywords;
  return p;
}

WorkerRegistry::WorkerRegistry(boost::asio::any_io_executor executor, WorkerEnv env, SessionFactory make_session)
    : executor_(std::move(executor)), env_(std::move(env)), make_session_(std::move(make_session)) {
  env_.on_inbox_check = [this](std::string const& account) { wake_inbox(account); };
}

std::shared_ptr<InboxSync> WorkerRegistry::make_inbox(AccountConfig const& account, Config const& config,
                                                      std::shared_ptr<ProviderSession> session) {
  InboxSyncEnv env;
  env.db = env_.db;
  env.clock = env_.clock;
  env.on_activity = env_.on_activity;
  env.wake_workers = env_.on_requeue;
  std::string const name = account.name;
  env.stop_account = [this, name](std::string const& reason) {
    if (auto it = workers_.find(name); it != workers_.end()) it->second->stop_from_inbox(reason);
  };
  env.inbox_off = [this, name] {
    if (auto it = workers_.find(name); it != workers_.end()) it->second->inbox_off();
  };
  return std::make_shared<InboxSync>(executor_, std::move(env), account.name, std::move(session),
                                     inbox_policy_for(config));
}

void WorkerRegistry::add(AccountConfig const& account, Config const& config) {
  auto session = make_session_(account);
  workers_[account.name] = std::make_shared<AccountWorker>(executor_, env_, account.name, session,
                                                           policy_for(config, account));
  if (!reads_inbox(account.provider)) return;
  // A sync still running (its worker ended by a failure) is brought in line, never duplicated.
  if (auto in = inboxes_.find(account.name); in != inboxes_.end() && !in->second->finished()) {
    in->second->update(inbox_policy_for(config), session);
    return;
  }
  auto inbox = make_inbox(account, config, session);
  inboxes_[account.name] = inbox;
  if (started_) inbox->start();
}

void WorkerRegistry::create(Config const& config) {
  for (auto const& account : config.accounts) add(account, config);
}

void WorkerRegistry::start_all() {
  started_ = true;
  for (auto& [_, worker] : workers_) worker->start();
  for (auto& [_, inbox] : inboxes_) inbox->start();
}

void WorkerRegistry::apply(Config const& config) {
  for (auto& [name, worker] : workers_)
    if (!config.find_account(name)) worker->request_stop();
  for (auto& [name, inbox] : inboxes_) {
    auto const* account = config.find_account(name);
    if (!account || !reads_inbox(account->provider)) inbox->request_stop();
  }
  for (auto const& account : config.accounts) {
    auto it = workers_.find(account.name);
    if (it == workers_.end() || it->second->finished()) {
      add(account, config);
      workers_[account.name]->start();
      continue;
    }
    auto session = make_session_(account);
    it->second->update(policy_for(config, account), session);
    if (!reads_inbox(account.provider)) continue;
    auto in = inboxes_.find(account.name);
    if (in != inboxes_.end() && !in->second->finished()) {
      in->second->update(inbox_policy_for(config), session);
    } else {
      inboxes_[account.name] = make_inbox(account, config, session);
      inboxes_[account.name]->start();
    }
  }
}

std::vector<std::string> WorkerRegistry::inbox_accounts(Config const& config) {
  std::vector<std::string> out;
  for (auto const& account : config.accounts)
    if (reads_inbox(account.provider)) out.push_back(account.name);
  return out;
}

void WorkerRegistry::wake_all() {
  for (auto& [_, worker] : workers_) worker->wake();
  for (auto& [_, inbox] : inboxes_) inbox->wake();
}

void WorkerRegistry::wake_idle() {
  for (auto& [_, worker] : workers_)
    if (worker->idle()) worker->wake();
}

void WorkerRegistry::wake_inbox(std::string const& account) {
  if (auto it = inboxes_.find(account); it != inboxes_.end()) it->second->wake();
}

void WorkerRegistry::request_stop_all() {
  for (auto& [_, worker] : workers_) worker->request_stop();
  for (auto& [_, inbox] : inboxes_) inbox->request_stop();
}

void WorkerRegistry::shift_times(Duration step) {
  for (auto& [_, worker] : workers_) worker->shift_times(step);
  for (auto& [_, inbox] : inboxes_) inbox->shift_times(step);
}

bool WorkerRegistry::all_finished() const {
  for (auto const& [_, worker] : workers_)
    if (!worker->finished()) return false;
  for (auto const& [_, inbox] : inboxes_)
    if (!inbox->finished()) return false;
  return true;
}

std::vector<AccountLine> WorkerRegistry::lines() const {
  std::vector<AccountLine> out;
  for (auto const& [name, worker] : workers_) out.push_back({name, worker->state(), worker->state_until()});
  return out;
}

AccountWorker const* WorkerRegistry::find(std::string const& account) const {
  auto it = workers_.find(account);
  return it == workers_.end() ? nullptr : it->second.get();
}

}  // namespace outreach
