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
  // Schema version 4 (appended to the view; columns for features still to come read as their
  // neutral values: 0, 0.0, NULL):
  std::int64_t waiting = 0;  ///< recipients not finished yet that are not queued either (the campaign is not done)
  std::int64_t replied = 0;  ///< recipients who replied
  double spent_usd = 0;
  std::optional<std::string> paused_reason;  ///< operator | budget | failure_rate, when paused
  std::optional<std::string> audience;
};

/// One row of account_status.
struct AccountStatusRow {
  std::string account;
  std::string provider;
  std::string state;  ///< ready | pacing | capped | backoff | stopped
  std::int64_t daily_cap = 0, sent_24h = 0, remaining_24h = 0;
  std::optional<std::string> next_send_at;
  std::optional<std::string> last_error;
  // Schema version 4 (appended to the view):
  std::optional<std::int64_t> hourly_cap;
  std::int64_t sent_1h = 0;
  std::optional<std::int64_t> warmup_day;
  double spent_24h_usd = 0;
  std::optional<std::string> inbox_synced_at;
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
  // Schema version 4, recipient_status only (the failures view keeps the 11 columns above):
  // nullopt in read_failures' rows.
  std::optional<std::int64_t> step;
  std::optional<std::string> replied_at;
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
