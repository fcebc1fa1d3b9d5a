#include <doctest/doctest.h>

#include <vector>

#include "core/daily_cap.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {
const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 12h};
}

TEST_CASE("tier caps and the explicit lower daily_cap") {
  CHECK(tier_cap(AccountTier::new_account) == 500);
  CHECK(tier_cap(AccountTier::established) == 1000);
  CHECK(tier_cap(AccountTier::premium) == 1500);
  CHECK(effective_cap(AccountTier::established, std::nullopt) == 1000);
  CHECK(effective_cap(AccountTier::established, 800) == 800);
  CHECK(effective_cap(AccountTier::established, 1200) == 1000);  // higher than the tier: tier wins
  CHECK(effective_cap(AccountTier::premium, 0) == 0);
  CHECK(effective_cap(AccountTier::new_account, -3) == 500);
  CHECK(parse_tier("new") == AccountTier::new_account);
  CHECK(parse_tier("premium") == AccountTier::premium);
  CHECK_FALSE(parse_tier("Premium").has_value());
  CHECK(to_string(AccountTier::established) == "established");
}

TEST_CASE("under the cap an account may send now") {
  std::vector<TimePoint> attempts{kNow - 1h, kNow - 2h};
  auto c = check_daily_cap(attempts, 3, kNow);
  CHECK(c.may_send_now);
  CHECK(c.earliest == kNow);
  CHECK(c.used == 2);
  CHECK(c.remaining == 1);
  CHECK(check_daily_cap({}, 1, kNow).may_send_now);
}

TEST_CASE("at the cap the earliest time is when the oldest attempt in the window ages out") {
  std::vector<TimePoint> attempts{kNow - 1h, kNow - 23h, kNow - 5h};  // any order
  auto c = check_daily_cap(attempts, 3, kNow);
  CHECK_FALSE(c.may_send_now);
  CHECK(c.used == 3);
  CHECK(c.remaining == 0);
  CHECK(c.earliest == kNow + 1h);  // (now − 23h) + 24h
}

TEST_CASE("boundary: an attempt exactly 24 h old no longer counts, 1 ms younger still does") {
  std::vector<TimePoint> exactly{kNow - 24h};
  CHECK(check_daily_cap(exactly, 1, kNow).may_send_now);
  CHECK(check_daily_cap(exactly, 1, kNow).used == 0);

  std::vector<TimePoint> almost{kNow - 24h + 1ms};
  auto c = check_daily_cap(almost, 1, kNow);
  CHECK_FALSE(c.may_send_now);
  CHECK(c.earliest == kNow + 1ms);
  // …and at that earliest instant it may send.
  CHECK(check_daily_cap(almost, 1, c.earliest).may_send_now);
}

TEST_CASE("over the cap (e.g. after a lower cap is reloaded) enough attempts must age out") {
  std::vector<TimePoint> attempts;
  for (int i = 1; i <= 10; ++i) attempts.push_back(kNow - std::chrono::hours{i});  // 1 h … 10 h ago
  auto c = check_daily_cap(attempts, 4, kNow);
  CHECK_FALSE(c.may_send_now);
  CHECK(c.used == 10);
  // 7 must age out; the 7th oldest is 4 h ago → may send at now + 20 h.
  CHECK(c.earliest == kNow + 20h);
  CHECK(check_daily_cap(attempts, 4, c.earliest).may_send_now);
  CHECK_FALSE(check_daily_cap(attempts, 4, c.earliest - 1ms).may_send_now);
}

TEST_CASE("old entries are ignored and future entries (clock stepped back) count") {
  std::vector<TimePoint> attempts{kNow - 48h, kNow - 25h, kNow + 1h};
  auto c = check_daily_cap(attempts, 1, kNow);
  CHECK(c.used == 1);
  CHECK_FALSE(c.may_send_now);
  CHECK(c.earliest == kNow + 25h);
}

TEST_CASE("a cap of zero never allows a send") {
  auto c = check_daily_cap({}, 0, kNow);
  CHECK_FALSE(c.may_send_now);
  CHECK(c.earliest == TimePoint::max());
  CHECK(c.remaining == 0);
}
