#pragma once
// Typed reads of the status views (README.md#the-schema-stable-interface), for `outreachd status`
// (table and --json). They read the views themselves, so the CLI shows exactly what
// `sqlite3 outreachd.db 'SELECT …'` shows.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace outreach {

/// One row of campaign_status. Times are the view's ISO 8601 UTC text.
struct CampaignStatusRow {
  std::string campaign;
  std::string state;  ///< scheduled | active | paused | cancelled | done
  std::int64_t total = 0, pending = 0, retrying = 0, sending = 0, sent = 0, failed = 0, skipped = 0, unknown = 0;
  std::string created_at;
  std::optional<std::string> last_sent_at;
  std::optional<std::string> finished_at;
};

/// One row of account_status.
struct AccountStatusRow {
  std::string account;
  std::string provider;
  std::string state;  ///< ready | pacing | capped | backoff | stopped
  std::int64_t daily_cap = 0, sent_24h = 0, remaining_24h = 0;
  std::optional<std::string> next_send_at;
  std::optional<std::string> last_error;
};

/// One row of recipient_status (or failures).
struct RecipientStatusRow {
  std::string campaign;
  std::optional<std::string> username;
  std::optional<std::string> user_id;
  std::string state;
  std::optional<std::string> reason;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> last_http_status;
  std::optional<std::string> last_error;
  std::optional<std::string> message_id;
  std::optional<std::string> sent_at;
  std::optional<std::string> next_attempt_at;
};

Result<std::vector<CampaignStatusRow>> read_campaign_status(Database& db);
Result<std::vector<AccountStatusRow>> read_account_status(Database& db);
/// The campaign's recipients (an error for an unknown campaign), at most `limit` rows.
Result<std::vector<RecipientStatusRow>> read_recipient_status(Database& db, std::string_view campaign,
                                                              std::int64_t limit);
/// The failures view, for one campaign or all (nullopt), at most `limit` rows.
Result<std::vector<RecipientStatusRow>> read_failures(Database& db, std::optional<std::string_view> campaign,
                                                      std::int64_t limit);

}  // namespace outreach
