#pragma once
// The configured accounts as storage sees them: identity, provider and effective cap (from the
// config, via sync_accounts) and the runtime state the daemon reports for account_status.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/account_schedule.hpp"
#include "core/providers/provider_kind.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

struct ConfiguredAccount {
  std::string name;
  ProviderKind provider = ProviderKind::getxapi;
  int daily_cap = 0;  ///< the effective cap (tier or lower override)
};

/// Makes the accounts table match the config (at start-up and on every reload): new accounts
/// appear (state ready), changed ones are updated, removed ones are kept for their history but
/// leave account_status, and a `stopped` account is ready again
/// (docs/send-rules.md#account-level-stop), its last_error cleared. (record_outcome clears
/// last_error too, once a send succeeds.)
Result<void> sync_accounts(Database& db, std::span<const ConfiguredAccount> accounts);

/// What account_status shows for an account between sends.
struct AccountRuntime {
  AccountState state = AccountState::ready;
  std::optional<TimePoint> next_send_at;  ///< when it may send again (pacing, capped, backoff)
  std::optional<std::string> last_error;  ///< nullopt keeps the previous text; "" clears it
};
Result<void> set_account_state(Database& db, std::string_view account, AccountRuntime const& runtime);

}  // namespace outreach
