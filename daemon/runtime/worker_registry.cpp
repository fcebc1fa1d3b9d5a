#include "daemon/runtime/worker_registry.hpp"

namespace outreach {

WorkerPolicy policy_for(Config const& config, AccountConfig const& account) {
  return WorkerPolicy{config.pacing, config.retry, config.can_dm.cache_ttl, account.effective_cap,
                      config.safety.contact_cooldown};
}

WorkerRegistry::WorkerRegistry(boost::asio::any_io_executor executor, WorkerEnv env, SessionFactory make_session)
    : executor_(std::move(executor)), env_(std::move(env)), make_session_(std::move(make_session)) {}

void WorkerRegistry::add(AccountConfig const& account, Config const& config) {
  workers_[account.name] = std::make_shared<AccountWorker>(executor_, env_, account.name, make_session_(account),
                                                           policy_for(config, account));
}

void WorkerRegistry::create(Config const& config) {
  for (auto const& account : config.accounts) add(account, config);
}

void WorkerRegistry::start_all() {
  for (auto& [_, worker] : workers_) worker->start();
}

void WorkerRegistry::apply(Config const& config) {
  for (auto& [name, worker] : workers_)
    if (!config.find_account(name)) worker->request_stop();
  for (auto const& account : config.accounts) {
    auto it = workers_.find(account.name);
    if (it == workers_.end() || it->second->finished()) {
      add(account, config);
      workers_[account.name]->start();
    } else {
      it->second->update(policy_for(config, account), make_session_(account));
    }
  }
}

void WorkerRegistry::wake_all() {
  for (auto& [_, worker] : workers_) worker->wake();
}

void WorkerRegistry::wake_idle() {
  for (auto& [_, worker] : workers_)
    if (worker->idle()) worker->wake();
}

void WorkerRegistry::request_stop_all() {
  for (auto& [_, worker] : workers_) worker->request_stop();
}

void WorkerRegistry::shift_times(Duration step) {
  for (auto& [_, worker] : workers_) worker->shift_times(step);
}

bool WorkerRegistry::all_finished() const {
  for (auto const& [_, worker] : workers_)
    if (!worker->finished()) return false;
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
