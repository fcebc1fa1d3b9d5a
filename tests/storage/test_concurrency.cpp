// Concurrent claimers — threads with their own connections, and separate processes — never get
// the same recipient, and together they drain the queue exactly once.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

/// Claims and records until the account has nothing due; returns the claimed recipient ids.
std::vector<std::int64_t> drain(std::string const& path, std::string const& account, std::string& error) {
  std::vector<std::int64_t> ids;
  auto db = Database::open(path);
  if (!db) {
    error = db.error().message;
    return ids;
  }
  for (int i = 0; i < 10'000; ++i) {
    auto const now = at(i);
    auto c = claim_next(*db, account, now);
    if (!c) {
      error = c.error().message;
      return ids;
    }
    if (!*c) return ids;
    ids.push_back((*c)->recipient_id);
    if (auto r = record_outcome(*db, **c, Outcome::sent("m" + std::to_string((*c)->recipient_id), 200), now); !r) {
      error = r.error().message;
      return ids;
    }
  }
  error = "did not finish";
  return ids;
}

}  // namespace

TEST_CASE("four threads with their own connections never claim the same recipient") {
  TempDir dir;
  int const n = 160;
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1", "a2"});
    import_campaign(db, {.accounts = {"a1", "a2"}}, numbered(n));
  }
  std::vector<std::string> const accounts{"a1", "a2", "a1", "a2"};  // two workers share each account
  std::vector<std::vector<std::int64_t>> claimed(accounts.size());
  std::vector<std::string> errors(accounts.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < accounts.size(); ++i)
      threads.emplace_back([&, i] { claimed[i] = drain(dir.db_path(), accounts[i], errors[i]); });
  }
  std::multiset<std::int64_t> all;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    CHECK_MESSAGE(errors[i].empty(), errors[i]);
    all.insert(claimed[i].begin(), claimed[i].end());
  }
  CHECK(all.size() == static_cast<std::size_t>(n));
  CHECK(std::set<std::int64_t>(all.begin(), all.end()).size() == static_cast<std::size_t>(n));
  auto db = open_db(dir);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sent'") == n);
  CHECK(query_int(db, "SELECT count(*) FROM attempts") == n);
  check_consistent(db);
}

TEST_CASE("two processes claiming from one queue never share a recipient") {
  TempDir dir;
  int const n = 120;
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1", "a2"});
    import_campaign(db, {.accounts = {"a1", "a2"}}, numbered(n));
  }  // closed before fork: SQLite connections must not cross a fork

  std::vector<int> read_ends;
  std::vector<pid_t> children;
  for (std::string account : {"a1", "a2"}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t const pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::string error;
      auto ids = drain(dir.db_path(), account, error);
      for (auto id : ids)
        if (::write(fds[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) ::_exit(3);
      ::_exit(error.empty() ? 0 : 2);
    }
    ::close(fds[1]);
    read_ends.push_back(fds[0]);
    children.push_back(pid);
  }
  std::multiset<std::int64_t> all;
  for (int fd : read_ends) {
    std::int64_t id = 0;
    while (::read(fd, &id, sizeof id) == static_cast<ssize_t>(sizeof id)) all.insert(id);
    ::close(fd);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(all.size() == static_cast<std::size_t>(n));
  CHECK(std::set<std::int64_t>(all.begin(), all.end()).size() == static_cast<std::size_t>(n));
  auto db = open_db(dir);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sent'") == n);
  check_consistent(db);
}

TEST_CASE("write turns: a transaction on a connection that shares turns waits for the one in progress") {
  TempDir dir;
  auto turns = std::make_shared<sql::WriteTurns>();
  auto a = open_db(dir);
  auto b = open_db(dir);
  a.connection().share_write_turns(turns);
  b.connection().share_write_turns(turns);
  add_accounts(a, {"a1"});
  auto held = REQUIRE_OK(sql::Transaction::begin(a.connection(), sql::Durability::normal, "holding a turn"));
  std::atomic<bool> began{false};
  std::thread other([&] {
    auto tx = sql::Transaction::begin(b.connection(), sql::Durability::normal, "waiting for a turn");
    began = tx.has_value();
    if (tx) (void)tx->commit("waiting for a turn");
  });
  // The other thread queues behind this turn instead of meeting SQLite's lock (which would fail it
  // after busy_timeout): it cannot begin until the turn ends.
  while (turns->waiting() == 0) std::this_thread::yield();
  CHECK_FALSE(began.load());
  REQUIRE_OK(held.commit("holding a turn"));
  other.join();
  CHECK(began.load());
  CHECK(turns->waiting() == 0);
}

TEST_CASE("an import in chunks on one thread and claims on another, sharing turns: both finish, the queue is whole") {
  TempDir dir;
  auto turns = std::make_shared<sql::WriteTurns>();
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1"});
    import_campaign(db, {.name = "running"}, numbered(300, "r"));
  }
  std::string import_error;
  std::thread importer([&] {
    auto db = Database::open(dir.db_path());
    if (!db) {
      import_error = db.error().message;
      return;
    }
    db->connection().share_write_turns(turns);
    auto session = begin_import(*db, header_of({.name = "big"}), "big.json", "h", at(0), ImportOptions{50});
    if (!session) {
      import_error = session.error().message;
      return;
    }
    for (int i = 0; i < 20'000; ++i)
      if (auto r = session->add(rec("big" + std::to_string(i))); !r) {
        import_error = r.error().message;
        return;
      }
    if (auto r = session->commit(); !r) import_error = r.error().message;
  });
  auto db = open_db(dir);
  db.connection().share_write_turns(turns);
  std::int64_t claimed = 0;
  for (int i = 0; i < 300; ++i) {
    auto c = REQUIRE_OK(claim_next(db, "a1", at(i)));
    REQUIRE(c.has_value());
    REQUIRE_OK(record_outcome(db, *c, Outcome::sent("m", 200), at(i)));
    ++claimed;
  }
  importer.join();
  CHECK(import_error.empty());
  CHECK(claimed == 300);
  CHECK(query_rows(db, "SELECT campaign, total, sent FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"running", "300", "300"}, {"big", "20000", "0"}});
  check_consistent(db);
}
