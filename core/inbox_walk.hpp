#pragma once
// When an account's inbox is read, and how far back one read goes (docs/send-rules.md#the-inbox).
// Pure: the driver (daemon/runtime/inbox_sync.cpp) reads pages and asks these two questions.
//
// When. An account is read:
//   - every poll_interval while it has a campaign that is not done or cancelled, and for
//     `lookback` after its last send (a "stop" that arrives between campaigns is still seen);
//     poll_interval 0 turns the poll off, not the other reads;
//   - at start-up (no read yet in this process), when anything of the above or a check calls for it;
//   - as soon as a campaign that has just become active needs its read before its first claim;
//   - when an in-doubt send's check becomes decidable (its attempt + reconcile_after);
//   - never sooner than a rate limit on reads allows, nor sooner than a failed read's backoff.
//
// How far. Pages come newest first. A read stops after the page that holds a message already seen
// (everything older was read before), or that reaches back past `lookback`, or that is the last
// page; but while checks are open it goes on until it reaches back to the oldest of them (an
// attempt's start minus the reconcile slack), so that one walk settles every open check at once
// instead of a read per check.
#include <optional>

#include "core/time.hpp"

namespace outreach {

struct InboxReadTriggers {
  std::optional<TimePoint> last_read_at;       ///< the last read this process made (completed or not)
  bool has_unfinished_campaign = false;        ///< a campaign of the account is not done or cancelled
  std::optional<TimePoint> last_send_at;       ///< the account's latest known send
  std::optional<TimePoint> check_decidable_at; ///< the earliest open check's attempt + reconcile_after
  std::optional<TimePoint> read_needed_at;     ///< a campaign waits for a read before its first claim
  std::optional<TimePoint> not_before;         ///< a rate limit on reads, or a failed read's backoff
};

struct InboxPollPolicy {
  Duration poll_interval{std::chrono::minutes{10}};
  Duration lookback{std::chrono::days{7}};
};

/// The next read's time, at least `now`; nullopt when nothing calls for one (the driver sleeps
/// until something changes).
std::optional<TimePoint> next_inbox_read(InboxReadTriggers const& t, InboxPollPolicy const& policy, TimePoint now);

struct InboxWalkLimits {
  TimePoint horizon;                         ///< read_at - lookback: never further back
  std::optional<TimePoint> reach_back_to;    ///< open checks: reach at least this far back
};

/// What one page showed.
struct InboxPageSeen {
  bool has_next = false;                     ///< the provider gave an older page's cursor
  bool reached_seen = false;                 ///< the page holds a message read before
  std::optional<TimePoint> oldest;           ///< the page's oldest message time (nullopt: empty page)
};

/// True when the read should go on to the next page.
bool walk_goes_on(InboxPageSeen const& page, InboxWalkLimits const& limits);

/// A bound on one walk's pages, so that a provider handing out cursors forever cannot keep a read
/// going: 100 messages per page, this reaches back far more than 30 days of any real account.
inline constexpr int kMaxInboxPagesPerRead = 500;

/// The wait after the n-th failed read in a row (n >= 1): 30 s doubling to 10 min.
Duration inbox_read_backoff(int failures);

}  // namespace outreach
