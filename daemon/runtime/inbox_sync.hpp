#pragma once
// One account's inbox sync (docs/send-rules.md#the-inbox): a coroutine beside the account's send
// loop, for getxapi and x_api accounts. It reads the account's DM history when core's
// next_inbox_read() says so (the poll, a campaign waiting for its first claim, a check that has
// become decidable, start-up), walks the pages as far as walk_goes_on() says, and hands the walk to
// storage's apply_inbox_walk(), which records replies and opt-outs and settles in-doubt sends.
//
// A read is a provider call of its own: it goes over its own connection (the HTTP client pools
// them), so it never holds a send back; a 429 delays reads only; a read-only refusal turns the
// inbox off (until a reload) and sending goes on; refused credentials stop the account as a send
// would (through `stop_account`). Reads never touch the send ledger.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/inbox_read.hpp"
#include "core/inbox_walk.hpp"
#include "core/time.hpp"
#include "daemon/runtime/clock.hpp"
#include "storage/inbox.hpp"

namespace outreach {

class Database;
class ProviderSession;

/// `[inbox]` as the sync follows it; replaced as a whole on reload.
struct InboxPolicy {
  InboxPollPolicy poll;
  InboxRules rules;
};

struct InboxSyncEnv {
  Database* db = nullptr;
  Clock* clock = nullptr;
  std::function<void()> wake_workers;                      ///< something became claimable
  std::function<void(std::string const&)> stop_account;   ///< the read met refused credentials
  std::function<void()> inbox_off;                         ///< reading refused: no more checks for sends
  std::function<void()> on_activity;                       ///< views changed (STATUS= refresh)
};

class InboxSync : public std::enable_shared_from_this<InboxSync> {
 public:
  InboxSync(boost::asio::any_io_executor executor, InboxSyncEnv env, std::string account,
            std::shared_ptr<ProviderSession> session, InboxPolicy policy);

  void start();
  /// Look at the account again (a campaign imported or resumed, an in-doubt send recorded).
  void wake();
  /// No new read; a request in flight finishes and its walk is dropped (the next start reads again).
  void request_stop();
  /// Reload: new policy and credentials; an inbox turned off is tried again.
  void update(InboxPolicy policy, std::shared_ptr<ProviderSession> session);
  void shift_times(Duration step);

  bool finished() const { return finished_; }

 private:
  boost::asio::awaitable<void> run();
  /// One walk; false when it did not complete (its answer decided what happens next).
  boost::asio::awaitable<bool> walk(InboxAccountFacts const& facts);
  /// Acts on a read's decision other than Ok. Returns true when the same request should be repeated
  /// (after a successful token refresh).
  boost::asio::awaitable<bool> read_failed(InboxReadDecision const& decision, bool& refreshed,
                                           ProviderSession& session, std::uint64_t generation);
  /// The read met the account's credentials refused: the account stops, as a send would make it.
  void account_refused(std::string const& reason);
  boost::asio::awaitable<void> sleep_until(std::optional<TimePoint> at);
  void release_waiting_campaigns();
  void applied(InboxApplied const& a);
  TimePoint now() { return env_.clock->now(); }

  Timer timer_;
  InboxSyncEnv env_;
  std::string account_;
  std::shared_ptr<ProviderSession> session_;
  InboxPolicy policy_;
  std::optional<TimePoint> last_read_at_;           ///< the last walk begun (the poll counts from it)
  std::optional<TimePoint> last_complete_read_at_;  ///< the last walk stored (checks older than it were seen)
  std::optional<TimePoint> not_before_;  ///< a rate limit on reads, or a failed read's backoff
  int failures_ = 0;                     ///< failed reads in a row
  std::optional<std::string> own_id_;
  bool woken_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool off_ = false;  ///< reading refused until a reload
  std::uint64_t generation_ = 0;  ///< bumped by every reload
};

}  // namespace outreach
