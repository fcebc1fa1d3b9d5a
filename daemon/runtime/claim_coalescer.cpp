#include "daemon/runtime/claim_coalescer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "storage/queue.hpp"

namespace outreach {
namespace asio = boost::asio;

struct ClaimCoalescer::Waiter {
  Waiter(asio::any_io_executor executor, std::string name, std::function<bool()> wanted)
      : account(std::move(name)), still_wanted(std::move(wanted)), ready(std::move(executor)) {}

  std::string account;
  std::function<bool()> still_wanted;
  // Never expires on its own: cancelled once `result` is set, which ends the worker's wait.
  asio::steady_timer ready;
  std::optional<Result<std::optional<ClaimedRecipient>>> result;
};

ClaimCoalescer::ClaimCoalescer(asio::any_io_executor executor, Database& db, std::function<TimePoint()> now)
    : executor_(std::move(executor)), db_(db), now_(std::move(now)) {}

ClaimCoalescer::~ClaimCoalescer() = default;

asio::awaitable<Result<std::optional<ClaimedRecipient>>> ClaimCoalescer::claim(std::string account,
                                                                                std::function<bool()> still_wanted) {
  auto waiter = std::make_shared<Waiter>(executor_, std::move(account), std::move(still_wanted));
  waiter->ready.expires_at(asio::steady_timer::time_point::max());
  pending_.push_back(waiter);
  if (!flush_posted_) {
    // Posted, not run here: the accounts whose turn comes later in this loop iteration (other
    // completions already queued) join the same transaction.
    flush_posted_ = true;
    asio::post(executor_, [this] { flush(); });
  }
  while (!waiter->result) co_await waiter->ready.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(*waiter->result);
}

void ClaimCoalescer::flush() {
  flush_posted_ = false;
  std::vector<std::shared_ptr<Waiter>> batch;
  std::vector<std::shared_ptr<Waiter>> later;  // a second claim for an account already in the batch
  std::set<std::string_view> accounts;
  for (auto& waiter : std::exchange(pending_, {})) {
    if (waiter->still_wanted && !waiter->still_wanted()) {
      waiter->result = std::optional<ClaimedRecipient>();
      waiter->ready.cancel();
    } else if (accounts.insert(waiter->account).second) {
      batch.push_back(std::move(waiter));
    } else {
      later.push_back(std::move(waiter));
    }
  }
  if (!later.empty()) {
    pending_ = std::move(later);
    flush_posted_ = true;
    asio::post(executor_, [this] { flush(); });
  }
  if (batch.empty()) return;
  run_batch(batch);
  for (auto& waiter : batch) waiter->ready.cancel();
}

void ClaimCoalescer::run_batch(std::vector<std::shared_ptr<Waiter>> const& batch) {
  std::vector<std::string> names;
  names.reserve(batch.size());
  for (auto const& waiter : batch) names.push_back(waiter->account);
  TimePoint const now = now_();
  auto claims = claim_batch(db_, names, now);
  stats_.claims += static_cast<std::int64_t>(batch.size());
  stats_.largest = std::max(stats_.largest, batch.size());
  if (claims) {
    ++stats_.commits;
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move((*claims)[i]);
    return;
  }
  if (batch.size() == 1) {
    ++stats_.commits;
    batch.front()->result = claims.error();
    return;
  }
  // The whole batch rolled back. Claim one by one, so that one account's problem (an error that
  // names it) cannot hold back the others; a problem of the database itself fails them all alike.
  for (auto const& waiter : batch) {
    ++stats_.commits;
    waiter->result = claim_next(db_, waiter->account, now);
  }
}

}  // namespace outreach
