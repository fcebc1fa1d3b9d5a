#include "storage/caches.hpp"

#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {

Result<std::optional<CachedUser>> cached_user(Database& db, std::string_view username, TimePoint now, Duration ttl) {
  auto& conn = db.connection();
  auto stmt = conn.prepare("SELECT user_id FROM user_id_cache WHERE username = ?1 AND fetched_at > ?2");
  if (!stmt) return stmt.error();
  stmt->bind(1, username).bind(2, now - ttl);
  auto row = stmt->step("reading the user id cache");
  if (!row) return row.error();
  if (!*row) return std::optional<CachedUser>();
  if (stmt->is_null(0)) return std::optional<CachedUser>(CachedUser{false, {}});
  return std::optional<CachedUser>(CachedUser{true, stmt->text_at(0)});
}

Result<void> cache_user(Database& db, std::string_view username, std::optional<std::string_view> user_id,
                        TimePoint now) {
  if (username.empty()) return make_error("cannot cache a lookup of an empty username");
  if (user_id && user_id->empty())
    return make_error("cannot cache an empty user id for '" + std::string(username) + "'");
  auto& conn = db.connection();
  constexpr std::string_view what = "saving to the user id cache";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);  // a lost entry is only a repeated lookup
  if (!tx) return tx.error();
  auto stmt = conn.prepare(
      "INSERT INTO user_id_cache (username, user_id, fetched_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (username) DO UPDATE SET user_id = excluded.user_id, fetched_at = excluded.fetched_at");
  if (!stmt) return stmt.error();
  stmt->bind(1, username).bind(2, user_id).bind(3, now);
  if (auto r = stmt->run(what); !r) return r;
  return tx->commit(what);
}

Result<std::optional<bool>> cached_can_dm(Database& db, std::string_view account, std::string_view user_id,
                                          TimePoint now, Duration ttl) {
  auto& conn = db.connection();
  auto found = detail::find_account(conn, account);
  if (!found) return found.error();
  auto stmt =
      conn.prepare("SELECT can_dm FROM can_dm_cache WHERE account_id = ?1 AND user_id = ?2 AND fetched_at > ?3");
  if (!stmt) return stmt.error();
  stmt->bind(1, found->id).bind(2, user_id).bind(3, now - ttl);
  auto row = stmt->step("reading the canDm cache");
  if (!row) return row.error();
  if (!*row) return std::optional<bool>();
  return std::optional<bool>(stmt->int_at(0) != 0);
}

Result<void> cache_can_dm(Database& db, std::string_view account, std::string_view user_id, bool can_dm,
                          TimePoint now) {
  if (user_id.empty()) return make_error("cannot cache canDm for an empty user id");
  auto& conn = db.connection();
  constexpr std::string_view what = "saving to the canDm cache";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  auto found = detail::find_account(conn, account);
  if (!found) return found.error();
  auto stmt = conn.prepare(
      "INSERT INTO can_dm_cache (account_id, user_id, can_dm, fetched_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (account_id, user_id) DO UPDATE SET can_dm = excluded.can_dm, fetched_at = excluded.fetched_at");
  if (!stmt) return stmt.error();
  stmt->bind(1, found->id).bind(2, user_id).bind(3, can_dm).bind(4, now);
  if (auto r = stmt->run(what); !r) return r;
  return tx->commit(what);
}

Result<std::int64_t> prune_caches(Database& db, TimePoint now, Duration ttl) {
  auto& conn = db.connection();
  constexpr std::string_view what = "pruning the lookup caches";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  std::int64_t n = 0;
  for (std::string_view sql : {std::string_view("DELETE FROM user_id_cache WHERE fetched_at <= ?1"),
                               std::string_view("DELETE FROM can_dm_cache WHERE fetched_at <= ?1")}) {
    auto stmt = conn.prepare(sql);
    if (!stmt) return stmt.error();
    stmt->bind(1, now - ttl);
    if (auto r = stmt->run(what); !r) return r.error();
    n += conn.changes();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return n;
}

}  // namespace outreach
