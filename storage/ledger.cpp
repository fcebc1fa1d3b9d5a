#include "storage/ledger.hpp"

#include "core/daily_cap.hpp"
#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {

Result<std::vector<TimePoint>> ledger_window(Database& db, std::string_view account, TimePoint now) {
  auto& conn = db.connection();
  auto found = detail::find_account(conn, account);
  if (!found) return found.error();
  auto stmt = conn.prepare("SELECT at FROM send_ledger WHERE account_id = ?1 AND at > ?2 ORDER BY at");
  if (!stmt) return stmt.error();
  stmt->bind(1, found->id).bind(2, now - kCapWindow);
  std::vector<TimePoint> out;
  for (;;) {
    auto row = stmt->step("reading the send ledger");
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(stmt->time_at(0));
  }
}

Result<std::int64_t> prune_ledger(Database& db, TimePoint now) {
  auto& conn = db.connection();
  constexpr std::string_view what = "pruning the send ledger";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  auto stmt = conn.prepare("DELETE FROM send_ledger WHERE at <= ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, now - kCapWindow);
  if (auto r = stmt->run(what); !r) return r.error();
  std::int64_t const n = conn.changes();
  if (auto r = tx->commit(what); !r) return r.error();
  return n;
}

}  // namespace outreach
