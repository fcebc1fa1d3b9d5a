#pragma once
// campaign_counts upkeep: every recipient state change moves its count in the same transaction,
// so campaign_status never has to group the recipients table. Internal to storage/*.cpp.
#include <cstdint>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/recipient_state.hpp"
#include "storage/sqlite.hpp"

namespace outreach::detail {

/// Moves `n` recipients of a campaign from one state's count to another's, and keeps
/// last_sent_at (on a move to sent) and finished_at (set when nothing is pending, retrying or
/// sending; cleared when something is again) in step. `now` stamps those two.
Result<void> move_counts(sql::Connection& conn, std::int64_t campaign_id, RecipientState from, RecipientState to,
                         std::int64_t n, TimePoint now);

}  // namespace outreach::detail
