#pragma once
// After a wall-clock step (core/clock_step.hpp), the times the database keeps *relative to now* are
// moved by the same amount, so that they keep meaning the same real instant: an attempt made a
// minute ago still counts as a minute old after the clock jumped a day forwards (the cap is not
// freed, the ledger not pruned), and a retry due in ten minutes is not pushed a day away when the
// clock is set back. Records of what happened (sent_at, attempts.at, created_at) and times the
// operator chose (start_at) are left as they are.
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

/// Moves the send ledger, the due times of retrying recipients, the accounts' next_send_at and the
/// stored OAuth expiry by `step`, in one durable transaction.
Result<void> shift_for_clock_step(Database& db, Duration step);

}  // namespace outreach
