#pragma once
// What the operator's CLI commands change (README.md#command-line, docs/send-rules.md): retry,
// pause, resume, cancel, suppress. Each is one durable transaction; the CLI then wakes the running
// daemon.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

/// Requeues the campaign's `failed` recipients (and `unknown` ones with include_unknown) as
/// `pending` with attempts back at 0. Returns how many. A cancelled campaign cannot be retried.
Result<std::int64_t> retry_campaign(Database& db, std::string_view campaign, bool include_unknown, TimePoint now);

/// Stops claiming from the campaign; in-flight sends finish. Pausing twice is fine.
Result<void> pause_campaign(Database& db, std::string_view campaign);
/// Undoes pause. Resuming an active campaign is fine; a cancelled one is an error.
/// `read_inbox_first`: the campaign's accounts that read their inbox read it before its first claim
/// again (storage/inbox.hpp), as after an import; the CLI asks for it, the daemon's sync does it.
Result<void> resume_campaign(Database& db, std::string_view campaign, bool read_inbox_first = false);
/// Cancels for good: remaining pending/retrying recipients become skipped/cancelled (an in-flight
/// send still records its outcome). Returns how many were skipped. Cancelling twice is fine.
Result<std::int64_t> cancel_campaign(Database& db, std::string_view campaign, TimePoint now);

/// Adds usernames (a leading @ is dropped) or user ids to the do-not-contact list, lowercased.
/// Queued recipients on it are skipped/suppressed when their turn comes. Returns how many were new.
Result<std::int64_t> suppress(Database& db, std::span<const std::string> users, TimePoint now);
/// Whether a username (any case) or user id is on the list.
Result<bool> is_suppressed(Database& db, std::string_view username_or_id);

/// The list's form of a username or id: trimmed, without a leading @, ASCII-lowercased.
/// An error for an empty key or one with whitespace or control characters inside.
Result<std::string> suppression_key(std::string_view text);

}  // namespace outreach
