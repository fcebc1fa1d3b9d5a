// storage/clock_shift: after a wall-clock step the times kept relative to now move with it, so a
// step neither frees the cap (forwards) nor stalls the account (backwards).
#include <doctest/doctest.h>

#include "core/daily_cap.hpp"
#include "storage/clock_shift.hpp"
#include "storage/ledger.hpp"
#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

TEST_CASE("a forward step moves the ledger with it: the cap stays used and nothing is pruned") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"}, 5);
  import_campaign(db, {}, numbered(8));
  for (int i = 0; i < 5; ++i) {
    auto c = claim(db, "a1", at(i));
    REQUIRE_OK(record_outcome(db, c, Outcome::sent("m" + std::to_string(i), 200), at(i)));
  }
  // The clock jumps a day forwards a few seconds later. Unshifted, every attempt looks a day old.
  TimePoint const after_step = at(10) + 24h;
  CHECK(REQUIRE_OK(ledger_window(db, "a1", after_step)).empty());

  REQUIRE_OK(shift_for_clock_step(db, 24h));
  auto window = REQUIRE_OK(ledger_window(db, "a1", after_step));
  CHECK(window.size() == 5);
  CHECK_FALSE(check_daily_cap(window, 5, after_step).may_send_now);
  // Pruning at the new time keeps them all: they are seconds old in real time.
  CHECK(REQUIRE_OK(prune_ledger(db, after_step)) == 0);
  CHECK(query_int(db, "SELECT count(*) FROM send_ledger") == 5);
  CHECK(query_int(db, "SELECT min(at) FROM send_ledger") == (at(0) + 24h).time_since_epoch().count());
}

TEST_CASE("a backward step moves retry times and the ledger back: nothing waits the step out") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, numbered(2));
  auto c = claim(db, "a1", at(0));
  REQUIRE_OK(record_outcome(db, c, Outcome::retry_at(at(60), ErrorClass::server_error, 503, "busy"), at(1)));
  REQUIRE_OK(db.connection().exec("UPDATE accounts SET next_send_at = 1800000005000", "test"));

  REQUIRE_OK(shift_for_clock_step(db, -1h));
  CHECK(query_int(db, "SELECT next_attempt_at FROM recipients WHERE state = 'retrying'") ==
        (at(60) - 1h).time_since_epoch().count());
  CHECK(query_int(db, "SELECT at FROM send_ledger") == (at(1) - 1h).time_since_epoch().count());
  CHECK(query_int(db, "SELECT next_send_at FROM accounts") == (at(5) - 1h).time_since_epoch().count());
  // The retry is due 59 s after the (new) now, not an hour and 59 s.
  auto due = REQUIRE_OK(next_due_at(db, "a1", at(1) - 1h));
  REQUIRE(due.has_value());
  CHECK(*due == at(1) - 1h);  // the other recipient is pending: due now
  check_consistent(db);
}

TEST_CASE("entries a step apart never collide on the ledger's key while moving") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, numbered(1));
  // Two entries of one recipient exactly 1 h apart: a naive "at = at + 1h" hits the other's key.
  REQUIRE_OK(db.connection().exec("INSERT INTO send_ledger (account_id, at, recipient_id) VALUES "
                                  "(1, 1800000000000, 1), (1, 1800003600000, 1)",
                                  "test"));
  REQUIRE_OK(shift_for_clock_step(db, 1h));
  CHECK(query_int(db, "SELECT min(at) FROM send_ledger") == 1800003600000);
  CHECK(query_int(db, "SELECT max(at) FROM send_ledger") == 1800007200000);
}
