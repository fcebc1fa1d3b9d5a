#pragma once
// Group commit for claims. A claim must be durable before its request goes out (storage/queue.hpp),
// which costs one fsync; a single account's claim + record cycle therefore cannot beat the disk's
// raw durable-commit rate. Accounts are independent, though: every account that asks for a claim
// in the same turn of the event loop joins one claim_batch transaction, so one fsync covers all of
// them. While that fsync runs the loop is blocked and more accounts become ready, so the batches
// grow with the load by themselves: nobody waits for a batch to fill (no added latency when idle).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace outreach {

class Database;
struct ClaimedRecipient;

class ClaimCoalescer {
 public:
  ClaimCoalescer(boost::asio::any_io_executor executor, Database& db, std::function<TimePoint()> now);
  ~ClaimCoalescer();
  ClaimCoalescer(ClaimCoalescer const&) = delete;
  ClaimCoalescer& operator=(ClaimCoalescer const&) = delete;

  /// The account's next due recipient, durably marked `sending` (nullopt: nothing due), committed
  /// together with the other claims asked for in this turn of the loop. `still_wanted` is asked
  /// just before the batch runs: a worker told to stop meanwhile gets nothing, rather than a claim
  /// it would then have to send. At most one claim per account may be outstanding.
  boost::asio::awaitable<Result<std::optional<ClaimedRecipient>>> claim(std::string account,
                                                                        std::function<bool()> still_wanted);

  struct Stats {
    std::int64_t claims = 0;   ///< accounts served (with or without a recipient)
    std::int64_t commits = 0;  ///< durable transactions used for them
    std::size_t largest = 0;   ///< the most accounts in one transaction
  };
  Stats stats() const { return stats_; }

 private:
  struct Waiter;
  void flush();
  void run_batch(std::vector<std::shared_ptr<Waiter>> const& batch);

  boost::asio::any_io_executor executor_;
  Database& db_;
  std::function<TimePoint()> now_;
  std::vector<std::shared_ptr<Waiter>> pending_;
  bool flush_posted_ = false;
  Stats stats_;
};

}  // namespace outreach
