#include "storage/clock_shift.hpp"

#include "storage/sqlite.hpp"

namespace outreach {

Result<void> shift_for_clock_step(Database& db, Duration step) {
  auto& conn = db.connection();
  constexpr std::string_view what = "moving stored times after a wall-clock step";
  // FULL: losing this after a crash would free the cap the step was about to free.
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  // `at` is part of the ledger's key: going through negative values first means no entry ever lands
  // on another's key half-way (all real times are positive).
  for (std::string_view sql : {"UPDATE send_ledger SET at = -(at + ?1)",
                               "UPDATE send_ledger SET at = -at WHERE at < 0",
                               "UPDATE recipients SET next_attempt_at = next_attempt_at + ?1 WHERE state = 'retrying'",
                               "UPDATE accounts SET next_send_at = next_send_at + ?1 WHERE next_send_at IS NOT NULL",
                               "UPDATE oauth_tokens SET expires_at = expires_at + ?1 WHERE expires_at IS NOT NULL"}) {
    auto stmt = conn.prepare(sql);
    if (!stmt) return stmt.error();
    if (sql.find("?1") != std::string_view::npos) stmt->bind(1, static_cast<std::int64_t>(step.count()));
    if (auto r = stmt->run(what); !r) return r;
  }
  return tx->commit(what);
}

}  // namespace outreach
