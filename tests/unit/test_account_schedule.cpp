#include <doctest/doctest.h>

#include <vector>

#include "core/account_schedule.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {
const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 10h};
using Action = NextStep::Action;
}  // namespace

TEST_CASE("a fresh account claims at once") {
  AccountSnapshot s;
  s.daily_cap = 1000;
  auto step = next_step(s, kNow);
  CHECK(step.action == Action::claim);
  CHECK(step.state == AccountState::ready);
}

TEST_CASE("pacing: sleep until the gap ends, then claim") {
  AccountSnapshot s;
  s.daily_cap = 1000;
  s.pacing_until = kNow + 3s;
  auto step = next_step(s, kNow);
  CHECK(step.action == Action::sleep_until);
  CHECK(step.until == kNow + 3s);
  CHECK(step.state == AccountState::pacing);
  CHECK(next_step(s, kNow + 3s).action == Action::claim);
}

TEST_CASE("capped: sleep until the oldest attempt ages out") {
  std::vector<TimePoint> attempts{kNow - 20h, kNow - 1h};
  AccountSnapshot s;
  s.daily_cap = 2;
  s.attempts_in_window = attempts;
  s.pacing_until = kNow + 2s;
  auto step = next_step(s, kNow);
  CHECK(step.action == Action::sleep_until);
  CHECK(step.until == kNow + 4h);
  CHECK(step.state == AccountState::capped);  // the longest blocker is shown
  CHECK(next_step(s, kNow + 4h).action == Action::claim);
}

TEST_CASE("provider waits: backoff for a short window, capped for the provider's daily limit") {
  AccountSnapshot s;
  s.daily_cap = 1000;
  s.provider_wait_until = kNow + 15min;
  CHECK(next_step(s, kNow).state == AccountState::backoff);
  CHECK(next_step(s, kNow).until == kNow + 15min);
  s.provider_wait_is_daily = true;
  CHECK(next_step(s, kNow).state == AccountState::capped);
  CHECK(next_step(s, kNow + 15min).action == Action::claim);
}

TEST_CASE("a stopped account does nothing until restarted") {
  AccountSnapshot s;
  s.daily_cap = 1000;
  s.stopped = true;
  auto step = next_step(s, kNow);
  CHECK(step.action == Action::stop);
  CHECK(step.state == AccountState::stopped);
}

TEST_CASE("a cap of zero keeps the account capped") {
  AccountSnapshot s;
  s.daily_cap = 0;
  auto step = next_step(s, kNow);
  CHECK(step.action == Action::sleep_until);
  CHECK(step.state == AccountState::capped);
  CHECK(step.until == TimePoint::max());
}

TEST_CASE("state names are the account_status view's") {
  CHECK(to_string(AccountState::ready) == "ready");
  CHECK(to_string(AccountState::pacing) == "pacing");
  CHECK(to_string(AccountState::capped) == "capped");
  CHECK(to_string(AccountState::backoff) == "backoff");
  CHECK(to_string(AccountState::stopped) == "stopped");
}
