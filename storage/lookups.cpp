#include "storage/lookups.hpp"

namespace outreach::detail {

Result<AccountRow> find_account(sql::Connection& conn, std::string_view name) {
  auto stmt = conn.prepare("SELECT id, configured FROM accounts WHERE name = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, name);
  auto row = stmt->step("looking up account");
  if (!row) return row.error();
  if (!*row) return make_error("unknown account '" + std::string(name) + "'");
  return AccountRow{stmt->int64_at(0), stmt->int_at(1) != 0};
}

Result<std::int64_t> configured_account_id(sql::Connection& conn, std::string_view name) {
  auto account = find_account(conn, name);
  if (!account) return account.error();
  if (!account->configured) return make_error("account '" + std::string(name) + "' is no longer in the config");
  return account->id;
}

Result<CampaignRow> find_campaign(sql::Connection& conn, std::string_view name) {
  auto stmt = conn.prepare("SELECT id, control FROM campaigns WHERE name = ?1 AND importing = 0");
  if (!stmt) return stmt.error();
  stmt->bind(1, name);
  auto row = stmt->step("looking up campaign");
  if (!row) return row.error();
  if (!*row) return make_error("unknown campaign '" + std::string(name) + "'");
  return CampaignRow{stmt->int64_at(0), stmt->text_at(1)};
}

std::string clip_error_text(std::string_view text) {
  if (text.size() <= kMaxStoredErrorBytes) return std::string(text);
  std::size_t end = kMaxStoredErrorBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is cut in half.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

}  // namespace outreach::detail
