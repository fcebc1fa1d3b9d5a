#pragma once
// RAII over the SQLite C API, for storage/*.cpp only (SQLiteCpp's structure, our naming).
// Nothing here throws: every call that can fail returns Result with SQLite's message and what we
// were doing. Statements are prepared once per connection and cached by their SQL text.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "core/time.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace outreach::sql {

class Connection;

/// First come, first served turns at the write lock for the connections of one process that share
/// them: the daemon's event loop and its import thread. SQLite's own busy wait polls with sleeps of
/// 1, 2, 5, 10… ms, so a writer can starve behind another that takes the lock again the moment it
/// lets go — as an import does, chunk after chunk. A ticket queue bounds the event loop's wait by
/// one of the import's transactions (storage/import.hpp). Other processes (the CLI) still meet
/// SQLite's lock and busy_timeout as before.
class WriteTurns {
 public:
  void acquire();
  void release();
  /// Transactions queued behind the one in progress (for tests and diagnostics).
  std::uint64_t waiting();

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t serving_ = 0;
};

/// A cached prepared statement, borrowed for one use: reset and unbound when it goes out of scope,
/// so the next borrower starts clean. Text is bound by copy (SQLITE_TRANSIENT): a temporary string
/// passed to bind() cannot dangle.
class Stmt {
 public:
  Stmt(Connection& conn, sqlite3_stmt* stmt) : conn_(&conn), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(Stmt const&) = delete;
  Stmt& operator=(Stmt const&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Stmt& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Stmt& bind(int index, std::string_view value);
  Stmt& bind(int index, char const* value) { return bind(index, std::string_view(value)); }
  Stmt& bind(int index, TimePoint value) {
    return bind(index, static_cast<std::int64_t>(value.time_since_epoch().count()));
  }
  /// Binds without copying, for hot loops: `value` must stay alive until the statement has been
  /// run (or reset). Everywhere else use bind(), which copies.
  Stmt& bind_static(int index, std::string_view value);
  Stmt& bind_static_or_null(int index, std::string_view value) {
    return value.empty() ? bind_null(index) : bind_static(index, value);
  }
  Stmt& bind_null(int index);
  /// NULL for an empty string: the schema stores "absent" as NULL, never as ''.
  Stmt& bind_text_or_null(int index, std::string_view value);
  template <class T>
  Stmt& bind(int index, std::optional<T> const& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  /// true: a row is available; false: done (the statement is then reset, ready to bind and run
  /// again). The error names `what` we were doing.
  Result<bool> step(std::string_view what);
  /// Runs to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Result<void> run(std::string_view what);

  int column_count() const;
  bool is_null(int column) const;
  std::int64_t int64_at(int column) const;
  int int_at(int column) const;
  std::string text_at(int column) const;  ///< "" for NULL
  std::optional<std::int64_t> optional_int64_at(int column) const;
  std::optional<std::string> optional_text_at(int column) const;
  std::optional<TimePoint> optional_time_at(int column) const;
  TimePoint time_at(int column) const { return TimePoint{Duration{int64_at(column)}}; }

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
};

/// One SQLite connection with its statement cache. Owned by Database.
class Connection {
 public:
  /// Opens (or creates, if `create`) the file. The caller sets pragmas.
  static Result<std::unique_ptr<Connection>> open(std::string const& path, bool create);
  ~Connection();
  Connection(Connection const&) = delete;
  Connection& operator=(Connection const&) = delete;

  /// For fixed SQL with no input (DDL, pragmas). Never pass text built from input here.
  Result<void> exec(std::string_view sql, std::string_view what);
  /// The cached statement for this SQL text (prepared on first use).
  Result<Stmt> prepare(std::string_view sql);

  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  bool in_transaction() const;
  std::string errmsg() const;
  /// "what: SQLite's message" — the one-sentence error every failing call returns.
  Error error(std::string_view what) const;

  /// Sets PRAGMA synchronous only when it differs from the current setting (it is read at commit).
  Result<void> set_synchronous_full(bool full);

  /// Stops checkpoints from running inside this connection's commits (SQLite's default, at 1,000
  /// WAL pages): checkpoint_if_due() runs them when the caller holds no lock. For the import thread,
  /// whose commits would otherwise copy and fsync megabytes while the event loop waits its turn.
  void defer_checkpoints();
  /// A passive checkpoint once 256 WAL pages (1 MiB) were written since the last one (it never waits
  /// for readers or writers). Small steps keep each fsync of the database file short: a claim's own
  /// fsync, on the same disk, waits behind it (bench/bench_import.cpp: p99 lateness 39 ms with
  /// SQLite's 1,000-page steps, 9 ms with these). Errors are ignored: the next one copies the rest.
  void checkpoint_if_due();

  /// From now on every Transaction on this connection waits for its turn in `turns` first.
  void share_write_turns(std::shared_ptr<WriteTurns> turns) { turns_ = std::move(turns); }
  WriteTurns* write_turns() const { return turns_.get(); }

  sqlite3* handle() { return db_; }
  std::string const& path() const { return path_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> cache_;
  std::optional<bool> synchronous_full_;
  std::shared_ptr<WriteTurns> turns_;
  int wal_pages_ = 0;           ///< the WAL's size after this connection's last commit (defer_checkpoints)
  int checkpointed_pages_ = 0;  ///< its size at the last checkpoint_if_due() that ran
};

/// How far a commit must reach before it returns (PRAGMA synchronous in WAL mode).
enum class Durability {
  /// fsync the WAL at commit: survives power loss. Claims, imports, operator changes, tokens.
  full,
  /// no fsync at commit (the next full commit or checkpoint syncs it): survives a process crash,
  /// may be lost on power loss. Only for writes whose loss is harmless or turns into `unknown`.
  normal,
};

/// BEGIN IMMEDIATE … COMMIT. Rolls back in its destructor unless committed; never throws.
/// Refuses to nest: a second write on a connection with an open transaction (say, an import
/// session still streaming) is an error rather than a silent part of the other transaction.
/// On a connection that shares WriteTurns, begin() first waits for its turn, held until the end.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn, Durability durability, std::string_view what);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_), turn_(other.turn_) {
    other.conn_ = nullptr;
    other.turn_ = nullptr;
  }
  Transaction(Transaction const&) = delete;
  Transaction& operator=(Transaction const&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() { rollback(); }

  Result<void> commit(std::string_view what);
  void rollback() noexcept;

 private:
  Transaction(Connection& conn, WriteTurns* turn) : conn_(&conn), turn_(turn) {}
  void end_turn() noexcept;
  Connection* conn_;
  WriteTurns* turn_;  ///< the turn this transaction holds, if its connection shares turns
};

}  // namespace outreach::sql
