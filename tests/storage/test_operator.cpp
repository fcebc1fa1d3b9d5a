// Operator commands: retry (failed, optionally unknown), pause, resume, cancel, suppress.
#include <doctest/doctest.h>

#include "storage/operator.hpp"
#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

/// c1 with: sent, failed, unknown, retrying, pending.
void mixed_campaign(Database& db) {
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("sent"), rec("failed"), rec("unknown"), rec("retrying"), rec("pending")});
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(0)), Outcome::sent("m", 200), at(1)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(2)), Outcome::failed(ErrorClass::server_error, 500, "x"), at(3)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(4)), Outcome::in_doubt("t"), at(5)));
  REQUIRE_OK(
      record_outcome(db, claim(db, "a1", at(6)), Outcome::retry_at(at(1000), ErrorClass::network, 0, "n"), at(7)));
}

}  // namespace

TEST_CASE("retry requeues failed recipients with attempts back at 0, unknown ones only when asked") {
  TempDir dir;
  auto db = open_db(dir);
  mixed_campaign(db);
  CHECK(REQUIRE_OK(retry_campaign(db, "c1", false, at(10))) == 1);
  CHECK(state_of(db, "failed") == "pending");
  CHECK(query_int(db, "SELECT attempts FROM recipients WHERE username = 'failed'") == 0);
  CHECK(query_text(db, "SELECT reason FROM recipients WHERE username = 'failed'") == std::nullopt);
  CHECK(state_of(db, "unknown") == "unknown");
  CHECK(REQUIRE_OK(retry_campaign(db, "c1", true, at(11))) == 1);
  CHECK(state_of(db, "unknown") == "pending");
  CHECK(state_of(db, "retrying") == "retrying");  // already queued; untouched
  CHECK(state_of(db, "sent") == "sent");
  CHECK(REQUIRE_OK(retry_campaign(db, "c1", true, at(12))) == 0);
  // They are claimed again in file order.
  CHECK(claim(db, "a1", at(13)).username == "failed");
  check_consistent(db);
}

TEST_CASE("retry reopens a finished campaign") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(0)), Outcome::failed(ErrorClass::bad_request, 400, "x"), at(1)));
  CHECK(query_int(db, "SELECT finished_at FROM campaign_counts") == at(1).time_since_epoch().count());
  CHECK(REQUIRE_OK(retry_campaign(db, "c1", false, at(2))) == 1);
  CHECK(query_text(db, "SELECT finished_at FROM campaign_counts") == std::nullopt);
  check_consistent(db);
}

TEST_CASE("cancel skips pending and retrying recipients, stays cancelled, and refuses later changes") {
  TempDir dir;
  auto db = open_db(dir);
  mixed_campaign(db);
  CHECK(REQUIRE_OK(cancel_campaign(db, "c1", at(20))) == 2);
  CHECK(query_rows(db, "SELECT username, state, coalesce(reason, '-') FROM recipients ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"sent", "sent", "-"},
                                              {"failed", "failed", "server_error"},
                                              {"unknown", "unknown", "in_doubt"},
                                              {"retrying", "skipped", "cancelled"},
                                              {"pending", "skipped", "cancelled"}});
  CHECK(query_text(db, "SELECT next_attempt_at FROM recipients WHERE username = 'retrying'") == std::nullopt);
  CHECK(REQUIRE_OK(cancel_campaign(db, "c1", at(21))) == 0);
  CHECK(error_of(retry_campaign(db, "c1", true, at(22))) == "campaign 'c1' is cancelled; it cannot be retried");
  CHECK(error_of(pause_campaign(db, "c1")) == "campaign 'c1' is cancelled; it cannot be paused");
  CHECK(error_of(resume_campaign(db, "c1")) == "campaign 'c1' is cancelled; it cannot be resumed");
  CHECK(query_text(db, "SELECT state FROM campaign_status") == "cancelled");
  check_consistent(db);
}

TEST_CASE("pause and resume are idempotent and only switch claiming") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  REQUIRE_OK(pause_campaign(db, "c1"));
  REQUIRE_OK(pause_campaign(db, "c1"));
  CHECK(query_text(db, "SELECT state FROM campaign_status") == "paused");
  CHECK_FALSE(REQUIRE_OK(claim_next(db, "a1", at(0))).has_value());
  REQUIRE_OK(resume_campaign(db, "c1"));
  REQUIRE_OK(resume_campaign(db, "c1"));
  CHECK(query_text(db, "SELECT state FROM campaign_status") == "active");
  CHECK(claim(db, "a1", at(1)).username == "alice");
}

TEST_CASE("operator commands name an unknown campaign") {
  TempDir dir;
  auto db = open_db(dir);
  CHECK(error_of(retry_campaign(db, "nope", false, at(0))) == "unknown campaign 'nope'");
  CHECK(error_of(pause_campaign(db, "nope")) == "unknown campaign 'nope'");
  CHECK(error_of(resume_campaign(db, "nope")) == "unknown campaign 'nope'");
  CHECK(error_of(cancel_campaign(db, "nope", at(0))) == "unknown campaign 'nope'");
}

TEST_CASE("suppress normalises usernames and ids and reports how many were new") {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<std::string> first{"@Alice", " bob ", "12345"};
  CHECK(REQUIRE_OK(suppress(db, first, at(0))) == 3);
  std::vector<std::string> again{"ALICE", "carol"};
  CHECK(REQUIRE_OK(suppress(db, again, at(1))) == 1);
  CHECK(REQUIRE_OK(is_suppressed(db, "alice")));
  CHECK(REQUIRE_OK(is_suppressed(db, "@BOB")));
  CHECK(REQUIRE_OK(is_suppressed(db, "12345")));
  CHECK_FALSE(REQUIRE_OK(is_suppressed(db, "dave")));
  CHECK(query_rows(db, "SELECT key FROM suppression ORDER BY key") ==
        std::vector<std::vector<std::string>>{{"12345"}, {"alice"}, {"bob"}, {"carol"}});

  std::vector<std::string> bad{"ok", "two words"};
  CHECK(error_of(suppress(db, bad, at(2))).find("'two words' is not a username or user id") != std::string::npos);
  std::vector<std::string> empty{"@"};
  CHECK(error_of(suppress(db, empty, at(2))) == "an empty name cannot be suppressed");
  CHECK_FALSE(REQUIRE_OK(is_suppressed(db, "ok")));  // the failed call added nothing
}
