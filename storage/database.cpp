#include "storage/database.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "storage/directory_lock.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// SQLite creates files 0644 (less umask) and gives the -wal and -shm files the database file's
/// mode, so creating the file ourselves with 0600 keeps all three private
/// (README.md#install-as-a-service).
Result<void> ensure_file(std::string const& path, bool create) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return make_error("database " + path + " is not a regular file");
    return {};
  }
  if (errno != ENOENT) return make_error("cannot access database " + path + ": " + errno_text(errno));
  if (!create) return make_error("database " + path + " does not exist");
  int const fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) return make_error("cannot create database " + path + ": " + errno_text(errno));
  if (fd >= 0) ::close(fd);
  return {};
}

Result<int> read_user_version(sql::Connection& conn) {
  auto stmt = conn.prepare("PRAGMA user_version");
  if (!stmt) return stmt.error();
  auto row = stmt->step("reading the schema version");
  if (!row) return row.error();
  return *row ? stmt->int_at(0) : 0;
}

std::string newer_version_error(sql::Connection const& conn, int version, int target) {
  return "database " + conn.path() + " has schema version " + std::to_string(version) +
         ", newer than this outreachd understands (" + std::to_string(target) +
         "); run a newer outreachd or restore a backup";
}

Result<bool> has_tables(sql::Connection& conn) {
  auto stmt = conn.prepare("SELECT count(*) FROM sqlite_schema");
  if (!stmt) return stmt.error();
  auto row = stmt->step("reading the schema");
  if (!row) return row.error();
  return *row && stmt->int64_at(0) > 0;
}

Result<void> check_not_foreign(sql::Connection& conn) {
  auto tables = has_tables(conn);
  if (!tables) return tables.error();
  if (*tables)
    return make_error("database " + conn.path() +
                      " is an SQLite database but not an outreachd one (it has tables and no schema version)");
  return {};
}

/// PRAGMA schema_version + 1: tells every connection (this one included) that sqlite_schema changed.
Result<void> bump_schema_cookie(sql::Connection& conn, std::string const& step) {
  std::int64_t cookie = 0;
  {  // the statement is reset when it goes out of scope, before the schema changes again
    auto stmt = conn.prepare("PRAGMA schema_version");
    if (!stmt) return stmt.error();
    auto row = stmt->step(step);
    if (!row) return row.error();
    if (!*row) return make_error(step + ": cannot read the schema cookie");
    cookie = stmt->int64_at(0);
  }
  return conn.exec("PRAGMA schema_version = " + std::to_string(cookie + 1), step);
}

/// Applies every migration past the file's version, each in its own transaction. The version is
/// re-read inside the write lock, so two processes opening a new file at once migrate it once.
Result<void> migrate(sql::Connection& conn) {
  auto const all = migrations();
  int const target = current_schema_version();
  for (;;) {
    auto tx = sql::Transaction::begin(conn, sql::Durability::full, "migrating the schema");
    if (!tx) return tx.error();
    auto version = read_user_version(conn);
    if (!version) return version.error();
    if (*version > target) return make_error(newer_version_error(conn, *version, target));
    if (*version == target) return tx->commit("migrating the schema");
    if (*version == 0) {
      if (auto r = check_not_foreign(conn); !r) return r;
    }
    auto const step = "migrating the schema to version " + std::to_string(*version + 1);
    Migration const& migration = all[static_cast<std::size_t>(*version)];
    if (auto r = conn.exec(migration.sql, step); !r) return r;
    if (migration.rewrites_schema_text) {
      if (auto r = bump_schema_cookie(conn, step); !r) return r;
    }
    // PRAGMA takes no parameters; the value is our own integer, not input.
    if (auto r = conn.exec("PRAGMA user_version = " + std::to_string(*version + 1), step); !r) return r;
    if (auto r = tx->commit(step); !r) return r;
  }
}

/// Everything that decides whether this file may be used at all, before anything is written to it:
/// a newer outreachd's file stays exactly as it was (not even switched to WAL), and a command that
/// must not create a database does not quietly fill an empty file with the schema.
/// Returns the file's schema version.
Result<int> check_usable(sql::Connection& conn, OpenOptions const& options) {
  // busy_timeout first, so every later step waits for a busy writer instead of failing.
  auto const timeout_ms = std::max<std::int64_t>(0, options.busy_timeout.count());
  if (auto r = conn.exec("PRAGMA busy_timeout = " + std::to_string(timeout_ms), "setting busy_timeout"); !r)
    return r.error();
  // The first read: a file that is not a database fails here with SQLite's "file is not a database".
  auto version = read_user_version(conn);
  if (!version) return make_error("cannot use database " + conn.path() + ": " + conn.errmsg());
  int const target = current_schema_version();
  if (*version > target) return make_error(newer_version_error(conn, *version, target));
  if (*version == 0 && !options.create) {
    auto tables = has_tables(conn);
    if (!tables) return tables.error();
    if (!*tables)
      return make_error("database " + conn.path() +
                        " is empty: it has no outreachd schema yet (the daemon creates it when it starts)");
  }
  return version;
}

Result<void> configure(sql::Connection& conn) {
  {
    auto stmt = conn.prepare("PRAGMA journal_mode = WAL");
    if (!stmt) return stmt.error();
    auto row = stmt->step("switching to WAL mode");
    if (!row) return row.error();
    if (!*row || stmt->text_at(0) != "wal")
      return make_error("database " + conn.path() + " cannot use WAL mode (is its directory writable?)");
  }
  if (auto r = conn.exec("PRAGMA foreign_keys = ON", "enabling foreign keys"); !r) return r;
  // 4 MB of page cache. A claim touches a handful of pages (counters, the index's right edge, the
  // row) and an import appends in rowid order, so more buys nothing measurable; yet a full cache
  // stays resident, and 16 MB of it put the daemon over its 50 MB budget with a million-row queue
  // (bench_daemon's memory phase prints both sizes).
  if (auto r = conn.exec("PRAGMA cache_size = -4096", "setting cache_size"); !r) return r;
  // A million-row import grows the WAL to the size of the data; once checkpointed, give the disk
  // back. (The steady claim/record WAL stays far below this, so it is never truncated mid-run.)
  if (auto r = conn.exec("PRAGMA journal_size_limit = 67108864", "setting journal_size_limit"); !r) return r;
  return conn.set_synchronous_full(true);
}

/// A copy of an older outreachd's database, outreachd.db.bak-<its version>, before the first
/// migration touches it: the way back if the new binary has to be rolled back. 0600 like the
/// database (VACUUM INTO fills an existing empty file). One already there is an earlier attempt's.
Result<void> back_up_before_migrating(sql::Connection& conn, int version) {
  std::string const backup = conn.path() + ".bak-" + std::to_string(version);
  int const fd = ::open(backup.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return {};
  if (fd < 0) return make_environment_error("cannot create the backup " + backup + ": " + errno_text(errno));
  ::close(fd);
  auto stmt = conn.prepare("VACUUM INTO ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, backup);
  if (auto r = stmt->run("backing up the database to " + backup + " before upgrading its schema"); !r) {
    ::unlink(backup.c_str());
    return r;
  }
  return {};
}

}  // namespace

std::string database_path(std::string const& state_dir) {
  return (std::filesystem::path(state_dir) / kDatabaseFileName).string();
}

Result<Database> Database::open(std::string const& path, OpenOptions const& options) {
  if (auto r = ensure_file(path, options.create); !r) return r.error();
  auto conn = sql::Connection::open(path, false);
  if (!conn) return conn.error();
  auto version = check_usable(**conn, options);
  if (!version) return version.error();
  if (auto r = configure(**conn); !r) return r.error();
  // Only a file behind the current version takes the write lock to migrate: an up-to-date file is
  // opened with reads alone, so `outreachd status` works while the daemon holds a long import open.
  if (*version < current_schema_version()) {
    if (*version > 0) {
      if (auto r = back_up_before_migrating(**conn, *version); !r) return r.error();
    }
    if (auto r = migrate(**conn); !r) return r.error();
  }
  return Database(std::move(*conn));
}

Database::Database(std::unique_ptr<sql::Connection> conn) : conn_(std::move(conn)) {}
Database::Database(Database&& other) noexcept = default;
Database& Database::operator=(Database&& other) noexcept = default;
Database::~Database() = default;

std::string const& Database::path() const { return conn_->path(); }

Result<void> checkpoint(Database& db) {
  return db.connection().exec("PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing the WAL");
}

// ---- StateLock --------------------------------------------------------------------------------

Result<StateLock> StateLock::acquire(std::string const& state_dir) {
  auto lock = DirectoryLock::acquire(state_dir, "state directory");
  if (!lock) return lock.error();
  // The holder's pid, for an operator wondering who runs here. Only informational: the lock is on
  // the directory, so deleting this file lets no second daemon in.
  auto const path = (std::filesystem::path(state_dir) / kLockFileName).string();
  if (int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600); fd >= 0) {
    std::string const pid = std::to_string(::getpid()) + "\n";
    [[maybe_unused]] auto written = ::write(fd, pid.data(), pid.size());
    ::close(fd);
  }
  return StateLock(std::move(*lock), state_dir);
}

StateLock::StateLock(StateLock&& other) noexcept = default;
StateLock& StateLock::operator=(StateLock&& other) noexcept = default;
StateLock::~StateLock() = default;

bool StateLock::guards(Database const& db) const {
  std::error_code ec;
  auto const db_dir = std::filesystem::absolute(db.path(), ec).parent_path();
  if (ec) return false;
  bool const same = std::filesystem::equivalent(db_dir, state_dir_, ec);
  return !ec && same;
}

}  // namespace outreach
