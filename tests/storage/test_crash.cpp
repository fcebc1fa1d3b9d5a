// Crash safety with real SIGKILLs: a child process imports or claims/records in a loop, reports
// progress through a pipe, and is killed mid-stride; the parent reopens the database and checks
// that nothing committed was lost, nothing uncommitted leaked, and no recipient vanished.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

/// A forked child running `body(write_fd)`; killed with SIGKILL by kill_and_reap().
class Child {
 public:
  template <class Body>
  explicit Child(Body body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[0]);
      body(fds[1]);
      ::_exit(0);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) kill_and_reap();
    if (fd_ >= 0) ::close(fd_);
  }
  Child(Child const&) = delete;
  Child& operator=(Child const&) = delete;

  /// Reads one progress value; false when the child closed the pipe (exited).
  bool read(std::int64_t& value) {
    std::size_t got = 0;
    auto* p = reinterpret_cast<char*>(&value);
    while (got < sizeof value) {
      auto const n = ::read(fd_, p + got, sizeof value - got);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// SIGKILL, then wait; true when the child was indeed killed (not exited on its own).
  bool kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

void report(int fd, std::int64_t value) {
  if (::write(fd, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) ::_exit(3);
}

}  // namespace

TEST_CASE("SIGKILL in the middle of an import leaves nothing visible and, once purged, no trace; committed imports are intact") {
  TempDir dir;
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1"});
    import_campaign(db, {.name = "before"}, numbered(100));
  }
  {
    Child child([&](int fd) {
      auto db = Database::open(dir.db_path());
      if (!db) ::_exit(2);
      CampaignSpec spec{.name = "doomed"};
      auto session = begin_import(*db, header_of(spec), "doomed.json", "h", at(0));
      if (!session) ::_exit(2);
      for (std::int64_t i = 0; i < 5'000'000; ++i) {
        if (!session->add(ValidRecipient{"user" + std::to_string(i), std::to_string(i), "Hello there"})) ::_exit(2);
        if (i == 30'000) report(fd, i);  // well into the transaction; the kill lands while it keeps adding
      }
      ::_exit(4);  // never reached in time
    });
    std::int64_t progress = 0;
    REQUIRE(child.read(progress));
    CHECK(progress == 30'000);
    CHECK(child.kill_and_reap());
  }
  auto db = open_db(dir);
  // The chunks written before the kill are there, but nothing sees them.
  CHECK(query_int(db, "SELECT count(*) FROM recipients") > 100);
  CHECK(query_int(db, "SELECT count(*) FROM campaign_status") == 1);
  CHECK(query_int(db, "SELECT count(*) FROM recipient_status") == 100);
  CHECK(query_int(db, "SELECT count(*) FROM failures") == 0);
  // What the daemon does before its first import deletes them.
  CHECK(REQUIRE_OK(purge_unfinished_imports(db)) == 1);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 1);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 100);
  check_consistent(db);
  // The killed import can simply be run again.
  import_campaign(db, {.name = "doomed"}, numbered(50));
  CHECK(query_int(db, "SELECT total FROM campaign_status WHERE campaign = 'doomed'") == 50);
  check_consistent(db);
}

TEST_CASE("SIGKILL among back-to-back imports: every campaign is complete or absent, committed ones stay") {
  TempDir dir;
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1"});
  }
  std::set<std::int64_t> committed;
  {
    Child child([&](int fd) {
      auto db = Database::open(dir.db_path());
      if (!db) ::_exit(2);
      for (std::int64_t k = 0; k < 100'000; ++k) {
        CampaignSpec spec{.name = "c" + std::to_string(k)};
        auto session = begin_import(*db, header_of(spec), spec.name + ".json", "h", at(k));
        if (!session) ::_exit(2);
        for (int i = 0; i < 300; ++i)
          if (!session->add(ValidRecipient{"u" + std::to_string(i), "", "Hi"})) ::_exit(2);
        if (!session->commit()) ::_exit(2);
        report(fd, k);  // only after the commit returned
      }
    });
    std::int64_t k = 0;
    while (committed.size() < 12 && child.read(k)) committed.insert(k);
    CHECK(child.kill_and_reap());
  }
  auto db = open_db(dir);
  // Visible campaigns are whole before anything is purged.
  CHECK(query_int(db, "SELECT count(*) FROM campaign_status WHERE total != 300") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipient_status") == 300 * query_int(db, "SELECT count(*) FROM campaign_status"));
  CHECK(REQUIRE_OK(purge_unfinished_imports(db)) <= 1);  // at most the import the kill interrupted
  for (auto k : committed)
    CHECK(query_int(db, "SELECT count(*) FROM campaigns WHERE name = 'c" + std::to_string(k) + "'") == 1);
  // No campaign is half there.
  CHECK(query_int(db, "SELECT count(*) FROM campaign_counts WHERE total != 300") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 300 * query_int(db, "SELECT count(*) FROM campaigns"));
  check_consistent(db);
}

TEST_CASE("SIGKILL in the middle of claim/record: nothing lost, every claim durable, in-flight ones in doubt") {
  TempDir dir;
  int const n = 5000;  // far more than the child can claim before it is killed, even on a busy machine
  {
    auto db = open_db(dir);
    add_accounts(db, {"a1"});
    import_campaign(db, {}, numbered(n));
  }
  // Three rounds, killed after a different number of cycles each time, so the kill falls at
  // different points of the claim → record loop; recovery runs between rounds as at start-up.
  std::set<std::int64_t> claimed;
  for (int round = 0; round < 3; ++round) {
    {
      Child child([&](int fd) {
        auto db = Database::open(dir.db_path());
        if (!db) ::_exit(2);
        for (std::int64_t i = 0;; ++i) {
          auto c = claim_next(*db, "a1", at(round * 10'000 + i));
          if (!c) ::_exit(2);
          if (!*c) ::_exit(0);
          report(fd, (*c)->recipient_id);  // the claim is committed at this point
          Outcome o = (i % 3 == 0) ? Outcome::failed(ErrorClass::bad_request, 400, "no") : Outcome::sent("m", 200);
          if (!record_outcome(*db, **c, o, at(round * 10'000 + i))) ::_exit(2);
        }
      });
      int const kill_after = 40 + round * 37;
      std::int64_t id = 0;
      for (int i = 0; i < kill_after && child.read(id); ++i) claimed.insert(id);
      CHECK(child.kill_and_reap());
    }
    auto db = open_db(dir);
    auto lock = REQUIRE_OK(StateLock::acquire(dir.str()));
    auto const in_doubt = REQUIRE_OK(recover_in_doubt(db, lock, at(round * 10'000 + 9'999)));
    CHECK(in_doubt <= 1);  // one worker: at most the claim in flight at the kill
    CHECK(query_int(db, "SELECT count(*) FROM recipients") == n);
    CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sending'") == 0);
    // Every claim the child reported is durable: none of them went back to pending.
    for (auto rid : claimed)
      CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE id = " + std::to_string(rid) +
                              " AND state IN ('sent', 'failed', 'unknown')") == 1);
    check_consistent(db);
  }
}
