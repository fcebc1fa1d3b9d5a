#pragma once
// When may an account send next? The first decision of every turn of an account's loop
// (core/send_machine.hpp, docs/architecture.md#sans-io-core): claim now, or sleep until the
// blocker that ends last has ended.
#include <span>
#include <string_view>

#include "core/time.hpp"

namespace outreach {

/// account_status.state (README.md#the-schema-stable-interface).
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

/// Claim only when pacing, the rolling cap and any provider wait all allow it (docs/send-rules.md#claim-before-send);
/// otherwise sleep until the latest of the three blockers, reporting the one that binds longest.
NextStep next_step(AccountSnapshot const& snapshot, TimePoint now);

}  // namespace outreach
