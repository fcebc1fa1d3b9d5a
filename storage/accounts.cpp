#include "storage/accounts.hpp"

#include <set>

#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {

Result<void> sync_accounts(Database& db, std::span<const ConfiguredAccount> accounts) {
  std::set<std::string_view> seen;
  for (auto const& a : accounts) {
    if (a.name.empty()) return make_error("an account has an empty name");
    if (!seen.insert(a.name).second) return make_error("account '" + a.name + "' is configured twice");
    if (a.daily_cap < 0) return make_error("account '" + a.name + "' has a negative daily cap");
  }
  auto& conn = db.connection();
  constexpr std::string_view what = "updating the configured accounts";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  if (auto r = conn.exec("UPDATE accounts SET configured = 0", what); !r) return r;
  auto stmt = conn.prepare(R"sql(
INSERT INTO accounts (name, provider, daily_cap, configured, reads_inbox) VALUES (?1, ?2, ?3, 1, ?4)
ON CONFLICT (name) DO UPDATE SET
  provider = excluded.provider,
  reads_inbox = excluded.reads_inbox,
  daily_cap = excluded.daily_cap,
  configured = 1,
  -- a reload or restart is the operator's way to start a stopped account again; the error that
  -- stopped it goes with it (the attempts table keeps the refused request's error)
  state = CASE WHEN state = 'stopped' THEN 'ready' ELSE state END,
  next_send_at = CASE WHEN state = 'stopped' THEN NULL ELSE next_send_at END,
  last_error = CASE WHEN state = 'stopped' THEN NULL ELSE last_error END)sql");
  if (!stmt) return stmt.error();
  for (auto const& a : accounts) {
    stmt->bind(1, a.name).bind(2, to_string(a.provider)).bind(3, a.daily_cap).bind(4, reads_inbox(a.provider));
    if (auto r = stmt->run(what); !r) return r;
  }
  return tx->commit(what);
}

Result<void> set_account_state(Database& db, std::string_view account, AccountRuntime const& runtime) {
  auto& conn = db.connection();
  constexpr std::string_view what = "saving the account state";
  // Display state only: a lost update is rewritten by the next one, so no fsync.
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  auto id = detail::find_account(conn, account);
  if (!id) return id.error();
  auto stmt = conn.prepare(
      "UPDATE accounts SET state = ?2, next_send_at = ?3, last_error = CASE WHEN ?4 THEN ?5 ELSE last_error END "
      "WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, id->id).bind(2, to_string(runtime.state)).bind(3, runtime.next_send_at);
  stmt->bind(4, runtime.last_error.has_value());
  stmt->bind_text_or_null(5, detail::clip_error_text(runtime.last_error.value_or("")));
  if (auto r = stmt->run(what); !r) return r;
  return tx->commit(what);
}

}  // namespace outreach
