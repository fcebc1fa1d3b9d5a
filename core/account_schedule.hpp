#pragma once
// When may an account send next? The pure decision behind each account worker (DESIGN.md: a pure
// next_step(snapshot, now) driven by a thin coroutine, as Boost.Redis drives its FSMs). The worker
// performs what this returns — claim now, or sleep on a timer until a time — and nothing else.
#include <span>
#include <string_view>

#include "core/time.hpp"

namespace outreach {

/// account_status.state (SPEC §5).
enum class AccountState { ready, pacing, capped, backoff, stopped };
std::string_view to_string(AccountState state);

struct AccountSnapshot {
  bool stopped = false;              ///< an account-level error stopped it (until reload/restart)
  TimePoint pacing_until;            ///< end of the last attempt + the jitter gap drawn then
  TimePoint provider_wait_until;     ///< a provider reset (429) the account must wait out
  bool provider_wait_is_daily = false;  ///< that wait is the provider's own 24 h cap (shown as capped)
  std::span<const TimePoint> attempts_in_window;  ///< attempt times of the last 24 h (the ledger)
  int daily_cap = 0;
};

struct NextStep {
  enum class Action { claim, sleep_until, stop } action = Action::claim;
  TimePoint until;                   ///< when to wake up (sleep_until only)
  AccountState state = AccountState::ready;  ///< what account_status shows meanwhile
};

/// Claim only when pacing, the rolling cap and any provider wait all allow it (SPEC §4.1);
/// otherwise sleep until the latest of the three blockers, reporting the one that binds longest.
NextStep next_step(AccountSnapshot const& snapshot, TimePoint now);

}  // namespace outreach
