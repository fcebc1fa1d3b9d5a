#pragma once
// Opening the database: the file (created 0600), its pragmas (WAL, busy_timeout, foreign keys) and
// its schema version (PRAGMA user_version, migrated forward; a newer version is refused). Also the
// single-instance lock on the state directory that only the daemon takes.
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/directory_lock.hpp"

namespace outreach {

namespace sql {
class Connection;
}

inline constexpr char const* kDatabaseFileName = "outreachd.db";
inline constexpr char const* kLockFileName = "outreachd.lock";

/// state_dir + "/outreachd.db".
std::string database_path(std::string const& state_dir);

struct OpenOptions {
  /// Create the file and its schema when missing. Read-only CLI commands pass false, so a typo in
  /// --db is an error instead of a new empty database.
  bool create = true;
  /// How long a write waits for another process's write transaction before failing.
  Duration busy_timeout = std::chrono::seconds{5};
};

/// One connection to outreachd.db. Not thread-safe: use one Database per thread (SQLite's locking
/// then serialises writers across threads and processes).
class Database {
 public:
  static Result<Database> open(std::string const& path, OpenOptions const& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(Database const&) = delete;
  Database& operator=(Database const&) = delete;
  ~Database();

  std::string const& path() const;
  /// For storage/*.cpp: the SQLite connection behind this database.
  sql::Connection& connection() { return *conn_; }

 private:
  explicit Database(std::unique_ptr<sql::Connection> conn);
  std::unique_ptr<sql::Connection> conn_;
};

/// Copies the WAL back into the database file and truncates it (at shutdown, say). Harmless to
/// skip: SQLite checkpoints on its own as the WAL grows.
Result<void> checkpoint(Database& db);

/// The daemon's single-instance lock on its state directory (a DirectoryLock: flock on the
/// directory itself, which deleting a file cannot defeat). state_dir/outreachd.lock holds the pid.
class StateLock {
 public:
  /// Fails with a clear sentence when another process holds it.
  static Result<StateLock> acquire(std::string const& state_dir);

  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&& other) noexcept;
  StateLock(StateLock const&) = delete;
  StateLock& operator=(StateLock const&) = delete;
  ~StateLock();

  std::string const& state_dir() const { return state_dir_; }
  /// Whether `db` lives in this lock's state directory.
  bool guards(Database const& db) const;

 private:
  StateLock(DirectoryLock lock, std::string state_dir) : lock_(std::move(lock)), state_dir_(std::move(state_dir)) {}
  DirectoryLock lock_;
  std::string state_dir_;
};

}  // namespace outreach
