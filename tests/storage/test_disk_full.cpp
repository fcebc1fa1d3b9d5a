// A full disk, made real for SQLite with PRAGMA max_page_count (the database cannot grow past
// it, and SQLite answers SQLITE_FULL exactly as for ENOSPC): every operation says so clearly,
// rolls back whole, loses nothing, and works again once there is room.
#include <doctest/doctest.h>

#include "storage/queue.hpp"
#include "storage/status.hpp"
#include "tests/storage/support.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

/// Lets the database grow by `pages` more pages at most.
void leave_room(Database& db, std::int64_t pages) {
  const std::int64_t now = query_int(db, "PRAGMA page_count");
  REQUIRE_OK(db.connection().exec("PRAGMA max_page_count = " + std::to_string(now + pages), "limiting the size"));
}

void make_room(Database& db) {
  REQUIRE_OK(db.connection().exec("PRAGMA max_page_count = 1073741823", "lifting the limit"));
}

}  // namespace

TEST_CASE("a full disk during import: a clear error, nothing stored, and the same import works with room") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "before"}, numbered(3));
  leave_room(db, 2);

  // The first error of the import, from begin, add or commit; the session rolls back as it goes.
  auto const import_error = [&]() -> std::optional<std::string> {
    auto session = begin_import(db, header_of({.name = "big"}), "big.json", "hash-big", at(1));
    if (!session) return session.error().message;
    for (auto const& r : numbered(3000, "big"))
      if (auto added = session->add(r); !added) return added.error().message;
    auto committed = session->commit();
    if (!committed) return committed.error().message;
    return std::nullopt;
  };
  auto const error = import_error();
  REQUIRE_MESSAGE(error.has_value(), "the size limit never bit");
  CHECK_MESSAGE(error->find("disk is full") != std::string::npos, *error);

  CHECK(query_int(db, "SELECT count(*) FROM campaigns WHERE name = 'big'") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 3);
  check_consistent(db);

  make_room(db);
  auto summary = import_campaign(db, {.name = "big"}, numbered(3000, "big"), at(2));
  CHECK(summary.total == 3000);
  check_consistent(db);
}

TEST_CASE("a full disk at claim or record: a clear error, the queue stays consistent, nothing is lost") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, numbered(2000));
  leave_room(db, 0);

  // Send until the disk refuses (the attempts and ledger rows need new pages sooner or later).
  std::optional<std::string> error;
  std::int64_t sent = 0;
  for (int i = 0; i < 2000 && !error; ++i) {
    auto claim = claim_next(db, "a1", at(10 + i));
    if (!claim) {
      error = claim.error().message;
      break;
    }
    REQUIRE(claim->has_value());
    auto recorded = record_outcome(db, **claim, Outcome::sent("m" + std::to_string(i), 200), at(10 + i));
    if (!recorded) error = recorded.error().message;
    else ++sent;
  }
  REQUIRE_MESSAGE(error.has_value(), "the size limit never bit");
  CHECK_MESSAGE(error->find("disk is full") != std::string::npos, *error);
  check_consistent(db);
  // Every recipient is still accounted for: sent, pending, or `sending` (a record that failed;
  // start-up recovery turns it into unknown/in_doubt, never a resend).
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sent'") == sent);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sending'") <= 1);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 2000);

  make_room(db);
  // With room again the queue goes on where it stopped.
  auto next = REQUIRE_OK(claim_next(db, "a1", at(5000)));
  REQUIRE(next.has_value());
  REQUIRE_OK(record_outcome(db, *next, Outcome::sent("after", 200), at(5001)));
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sent'") == sent + 1);
  check_consistent(db);
}

TEST_CASE("a full disk at any point of an import that takes write turns: the turn is always handed back") {
  // Every budget of pages from none to enough: the disk fills in a chunk, in the last transaction
  // or not at all. A failure must roll back before the chunks are deleted (the deletes take turns
  // too), or the import thread would wait for a turn it holds itself.
  for (std::int64_t pages = 0;; ++pages) {
    CAPTURE(pages);
    TempDir dir;
    auto db = open_db(dir);
    add_accounts(db, {"a1"});
    auto turns = std::make_shared<sql::WriteTurns>();
    db.connection().share_write_turns(turns);
    leave_room(db, pages);
    bool imported = false;
    {
      auto session = begin_import(db, header_of({.name = "big"}), "big.json", "h", at(1), ImportOptions{100});
      if (session) {
        bool added = true;
        for (auto const& r : numbered(1000, "big"))
          if (!session->add(r)) {
            added = false;
            break;
          }
        if (!added) {
          // A failed chunk has handed its turn back at once, before the session ends: the caller
          // may go on reading the file meanwhile. (Held, this thread would wait for itself here.)
          auto other = open_db(dir);
          other.connection().share_write_turns(turns);
          REQUIRE_OK(REQUIRE_OK(sql::Transaction::begin(other.connection(), sql::Durability::normal, "a write meanwhile"))
                         .commit("a write meanwhile"));
        }
        auto committed = session->commit();
        imported = added && committed.has_value();
        if (!committed) CHECK_MESSAGE(committed.error().message.find("disk is full") != std::string::npos,
                                      committed.error().message);
      }
    }
    CHECK(turns->waiting() == 0);
    // The turn is free: another write begins at once.
    make_room(db);
    REQUIRE_OK(sql::Transaction::begin(db.connection(), sql::Durability::normal, "a write after the import"));
    if (imported) {
      CHECK(query_int(db, "SELECT total FROM campaign_status") == 1000);
      break;
    }
    CHECK(query_int(db, "SELECT count(*) FROM campaign_status") == 0);
    REQUIRE(pages < 400);
  }
}
