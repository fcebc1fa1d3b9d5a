// Opening the database: file mode, pragmas, migrations, refusal of newer or foreign files, and
// the single-instance lock.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "storage/directory_lock.hpp"
#include "storage/schema.hpp"
#include "storage/status.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

unsigned mode_of(std::string const& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777u;
}

}  // namespace

TEST_CASE("a new database is created 0600 with WAL, foreign keys, busy_timeout and the current schema") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});  // a write, so the -wal and -shm files exist
  CHECK(mode_of(dir.db_path()) == 0600u);
  CHECK(mode_of(dir.db_path() + "-wal") == 0600u);
  CHECK(mode_of(dir.db_path() + "-shm") == 0600u);
  CHECK(query_text(db, "PRAGMA journal_mode") == "wal");
  CHECK(query_int(db, "PRAGMA foreign_keys") == 1);
  CHECK(query_int(db, "PRAGMA busy_timeout") == 5000);
  CHECK(query_int(db, "PRAGMA user_version") == current_schema_version());
  CHECK(query_int(db, "PRAGMA journal_size_limit") == 64 * 1024 * 1024);
  CHECK(current_schema_version() >= 1);
}

TEST_CASE("checkpoint copies the WAL into the database and truncates it") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, numbered(500));
  CHECK(std::filesystem::file_size(dir.db_path() + "-wal") > 0);
  REQUIRE_OK(checkpoint(db));
  CHECK(std::filesystem::file_size(dir.db_path() + "-wal") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 500);
}

TEST_CASE("reopening keeps the data and does not migrate again") {
  TempDir dir;
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1", "a2"});
  }
  auto db = open_db(dir);
  CHECK(query_int(db, "SELECT count(*) FROM accounts") == 2);
  CHECK(query_int(db, "PRAGMA user_version") == current_schema_version());
}

TEST_CASE("a database from a newer outreachd is refused with a clear error, and left untouched") {
  TempDir dir;
  {
    auto db = open_db(dir);
    REQUIRE_OK(db.connection().exec("PRAGMA user_version = 99", "test"));
  }
  auto again = Database::open(dir.db_path());
  auto const message = error_of(again);
  CHECK(message.find("schema version 99") != std::string::npos);
  CHECK(message.find("newer than this outreachd") != std::string::npos);
  CHECK(message.find(dir.db_path()) != std::string::npos);
  auto conn = REQUIRE_OK(sql::Connection::open(dir.db_path(), false));
  auto version = REQUIRE_OK(conn->prepare("PRAGMA user_version"));
  REQUIRE(REQUIRE_OK(version.step("test")));
  CHECK(version.int_at(0) == 99);
  auto tables = REQUIRE_OK(conn->prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'recipients'"));
  REQUIRE(REQUIRE_OK(tables.step("test")));
  CHECK(tables.int_at(0) == 1);
}

TEST_CASE("a newer outreachd's database is not even switched to WAL before it is refused") {
  TempDir dir;
  {
    auto conn = REQUIRE_OK(sql::Connection::open(dir.db_path(), true));
    REQUIRE_OK(conn->exec("CREATE TABLE future_things (x)", "test"));
    REQUIRE_OK(conn->exec("PRAGMA user_version = 99", "test"));
  }
  auto const message = error_of(Database::open(dir.db_path()));
  CHECK(message.find("newer than this outreachd") != std::string::npos);
  auto conn = REQUIRE_OK(sql::Connection::open(dir.db_path(), false));
  auto mode = REQUIRE_OK(conn->prepare("PRAGMA journal_mode"));
  REQUIRE(REQUIRE_OK(mode.step("test")));
  CHECK(mode.text_at(0) == "delete");
}

TEST_CASE("create = false refuses an empty file instead of writing the schema into it") {
  TempDir dir;
  { std::ofstream touch(dir.db_path()); }
  auto const message = error_of(Database::open(dir.db_path(), OpenOptions{.create = false}));
  CHECK(message.find("is empty") != std::string::npos);
  CHECK(message.find(dir.db_path()) != std::string::npos);
  CHECK(std::filesystem::file_size(dir.db_path()) == 0);
  // The daemon's own open (create = true) still initialises it.
  auto db = open_db(dir);
  CHECK(query_int(db, "PRAGMA user_version") == current_schema_version());
}

TEST_CASE("an up-to-date database opens without the write lock, so status reads during a long import") {
  TempDir dir;
  auto daemon = open_db(dir);
  add_accounts(daemon, {"a1"});
  import_campaign(daemon, {}, numbered(3));
  // The daemon is in the middle of importing the next campaign: it holds SQLite's write lock.
  auto session = REQUIRE_OK(begin_import(daemon, header_of({.name = "c2"}), "c2.json", "hash-c2", at(0)));
  REQUIRE_OK(session.add(rec("late")));
  auto cli = Database::open(dir.db_path(), OpenOptions{.create = false, .busy_timeout = std::chrono::milliseconds{50}});
  REQUIRE_MESSAGE(cli.has_value(), (cli ? "" : cli.error().message));
  auto rows = REQUIRE_OK(read_campaign_status(*cli));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].total == 3);
  session.rollback();
}

TEST_CASE("a file that is not a database, or another program's database, is refused") {
  TempDir dir;
  {
    std::ofstream(dir.db_path())
        << "this is a text file, long enough to have a header of sorts.......................\n";
  }
  auto const not_db = error_of(Database::open(dir.db_path()));
  CHECK(not_db.find("not a database") != std::string::npos);

  TempDir other;
  {
    auto conn = REQUIRE_OK(sql::Connection::open(other.db_path(), true));
    REQUIRE_OK(conn->exec("CREATE TABLE notes (x)", "test"));
  }
  auto const foreign = error_of(Database::open(other.db_path()));
  CHECK(foreign.find("not an outreachd one") != std::string::npos);
}

TEST_CASE("create = false refuses a missing file instead of making an empty database") {
  TempDir dir;
  auto const message = error_of(Database::open(dir.db_path(), OpenOptions{.create = false}));
  CHECK(message.find("does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.db_path()));
  auto missing_dir = Database::open(dir.str() + "/no/such/dir/outreachd.db");
  CHECK(error_of(missing_dir).find("cannot create database") != std::string::npos);
}

TEST_CASE("the state directory lock admits one holder at a time and is released on destruction") {
  TempDir dir;
  {
    auto first = REQUIRE_OK(StateLock::acquire(dir.str()));
    auto second = StateLock::acquire(dir.str());
    auto const message = error_of(second);
    CHECK(message.find("another outreachd is already running") != std::string::npos);
    CHECK(message.find(dir.str()) != std::string::npos);
    CHECK(mode_of(dir.str() + "/outreachd.lock") == 0600u);
  }
  auto again = StateLock::acquire(dir.str());
  CHECK(again.has_value());
}

TEST_CASE("a lock guards only the database in its own state directory") {
  TempDir dir;
  TempDir elsewhere;
  auto db = open_db(dir);
  auto lock = REQUIRE_OK(StateLock::acquire(dir.str()));
  auto other_lock = REQUIRE_OK(StateLock::acquire(elsewhere.str()));
  CHECK(lock.guards(db));
  CHECK_FALSE(other_lock.guards(db));
}

TEST_CASE("a write while another is open on the same connection is an error, not a nested change") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  {
    auto open = REQUIRE_OK(sql::Transaction::begin(db.connection(), sql::Durability::normal, "an open write"));
    auto const message = error_of(sync_accounts(db, std::vector<ConfiguredAccount>{{"a2", ProviderKind::x_api, 5}}));
    CHECK(message.find("another write is still open") != std::string::npos);
    CHECK(error_of(begin_import(db, header_of({}), "c1.json", "h", at(0))).find("another write is still open") !=
          std::string::npos);
  }  // rolled back
  // An import holds no transaction between its chunks, so a write in between is its own change.
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
  REQUIRE_OK(session.add(rec("alice")));
  add_accounts(db, {"a1", "a2"});
  CHECK(query_int(db, "SELECT count(*) FROM accounts") == 2);
  session.rollback();
  CHECK(query_int(db, "SELECT count(*) FROM accounts") == 2);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 0);
}

TEST_CASE("deleting the lock file does not release the state directory lock, the error names the holder's pid") {
  TempDir dir;
  auto first = REQUIRE_OK(StateLock::acquire(dir.str()));
  std::filesystem::remove(dir.str() + "/outreachd.lock");
  auto const message = error_of(StateLock::acquire(dir.str()));
  CHECK(message.find("another outreachd is already running with state directory " + dir.str()) != std::string::npos);
  CHECK(message.find("(pid " + std::to_string(::getpid()) + ")") != std::string::npos);
}

TEST_CASE("a directory lock admits one holder, names it, and is released with its object") {
  TempDir dir;
  {
    auto first = REQUIRE_OK(DirectoryLock::acquire(dir.str(), "watch directory"));
    auto const message = error_of(DirectoryLock::acquire(dir.str(), "watch directory"));
    CHECK(message.find("another outreachd is already running with watch directory " + dir.str()) != std::string::npos);
    CHECK(flock_holder_pid(dir.str()) == ::getpid());
  }
  CHECK_FALSE(flock_holder_pid(dir.str()).has_value());
  CHECK(DirectoryLock::acquire(dir.str(), "watch directory").has_value());
  CHECK(error_of(DirectoryLock::acquire(dir.str() + "/missing", "watch directory")).find("cannot open watch directory") !=
        std::string::npos);
}
