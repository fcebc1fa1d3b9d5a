#pragma once
// The send ledger: per-account times of the attempts that count toward the rolling 24 h cap
// (docs/send-rules.md#daily-cap), in the database so the cap holds across restarts.
// record_outcome() writes it; the daemon reads it into core's check_daily_cap().
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

/// The account's counted attempts inside the window ending at `now` (t > now − 24 h), oldest
/// first, including any later than `now` (a clock stepped back): what check_daily_cap() wants.
Result<std::vector<TimePoint>> ledger_window(Database& db, std::string_view account, TimePoint now);

/// Deletes every account's entries that left the window (t ≤ now − 24 h); returns how many.
/// record_outcome() already prunes the account it writes for; this sweeps idle accounts.
Result<std::int64_t> prune_ledger(Database& db, TimePoint now);

}  // namespace outreach
