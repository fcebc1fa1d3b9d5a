// The last look before a send (storage/queue.hpp check_before_send): one person, one DM within a
// campaign (docs/send-rules.md#one-person-one-dm), the contact cooldown across campaigns, and a
// suppression list that grew while the lookup was out — plus the schema migration that brought the
// two new reasons.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "storage/operator.hpp"
#include "storage/queue.hpp"
#include "storage/schema.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

namespace {

Outcome skipped_as(ErrorClass reason, std::string const& resolved) {
  Outcome o = Outcome::skipped(reason);
  o.resolved_user_id = resolved;
  return o;
}

}  // namespace

TEST_CASE("one person listed by username and by id: the second row to reach the gate is a duplicate") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  // alice by name, then alice by her id (42): the import's collapsing of identical recipients cannot see they are one person.
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("", "42"), rec("bob")});
  auto by_name = claim(db, "a1", at(0));
  auto by_id = claim(db, "a2", at(0));
  REQUIRE(by_name.username == "alice");
  REQUIRE(by_id.user_id == "42");

  // The id row goes first: alice's row is claimed but nobody knows yet that it is 42.
  CHECK(REQUIRE_OK(check_before_send(db, by_id, "42")) == SendGate::go);
  // alice's lookup says 42: the id row is out (sending), so she is a duplicate, whatever its outcome.
  CHECK(REQUIRE_OK(check_before_send(db, by_name, "42")) == SendGate::duplicate);
  REQUIRE_OK(record_outcome(db, by_name, skipped_as(ErrorClass::duplicate, "42"), at(1)));
  REQUIRE_OK(record_outcome(db, by_id, Outcome::sent("m1", 200), at(2)));
  CHECK(query_text(db, "SELECT state || '/' || reason FROM recipient_status WHERE username = 'alice'") ==
        "skipped/duplicate");
  CHECK(query_text(db, "SELECT user_id FROM recipient_status WHERE username = 'alice'") == "42");
  check_consistent(db);
}

TEST_CASE("the first of two rows to reach the gate goes, the other sees it whatever its state") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("", "42")});
  auto by_name = claim(db, "a1", at(0));
  auto by_id = claim(db, "a2", at(0));
  // alice's gate first: the id row is claimed (sending) with id 42 → alice is the duplicate...
  CHECK(REQUIRE_OK(check_before_send(db, by_name, "42")) == SendGate::duplicate);
  REQUIRE_OK(record_outcome(db, by_name, skipped_as(ErrorClass::duplicate, "42"), at(1)));
  // ...and the id row, seeing only a skipped row, goes. Exactly one of the two is sent.
  CHECK(REQUIRE_OK(check_before_send(db, by_id, "")) == SendGate::go);

  // A row that was retrying, sent or unknown counts as well; a failed or skipped one does not.
  for (auto const& [state, expected] : std::vector<std::pair<std::string, SendGate>>{
           {"retrying", SendGate::duplicate}, {"sent", SendGate::duplicate}, {"unknown", SendGate::duplicate},
           {"failed", SendGate::go}, {"skipped", SendGate::go}}) {
    CAPTURE(state);
    db.connection().exec("UPDATE recipients SET state = '" + state + "', resolved_user_id = '42' WHERE username = 'alice'",
                         "test").value();
    CHECK(REQUIRE_OK(check_before_send(db, by_id, "")) == expected);
  }
}

TEST_CASE("a suppression added while the lookup was out is seen at the gate: by username, given id or resolved id") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob", "222"), rec("carol")});
  auto alice = claim(db, "a1", at(0));
  auto bob = claim(db, "a1", at(0));
  auto carol = claim(db, "a1", at(0));
  std::vector<std::string> users{"ALICE", "222"};
  REQUIRE_OK(suppress(db, users, at(1)));
  CHECK(REQUIRE_OK(check_before_send(db, alice, "111")) == SendGate::suppressed);  // her username
  CHECK(REQUIRE_OK(check_before_send(db, bob, "222")) == SendGate::suppressed);    // the id in the file
  CHECK(REQUIRE_OK(check_before_send(db, carol, "333")) == SendGate::go);
}

TEST_CASE("contact_cooldown: another campaign's contact within it skips the person, an older one does not") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "first"}, {rec("alice"), rec("bob")});
  auto alice = claim(db, "a1", at(0));
  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m1", 200), at(10)));
  auto bob = claim(db, "a1", at(20));
  REQUIRE_OK(record_outcome(db, bob, Outcome::in_doubt("timed out"), at(30)));
  import_campaign(db, {.name = "second"}, {rec("", "11"), rec("", "12"), rec("carol")});
  db.connection().exec("UPDATE recipients SET resolved_user_id = '11' WHERE username = 'alice'", "test").value();
  db.connection().exec("UPDATE recipients SET resolved_user_id = '12' WHERE username = 'bob'", "test").value();

  auto again_alice = claim(db, "a1", at(100));
  auto again_bob = claim(db, "a1", at(100));
  GateRules const day{24h, at(100)};
  CHECK(REQUIRE_OK(check_before_send(db, again_alice, "", day)) == SendGate::recently_contacted);  // sent at 10
  CHECK(REQUIRE_OK(check_before_send(db, again_bob, "", day)) == SendGate::recently_contacted);    // unknown: claimed at 20
  // Off by default, and a contact older than the cooldown does not count.
  CHECK(REQUIRE_OK(check_before_send(db, again_alice, "")) == SendGate::go);
  CHECK(REQUIRE_OK(check_before_send(db, again_alice, "", GateRules{50s, at(100)})) == SendGate::go);
  CHECK(REQUIRE_OK(check_before_send(db, again_bob, "", GateRules{81s, at(100)})) == SendGate::recently_contacted);
  REQUIRE_OK(record_outcome(db, again_alice, skipped_as(ErrorClass::recently_contacted, ""), at(101)));
  CHECK(query_text(db, "SELECT reason FROM recipient_status WHERE campaign = 'second' AND user_id = '11'") ==
        "recently_contacted");
}

TEST_CASE("the gate's search for a person's other rows uses the partial index, not a table scan") {
  TempDir dir;
  auto db = open_db(dir);
  auto plan = query_rows(db, R"sql(EXPLAIN QUERY PLAN
SELECT campaign_id, coalesce(sent_at, claimed_at) FROM recipients
WHERE coalesce(user_id, resolved_user_id) = '42'
  AND (state = 'sending' OR state = 'retrying' OR state = 'sent' OR state = 'unknown')
  AND id != 7)sql");
  REQUIRE_FALSE(plan.empty());
  CHECK(plan.front().back().find("USING INDEX recipients_contacted") != std::string::npos);
}

TEST_CASE("a version-1 database is backed up, then migrated in place: the new reasons are accepted") {
  TempDir dir;
  {
    auto conn = sql::Connection::open(dir.db_path(), true);
    REQUIRE(conn.has_value());
    REQUIRE_OK((*conn)->exec(migrations()[0].sql, "version 1"));
    REQUIRE_OK((*conn)->exec("PRAGMA user_version = 1", "version 1"));
    REQUIRE_OK((*conn)->exec("INSERT INTO campaigns (name, file_name, content_hash, message, priority, dry_run, created_at) "
                             "VALUES ('old', 'old.json', 'h', 'Hi', 0, 0, 0)",
                             "version 1"));
  }
  auto db = open_db(dir);
  CHECK(query_int(db, "PRAGMA user_version") == current_schema_version());
  std::string const backup = dir.db_path() + ".bak-1";
  struct stat st {};
  REQUIRE(::stat(backup.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600u);
  REQUIRE_OK(db.connection().exec("INSERT INTO recipients (campaign_id, state, reason, username, text) "
                                  "VALUES (1, 'skipped', 'duplicate', 'x', 'Hi')",
                                  "test"));
  REQUIRE_OK(db.connection().exec("INSERT INTO recipients (campaign_id, state, reason, username, text) "
                                  "VALUES (1, 'skipped', 'recently_contacted', 'y', 'Hi')",
                                  "test"));
  CHECK_FALSE(db.connection()
                  .exec("INSERT INTO recipients (campaign_id, state, reason, username, text) "
                        "VALUES (1, 'skipped', 'bogus', 'z', 'Hi')",
                        "test")
                  .has_value());
  CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
  CHECK(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'recipients_contacted'") == 1);
  // The backup is the version-1 file as it was.
  auto old = REQUIRE_OK(sql::Connection::open(backup, false));
  auto v = REQUIRE_OK(old->prepare("PRAGMA user_version"));
  REQUIRE(REQUIRE_OK(v.step("test")));
  CHECK(v.int_at(0) == 1);
}
