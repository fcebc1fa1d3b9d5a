#include "core/inbox_walk.hpp"

#include <algorithm>

namespace outreach {

std::optional<TimePoint> next_inbox_read(InboxReadTriggers const& t, InboxPollPolicy const& policy, TimePoint now) {
  std::optional<TimePoint> due;
  auto consider = [&](TimePoint at) { due = due ? std::min(*due, at) : at; };

  if (policy.poll_interval > Duration{0}) {
    TimePoint const poll_at = t.last_read_at ? *t.last_read_at + policy.poll_interval : now;
    // After the last send, polls go on for `lookback`: the last poll is the first one at or past it.
    bool const recent_send = t.last_send_at && (!t.last_read_at || *t.last_read_at < *t.last_send_at + policy.lookback);
    if (t.has_unfinished_campaign || recent_send) consider(poll_at);
  }
  if (t.check_decidable_at) consider(*t.check_decidable_at);
  if (t.read_needed_at) consider(*t.read_needed_at);
  if (!due) return std::nullopt;
  TimePoint at = std::max(*due, now);
  if (t.not_before) at = std::max(at, *t.not_before);
  return at;
}

bool walk_goes_on(InboxPageSeen const& page, InboxWalkLimits const& limits) {
  if (!page.has_next) return false;
  if (!page.oldest) return true;  // an empty page with a cursor: the provider filtered it (group chats)
  if (*page.oldest < limits.horizon) return false;
  bool const reached_checks = !limits.reach_back_to || *page.oldest <= *limits.reach_back_to;
  return !(page.reached_seen && reached_checks);
}

Duration inbox_read_backoff(int failures) {
  Duration wait = std::chrono::seconds{30};
  for (int i = 1; i < failures && wait < std::chrono::minutes{10}; ++i) wait *= 2;
  return std::min<Duration>(wait, std::chrono::minutes{10});
}

}  // namespace outreach
