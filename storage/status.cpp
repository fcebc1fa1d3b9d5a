#include "storage/status.hpp"

#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

// Columns named explicitly (not SELECT *), so a column renamed in a view fails loudly here.
constexpr std::string_view kRecipientColumns =
    "campaign, username, user_id, state, reason, attempts, last_http_status, last_error, message_id, sent_at, "
    "next_attempt_at";

RecipientStatusRow recipient_row(sql::Stmt const& s) {
  return {s.text_at(0),          s.optional_text_at(1), s.optional_text_at(2),  s.text_at(3),
          s.optional_text_at(4), s.int64_at(5),         s.optional_int64_at(6), s.optional_text_at(7),
          s.optional_text_at(8), s.optional_text_at(9), s.optional_text_at(10)};
}

Result<std::vector<RecipientStatusRow>> read_recipients(sql::Stmt& stmt, std::string_view what) {
  std::vector<RecipientStatusRow> out;
  for (;;) {
    auto row = stmt.step(what);
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(recipient_row(stmt));
  }
}

}  // namespace

Result<std::vector<CampaignStatusRow>> read_campaign_status(Database& db) {
  auto stmt = db.connection().prepare(
      "SELECT campaign, state, total, pending, retrying, sending, sent, failed, skipped, unknown, created_at, "
      "last_sent_at, finished_at FROM campaign_status");
  if (!stmt) return stmt.error();
  std::vector<CampaignStatusRow> out;
  for (;;) {
    auto row = stmt->step("reading campaign_status");
    if (!row) return row.error();
    if (!*row) return out;
    auto& s = *stmt;
    out.push_back({s.text_at(0), s.text_at(1), s.int64_at(2), s.int64_at(3), s.int64_at(4), s.int64_at(5),
                   s.int64_at(6), s.int64_at(7), s.int64_at(8), s.int64_at(9), s.text_at(10), s.optional_text_at(11),
                   s.optional_text_at(12)});
  }
}

Result<std::vector<AccountStatusRow>> read_account_status(Database& db) {
  auto stmt = db.connection().prepare(
      "SELECT account, provider, state, daily_cap, sent_24h, remaining_24h, next_send_at, last_error "
      "FROM account_status");
  if (!stmt) return stmt.error();
  std::vector<AccountStatusRow> out;
  for (;;) {
    auto row = stmt->step("reading account_status");
    if (!row) return row.error();
    if (!*row) return out;
    auto& s = *stmt;
    out.push_back({s.text_at(0), s.text_at(1), s.text_at(2), s.int64_at(3), s.int64_at(4), s.int64_at(5),
                   s.optional_text_at(6), s.optional_text_at(7)});
  }
}

Result<std::vector<RecipientStatusRow>> read_recipient_status(Database& db, std::string_view campaign,
                                                              std::int64_t limit) {
  auto& conn = db.connection();
  if (auto found = detail::find_campaign(conn, campaign); !found) return found.error();
  static std::string const sql =
      "SELECT " + std::string(kRecipientColumns) + " FROM recipient_status WHERE campaign = ?1 LIMIT ?2";
  auto stmt = conn.prepare(sql);
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign).bind(2, limit);
  return read_recipients(*stmt, "reading recipient_status");
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
  return read_recipients(*stmt, "reading failures");
}

}  // namespace outreach
