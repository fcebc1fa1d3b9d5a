#include "storage/sqlite.hpp"

#include <sqlite3.h>

namespace outreach::sql {

// ---- Stmt -------------------------------------------------------------------------------------

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view value) {
  // A zero-length string must still bind as '' (not NULL), so never pass a null data pointer.
  sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::bind_static(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Stmt& Stmt::bind_text_or_null(int index, std::string_view value) {
  return value.empty() ? bind_null(index) : bind(index, value);
}

Result<bool> Stmt::step(std::string_view what) {
  int const rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    // Reset at once so the statement can be re-bound and run again (bindings are kept).
    sqlite3_reset(stmt_);
    return false;
  }
  // Reset now so the statement's error and locks do not linger until the Stmt is destroyed.
  Error e = conn_->error(what);
  sqlite3_reset(stmt_);
  return e;
}

Result<void> Stmt::run(std::string_view what) {
  for (;;) {
    auto r = step(what);
    if (!r) return r.error();
    if (!*r) return {};
  }
}

int Stmt::column_count() const { return sqlite3_column_count(stmt_); }

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Stmt::int64_at(int column) const { return sqlite3_column_int64(stmt_, column); }

int Stmt::int_at(int column) const { return sqlite3_column_int(stmt_, column); }

std::string Stmt::text_at(int column) const {
  auto const* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  auto const size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return std::string(reinterpret_cast<char const*>(text), size);
}

std::optional<std::int64_t> Stmt::optional_int64_at(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64_at(column);
}

std::optional<std::string> Stmt::optional_text_at(int column) const {
  if (is_null(column)) return std::nullopt;
  return text_at(column);
}

std::optional<TimePoint> Stmt::optional_time_at(int column) const {
  if (is_null(column)) return std::nullopt;
  return time_at(column);
}

// ---- Connection -------------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(std::string const& path, bool create) {
  // Memory statistics cost a global mutex on every SQLite allocation and we never read them.
  // Only possible before SQLite initialises; afterwards the call fails harmlessly.
  static bool const configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  sqlite3* db = nullptr;
  int const flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int const rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error("cannot open database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // An open transaction (an abandoned import) is rolled back by close.
  sqlite3_close_v2(db_);
}

Result<void> Connection::exec(std::string_view sql, std::string_view what) {
  std::string const text(sql);
  char* message = nullptr;
  int const rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_environment_error(std::string(what) + ": " + detail + " (database " + path_ + ")");
}

Result<Stmt> Connection::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return Stmt(*this, it->second);
  sqlite3_stmt* stmt = nullptr;
  int const rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error("preparing a statement");
  cache_.emplace(std::string(sql), stmt);
  return Stmt(*this, stmt);
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::string Connection::errmsg() const { return sqlite3_errmsg(db_); }

Error Connection::error(std::string_view what) const {
  int const code = sqlite3_extended_errcode(db_);
  std::string detail = sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_BUSY)
    detail += " (another process held the database longer than the busy timeout)";
  else if ((code & 0xff) == SQLITE_FULL)
    detail += " (free space on its disk, then try again: the change was rolled back)";
  else if ((code & 0xff) == SQLITE_IOERR)
    detail += " (check its disk: free space, file-size limits, the device itself; the change was rolled back)";
  // Whatever SQLite refuses here is the database's trouble, never the caller's input: statements
  // are prepared from our own SQL and every value is bound.
  return make_environment_error(std::string(what) + " failed: " + detail + " (database " + path_ + ")");
}

Result<void> Connection::set_synchronous_full(bool full) {
  if (synchronous_full_ == full) return {};
  // Prepared and cached like any statement: claim and record switch it on every cycle.
  auto stmt = prepare(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (!stmt) return stmt.error();
  if (auto r = stmt->run("setting PRAGMA synchronous"); !r) return r;
  synchronous_full_ = full;
  return {};
}

void Connection::defer_checkpoints() {
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, char const*, int pages) {
        static_cast<Connection*>(self)->wal_pages_ = pages;
        return SQLITE_OK;
      },
      this);
}

void Connection::checkpoint_if_due() {
  constexpr int kCheckpointPages = 256;  // 1 MiB: small steps, each a short fsync of the database file
  // The WAL keeps its size until a writer restarts it (after a complete checkpoint, with no reader
  // on its old pages), so "due" counts the pages written since the last checkpoint, not the total:
  // else every chunk would checkpoint, and fsync, once the WAL has passed the threshold.
  int const since = wal_pages_ >= checkpointed_pages_ ? wal_pages_ - checkpointed_pages_ : wal_pages_;
  if (since < kCheckpointPages) return;
  checkpointed_pages_ = wal_pages_;
  (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

// ---- WriteTurns -------------------------------------------------------------------------------

void WriteTurns::acquire() {
  std::unique_lock lock(mutex_);
  std::uint64_t const ticket = next_ticket_++;
  turn_.wait(lock, [&] { return serving_ == ticket; });
}

void WriteTurns::release() {
  {
    std::lock_guard lock(mutex_);
    ++serving_;
  }
  turn_.notify_all();
}

std::uint64_t WriteTurns::waiting() {
  std::lock_guard lock(mutex_);
  return next_ticket_ - serving_ - (next_ticket_ > serving_ ? 1 : 0);
}

// ---- Transaction ------------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& conn, Durability durability, std::string_view what) {
  if (conn.in_transaction())
    return make_error(std::string(what) +
                      " failed: another write is still open on this database connection (an unfinished import?)");
  WriteTurns* turn = conn.write_turns();
  if (turn) turn->acquire();
  Transaction tx(conn, turn);  // from here on, every early return ends the turn
  // The sync level is read when the transaction commits, so it is set just before it begins.
  if (auto r = conn.set_synchronous_full(durability == Durability::full); !r) return r.error();
  auto stmt = conn.prepare("BEGIN IMMEDIATE");
  if (!stmt) return stmt.error();
  if (auto r = stmt->run(what); !r) return r.error();
  return tx;
}

Result<void> Transaction::commit(std::string_view what) {
  if (conn_ == nullptr) return make_error(std::string(what) + " failed: the transaction is already finished");
  auto stmt = conn_->prepare("COMMIT");
  if (!stmt) return stmt.error();
  if (auto r = stmt->run(what); !r) return r.error();  // the destructor rolls back
  conn_ = nullptr;
  end_turn();
  return {};
}

void Transaction::rollback() noexcept {
  if (conn_ != nullptr) {
    // A failed statement may already have rolled SQLite back; ROLLBACK would then only report "no
    // transaction is active", so it is issued only while one is open.
    if (conn_->in_transaction()) sqlite3_exec(conn_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    conn_ = nullptr;
  }
  end_turn();
}

void Transaction::end_turn() noexcept {
  if (turn_ == nullptr) return;
  turn_->release();
  turn_ = nullptr;
}

}  // namespace outreach::sql
