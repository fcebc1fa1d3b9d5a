#include "storage/status.hpp"

#include <charconv>

#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

// Columns named explicitly (not SELECT *), so a column renamed in a view fails loudly here.
constexpr std::string_view kRecipientColumns =
    "campaign, username, user_id, state, reason, attempts, last_http_status, last_error, message_id, sent_at, "
    "next_attempt_at";

// A REAL column, read exactly. sql::Stmt has no double accessor and SQLite's own text form of a
// REAL keeps 15 digits only, so the SQL renders it with 20 significant digits (what
// `sqlite3 -json` prints), which parses back to the same double. NULL reads as 0.
std::string real_column(std::string_view column) {
  return "printf('%!.20g', " + std::string(column) + ")";
}

double real_at(sql::Stmt const& s, int column) {
  const std::string text = s.text_at(column);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The failures view has only these first 11 columns; recipient_status appends step, replied_at.
RecipientStatusRow recipient_row(sql::Stmt const& s, bool with_v4_columns) {
  RecipientStatusRow row{s.text_at(0),          s.optional_text_at(1), s.optional_text_at(2),  s.text_at(3),
                         s.optional_text_at(4), s.int64_at(5),         s.optional_int64_at(6), s.optional_text_at(7),
                         s.optional_text_at(8), s.optional_text_at(9), s.optional_text_at(10), std::nullopt,
                         std::nullopt};
  if (with_v4_columns) {
    row.step = s.int64_at(11);
    row.replied_at = s.optional_text_at(12);
  }
  return row;
}

Result<std::vector<RecipientStatusRow>> read_recipients(sql::Stmt& stmt, std::string_view what, bool with_v4_columns) {
  std::vector<RecipientStatusRow> out;
  for (;;) {
    auto row = stmt.step(what);
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(recipient_row(stmt, with_v4_columns));
  }
}

}  // namespace

Result<std::vector<CampaignStatusRow>> read_campaign_status(Database& db) {
  static std::string const sql =
      "SELECT campaign, state, total, pending, retrying, sending, sent, failed, skipped, unknown, created_at, "
      "last_sent_at, finished_at, waiting, replied, " + real_column("spent_usd") + ", paused_reason, audience "
      "FROM campaign_status";
  auto stmt = db.connection().prepare(sql);
  if (!stmt) return stmt.error();
  std::vector<CampaignStatusRow> out;
  for (;;) {
    auto row = stmt->step("reading campaign_status");
    if (!row) return row.error();
    if (!*row) return out;
    auto& s = *stmt;
    out.push_back({s.text_at(0), s.text_at(1), s.int64_at(2), s.int64_at(3), s.int64_at(4), s.int64_at(5),
                   s.int64_at(6), s.int64_at(7), s.int64_at(8), s.int64_at(9), s.text_at(10), s.optional_text_at(11),
                   s.optional_text_at(12), s.int64_at(13), s.int64_at(14), real_at(s, 15), s.optional_text_at(16),
                   s.optional_text_at(17)});
  }
}

Result<std::vector<AccountStatusRow>> read_account_status(Database& db) {
  static std::string const sql =
      "SELECT account, provider, state, daily_cap, sent_24h, remaining_24h, next_send_at, last_error, hourly_cap, "
      "sent_1h, warmup_day, " + real_column("spent_24h_usd") + ", inbox_synced_at FROM account_status";
  auto stmt = db.connection().prepare(sql);
  if (!stmt) return stmt.error();
  std::vector<AccountStatusRow> out;
  for (;;) {
    auto row = stmt->step("reading account_status");
    if (!row) return row.error();
    if (!*row) return out;
    auto& s = *stmt;
    out.push_back({s.text_at(0), s.text_at(1), s.text_at(2), s.int64_at(3), s.int64_at(4), s.int64_at(5),
                   s.optional_text_at(6), s.optional_text_at(7), s.optional_int64_at(8), s.int64_at(9),
                   s.optional_int64_at(10), real_at(s, 11), s.optional_text_at(12)});
  }
}

Result<std::vector<RecipientStatusRow>> read_recipient_status(Database& db, std::string_view campaign,
                                                              std::int64_t limit) {
  auto& conn = db.connection();
  if (auto found = detail::find_campaign(conn, campaign); !found) return found.error();
  static std::string const sql =
      "SELECT " + std::string(kRecipientColumns) + ", step, replied_at FROM recipient_status WHERE campaign = ?1 LIMIT ?2";
  auto stmt = conn.prepare(sql);
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign).bind(2, limit);
  return read_recipients(*stmt, "reading recipient_status", /*with_v4_columns=*/true);
}

Result<std::vector<RecipientStatusRow>> read_failures(Database& db, std::optional<std::string_view> campaign,
                                                      std::int64_t limit) {
  auto& conn = db.connection();
  if (campaign) {
    if (auto found = detail::find_campaign(conn, *campaign); !found) return found.error();
  }
  static std::string const sql =
      "SELECT " + std::string(kRecipientColumns) + " FROM failures WHERE ?1 IS NULL OR campaign = ?1 LIMIT ?2";
  auto stmt = conn.prepare(sql);
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign).bind(2, limit);
  return read_recipients(*stmt, "reading failures", /*with_v4_columns=*/false);
}

}  // namespace outreach
