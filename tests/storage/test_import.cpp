// Import: one streaming transaction, duplicates collapse, suppression applies, the content hash
// makes a repeat a no-op and a different file under the same name an error.
#include <doctest/doctest.h>

#include "storage/operator.hpp"
#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;

TEST_CASE("import stores recipients in file order as pending, with counts and the campaign's fields") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  CampaignSpec spec;
  spec.accounts = {"a1", "a2"};
  spec.priority = 3;
  spec.start_at = at(3600);
  spec.dry_run = true;
  auto summary = import_campaign(db, spec, {rec("alice"), rec("", "44196397"), rec("bob", "12")}, at(10));
  CHECK_FALSE(summary.already_imported);
  CHECK(summary.total == 3);
  CHECK(summary.duplicates == 0);
  CHECK(summary.suppressed == 0);
  CHECK(summary.campaign_id > 0);

  auto rows = query_rows(db, "SELECT username, user_id, state, text FROM recipients ORDER BY id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"alice", "NULL", "pending", "Hi alice"});
  CHECK(rows[1] == std::vector<std::string>{"NULL", "44196397", "pending", "Hi 44196397"});
  CHECK(rows[2] == std::vector<std::string>{"bob", "12", "pending", "Hi bob"});
  CHECK(query_int(db, "SELECT total * 100 + pending FROM campaign_counts") == 303);
  CHECK(query_int(db, "SELECT count(*) FROM campaign_accounts") == 2);
  auto campaign =
      query_rows(db, "SELECT name, file_name, priority, start_at, dry_run, control, created_at FROM campaigns");
  REQUIRE(campaign.size() == 1);
  CHECK(campaign[0] == std::vector<std::string>{"c1", "c1.json", "3",
                                                std::to_string(at(3600).time_since_epoch().count()), "1", "active",
                                                std::to_string(at(10).time_since_epoch().count())});
  check_consistent(db);
}

TEST_CASE("duplicates collapse: same username in any case, or same user_id, count once") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto summary = import_campaign(db, {},
                                 {rec("Alice"), rec("alice"), rec("ALICE", "7"), rec("", "7"), rec("bob", "7"),
                                  rec("carol", "8"), rec("", "8"), rec("dave")});
  CHECK(summary.total == 4);
  CHECK(summary.duplicates == 4);
  auto rows = query_rows(db, "SELECT coalesce(username, '-'), coalesce(user_id, '-') FROM recipients ORDER BY id");
  // The first occurrence wins; "" + 7 is new (ALICE/7 was dropped), bob/7 then collides with it.
  CHECK(rows == std::vector<std::vector<std::string>>{{"Alice", "-"}, {"-", "7"}, {"carol", "8"}, {"dave", "-"}});
  CHECK(query_int(db, "SELECT total FROM campaign_counts") == 4);
  check_consistent(db);
}

TEST_CASE("the same usernames in two campaigns are two recipients") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "c1"}, {rec("alice"), rec("bob")});
  import_campaign(db, {.name = "c2"}, {rec("alice"), rec("bob")});
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 4);
  check_consistent(db);
}

TEST_CASE("recipients on the suppression list are skipped/suppressed at import, by username or id") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  REQUIRE_OK(suppress(db, std::vector<std::string>{"@Mallory", "999"}, at(0)));
  auto summary =
      import_campaign(db, {}, {rec("alice"), rec("MALLORY"), rec("", "999"), rec("eve", "999"), rec("zed", "5")});
  CHECK(summary.total == 4);
  CHECK(summary.suppressed == 2);
  CHECK(summary.duplicates == 1);
  CHECK(
      query_rows(db, "SELECT coalesce(username, user_id), state, coalesce(reason, '-') FROM recipients ORDER BY id") ==
      std::vector<std::vector<std::string>>{{"alice", "pending", "-"},
                                            {"MALLORY", "skipped", "suppressed"},
                                            {"999", "skipped", "suppressed"},
                                            {"zed", "pending", "-"}});
  CHECK(query_int(db, "SELECT pending * 10 + skipped FROM campaign_counts") == 22);
  check_consistent(db);
}

TEST_CASE("a campaign whose every recipient is suppressed is finished at once") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  REQUIRE_OK(suppress(db, std::vector<std::string>{"alice"}, at(0)));
  import_campaign(db, {}, {rec("alice")}, at(5));
  CHECK(query_int(db, "SELECT finished_at FROM campaign_counts") == at(5).time_since_epoch().count());
  check_consistent(db);
}

TEST_CASE("importing the same file again is a no-op, a different file under the same name is an error") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto first = import_campaign(db, {.hash = "abc"}, {rec("alice"), rec("bob")});

  auto again = REQUIRE_OK(begin_import(db, header_of({}), "renamed.json", "abc", at(50)));
  CHECK(again.already_imported());
  REQUIRE_OK(again.add(rec("carol")));  // ignored
  auto summary = REQUIRE_OK(again.commit());
  CHECK(summary.already_imported);
  CHECK(summary.campaign_id == first.campaign_id);
  CHECK(summary.total == 2);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 2);

  auto different = begin_import(db, header_of({}), "c1.json", "other-hash", at(60));
  auto const message = error_of(different);
  CHECK(message.find("campaign 'c1' already exists") != std::string::npos);
  CHECK(message.find("c1.json") != std::string::npos);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 1);
  check_consistent(db);
}

TEST_CASE("import refuses unknown or unconfigured accounts, no accounts, and empty names or hashes") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "old"});
  add_accounts(db, {"a1"});  // "old" leaves the config

  CampaignSpec spec;
  spec.accounts = {"a1", "nobody"};
  CHECK(error_of(begin_import(db, header_of(spec), "f", "h", at(0))) ==
        "campaign 'c1' names account 'nobody', which is not configured");
  spec.accounts = {"old"};
  CHECK(error_of(begin_import(db, header_of(spec), "f", "h", at(0))).find("'old', which is not configured") !=
        std::string::npos);
  spec.accounts = {};
  CHECK(error_of(begin_import(db, header_of(spec), "f", "h", at(0))) == "campaign 'c1' names no accounts");
  spec.accounts = {"a1"};
  CHECK(error_of(begin_import(db, header_of(spec), "f", "", at(0))).find("no content hash") != std::string::npos);
  spec.name = "";
  CHECK(error_of(begin_import(db, header_of(spec), "f", "h", at(0))).find("empty name") != std::string::npos);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 0);
  // A failed begin leaves the connection usable.
  import_campaign(db, {}, {rec("alice")});
  check_consistent(db);
}

TEST_CASE("an import that is rolled back, or dropped, leaves no trace and can be repeated") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  {
    auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
    REQUIRE_OK(session.add(rec("alice")));
    // destroyed without commit
  }
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 0);
  {
    auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
    REQUIRE_OK(session.add(rec("alice")));
    session.rollback();
    session.rollback();
    CHECK(error_of(session.add(rec("bob"))).find("already finished") != std::string::npos);
    CHECK(error_of(session.commit()).find("already finished") != std::string::npos);
  }
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 0);
  import_campaign(db, {.hash = "h"}, {rec("alice"), rec("bob")});
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 2);
  check_consistent(db);
}

TEST_CASE("a bad recipient poisons the session: commit fails and nothing is stored") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
  REQUIRE_OK(session.add(rec("alice")));
  CHECK(error_of(session.add(ValidRecipient{"", "", "text"})) ==
        "campaign 'c1': recipient 2 has neither a username nor a user_id");
  CHECK(error_of(session.add(rec("bob"))).find("recipient 2 has neither") != std::string::npos);
  CHECK(error_of(session.commit()).find("recipient 2 has neither") != std::string::npos);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 0);
  auto empty_text = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
  CHECK(error_of(empty_text.add(ValidRecipient{"x", "", ""})).find("empty message") != std::string::npos);
}

TEST_CASE("a moved-from session is inert and the moved-to one commits") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0)));
  REQUIRE_OK(session.add(rec("alice")));
  ImportSession moved = std::move(session);
  CHECK(error_of(session.add(rec("bob"))).find("moved from") != std::string::npos);  // NOLINT(bugprone-use-after-move)
  REQUIRE_OK(moved.add(rec("bob")));
  CHECK(REQUIRE_OK(moved.commit()).total == 2);
  check_consistent(db);
}

TEST_CASE("a 20,000-recipient import streams through one session") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "big.json", "h", at(0)));
  for (int i = 0; i < 20'000; ++i) {
    // every 10th row repeats an earlier username in upper case
    std::string name = (i % 10 == 9) ? "USER" + std::to_string(i - 1) : "user" + std::to_string(i);
    REQUIRE_OK(session.add(ValidRecipient{name, std::to_string(1'000'000 + i), "Hello " + name}));
  }
  auto summary = REQUIRE_OK(session.commit());
  CHECK(summary.total == 18'000);
  CHECK(summary.duplicates == 2'000);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'pending'") == 18'000);
  check_consistent(db);
}

// ---- chunks: the import beside running campaigns (README.md#importing-beside-running-campaigns) ----

TEST_CASE("a chunked import is invisible until its last transaction: no view, claim or operator command sees it") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto other = open_db(dir);  // an operator's sqlite3, or the daemon's event loop
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0), ImportOptions{3}));
  // Three chunks of three, committed; no chunk is open now (an open one holds the write lock).
  for (int i = 0; i < 9; ++i) REQUIRE_OK(session.add(rec("user" + std::to_string(i))));
  CHECK(query_int(other, "SELECT count(*) FROM recipients") == 9);
  CHECK(query_int(other, "SELECT count(*) FROM campaign_status") == 0);
  CHECK(query_int(other, "SELECT count(*) FROM recipient_status") == 0);
  CHECK(query_int(other, "SELECT count(*) FROM failures") == 0);
  CHECK(query_int(other, "SELECT count(*) FROM campaign_accounts") == 0);
  CHECK_FALSE(REQUIRE_OK(claim_next(other, "a1", at(1))).has_value());
  CHECK(error_of(pause_campaign(other, "c1")) == "unknown campaign 'c1'");
  REQUIRE_OK(session.add(rec("user9")));
  auto summary = REQUIRE_OK(session.commit());
  CHECK(summary.total == 10);
  CHECK(query_int(other, "SELECT total * 100 + pending FROM campaign_status") == 1010);
  CHECK(query_int(other, "SELECT count(*) FROM recipient_status") == 10);
  CHECK(REQUIRE_OK(claim_next(other, "a1", at(1))).has_value());
  check_consistent(other);
}

TEST_CASE("duplicates collapse and the suppression list applies across chunk boundaries") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  REQUIRE_OK(suppress(db, std::vector<std::string>{"mallory"}, at(0)));
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0), ImportOptions{2}));
  for (auto const& r : {rec("alice"), rec("bob", "7"), rec("carol"), rec("ALICE"), rec("", "7"), rec("Mallory"),
                        rec("dave"), rec("carol", "9")})
    REQUIRE_OK(session.add(r));
  auto summary = REQUIRE_OK(session.commit());
  CHECK(summary.total == 5);
  CHECK(summary.duplicates == 3);
  CHECK(summary.suppressed == 1);
  CHECK(query_rows(db, "SELECT username, state FROM recipient_status") ==
        std::vector<std::vector<std::string>>{
            {"alice", "pending"}, {"bob", "pending"}, {"carol", "pending"}, {"Mallory", "skipped"}, {"dave", "pending"}});
  check_consistent(db);
}

TEST_CASE("a failed chunked import deletes the chunks it wrote; an abandoned one leaves them to the next import") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "done"}, numbered(4, "d"));
  {  // a bad row after two chunks: rolled back, and the chunks deleted
    auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0), ImportOptions{2}));
    for (int i = 0; i < 5; ++i) REQUIRE_OK(session.add(rec("user" + std::to_string(i))));
    CHECK(error_of(session.add(ValidRecipient{"", "", "text"})).find("neither") != std::string::npos);
    CHECK(error_of(session.commit()).find("neither") != std::string::npos);
  }
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 4);
  CHECK(query_int(db, "SELECT count(*) FROM campaigns") == 1);
  {  // a daemon stopping: the chunks stay, invisible
    auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0), ImportOptions{2}));
    for (int i = 0; i < 5; ++i) REQUIRE_OK(session.add(rec("user" + std::to_string(i))));
    session.abandon();
  }
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 8);
  CHECK(query_int(db, "SELECT count(*) FROM campaign_status") == 1);
  // The same name again deletes them first, whatever the file holds now.
  auto summary = import_campaign(db, {.hash = "other"}, numbered(3));
  CHECK(summary.total == 3);
  CHECK_FALSE(summary.already_imported);
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 7);
  check_consistent(db);
}

TEST_CASE("purge_unfinished_imports deletes every unfinished import and nothing else") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "first"}, numbered(3, "f"));
  for (std::string name : {"x", "y"}) {
    auto session = REQUIRE_OK(begin_import(db, header_of({.name = name}), name + ".json", "h", at(0), ImportOptions{4}));
    for (int i = 0; i < 9; ++i) REQUIRE_OK(session.add(rec(name + std::to_string(i))));
    session.abandon();
  }
  import_campaign(db, {.name = "last"}, numbered(2, "l"));
  CHECK(REQUIRE_OK(purge_unfinished_imports(db)) == 2);
  CHECK(REQUIRE_OK(purge_unfinished_imports(db)) == 0);
  CHECK(query_rows(db, "SELECT campaign, total FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"first", "3"}, {"last", "2"}});
  CHECK(query_int(db, "SELECT count(*) FROM recipients") == 5);
  check_consistent(db);
}
