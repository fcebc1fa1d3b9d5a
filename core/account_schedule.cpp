#include "core/account_schedule.hpp"

#include "core/daily_cap.hpp"

namespace outreach {

std::string_view to_string(AccountState state) {
  switch (state) {
    case AccountState::ready: return "ready";
    case AccountState::pacing: return "pacing";
    case AccountState::capped: return "capped";
    case AccountState::backoff: return "backoff";
    case AccountState::stopped: return "stopped";
  }
  return "ready";
}

NextStep next_step(AccountSnapshot const& s, TimePoint now) {
  if (s.stopped) return {NextStep::Action::stop, TimePoint::max(), AccountState::stopped};

  NextStep step{NextStep::Action::claim, now, AccountState::ready};
  // The blocker that ends last decides both the wake-up time and the state shown: an account that
  // is capped for 3 hours is "capped", even if its 4-second pacing gap has not ended either.
  auto block = [&](TimePoint until, AccountState state) {
    if (until > now && until > step.until) {
      step = {NextStep::Action::sleep_until, until, state};
    }
  };
  block(s.pacing_until, AccountState::pacing);
  block(s.provider_wait_until, s.provider_wait_is_daily ? AccountState::capped : AccountState::backoff);
  const CapCheck cap = check_daily_cap(s.attempts_in_window, s.daily_cap, now);
  if (!cap.may_send_now) block(cap.earliest, AccountState::capped);
  return step;
}

}  // namespace outreach
