// The status views (README.md#the-schema-stable-interface): exact column names and order, state and
// reason values, ISO 8601 times, and the typed reads `outreachd status` uses.
#include <doctest/doctest.h>

#include <cstdio>
#include <set>

#include "core/opt_out.hpp"
#include "storage/accounts.hpp"
#include "storage/inbox.hpp"
#include "storage/operator.hpp"
#include "storage/queue.hpp"
#include "storage/status.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> columns_of(Database& db, std::string const& view) {
  std::vector<std::string> out;
  for (auto& row : query_rows(db, "SELECT name FROM pragma_table_info('" + view + "') ORDER BY cid"))
    out.push_back(row[0]);
  return out;
}

std::string iso(TimePoint t) {
  auto const secs = std::chrono::floor<std::chrono::seconds>(t);
  auto const day = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day const ymd{day};
  std::chrono::hh_mm_ss const hms{secs - day};
  char buf[128];  // room for anything the formats can print: -Wformat-truncation stays quiet
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

}  // namespace

TEST_CASE("the views have exactly the documented columns, in order") {
  TempDir dir;
  auto db = open_db(dir);
  CHECK(columns_of(db, "campaign_status") ==
        std::vector<std::string>{"campaign", "state", "total", "pending", "retrying", "sending", "sent", "failed",
                                 "skipped", "unknown", "created_at", "last_sent_at", "finished_at",
                                 // part two, appended (docs: the status schema)
                                 "waiting", "replied", "spent_usd", "paused_reason", "audience"});
  CHECK(columns_of(db, "account_status") == std::vector<std::string>{"account", "provider", "state", "daily_cap",
                                                                     "sent_24h", "remaining_24h", "next_send_at",
                                                                     "last_error", "hourly_cap", "sent_1h",
                                                                     "warmup_day", "spent_24h_usd", "inbox_synced_at"});
  std::vector<std::string> const recipient_columns{"campaign",   "username", "user_id",          "state",
                                                   "reason",     "attempts", "last_http_status", "last_error",
                                                   "message_id", "sent_at",  "next_attempt_at"};
  std::vector<std::string> recipient_status_columns = recipient_columns;
  recipient_status_columns.insert(recipient_status_columns.end(), {"step", "replied_at"});
  CHECK(columns_of(db, "recipient_status") == recipient_status_columns);
  CHECK(columns_of(db, "failures") == recipient_columns);
  CHECK(columns_of(db, "replies") ==
        std::vector<std::string>{"campaign", "account", "username", "user_id", "received_at", "text"});
  CHECK(columns_of(db, "suppressions") == std::vector<std::string>{"user", "source", "added_at"});
}

TEST_CASE("iso() in this test agrees with the known instant") {
  CHECK(iso(at(0)) == "2027-01-15T08:00:00Z");
  CHECK(iso(at(3661) + 999ms) == "2027-01-15T09:01:01Z");
}

TEST_CASE("campaign_status shows each state: scheduled, active, paused, cancelled, done") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto const now = wall_now();
  import_campaign(db, {.name = "sched", .start_at = now + 1h}, {rec("s1")}, at(0));
  import_campaign(db, {.name = "live", .start_at = now - 1h}, {rec("l1"), rec("l2")}, at(1));
  import_campaign(db, {.name = "held"}, {rec("h1")}, at(2));
  import_campaign(db, {.name = "gone"}, {rec("g1"), rec("g2")}, at(3));
  import_campaign(db, {.name = "fin", .priority = 10}, {rec("f1")}, at(4));
  REQUIRE_OK(pause_campaign(db, "held"));
  REQUIRE_OK(cancel_campaign(db, "gone", at(5)));
  auto f1 = claim(db, "a1", at(6));
  REQUIRE(f1.username == "f1");
  REQUIRE_OK(record_outcome(db, f1, Outcome::sent("dm", 200), at(3661)));

  auto rows = query_rows(db, "SELECT * FROM campaign_status");
  CHECK(rows == std::vector<std::vector<std::string>>{
                    {"sched", "scheduled", "1", "1", "0", "0", "0", "0", "0", "0", iso(at(0)), "NULL", "NULL", "0", "0", "0.0", "NULL", "NULL"},
                    {"live", "active", "2", "2", "0", "0", "0", "0", "0", "0", iso(at(1)), "NULL", "NULL", "0", "0", "0.0", "NULL", "NULL"},
                    {"held", "paused", "1", "1", "0", "0", "0", "0", "0", "0", iso(at(2)), "NULL", "NULL", "0", "0", "0.0", "operator", "NULL"},
                    {"gone", "cancelled", "2", "0", "0", "0", "0", "0", "2", "0", iso(at(3)), "NULL", iso(at(5)), "0", "0", "0.0", "NULL", "NULL"},
                    {"fin", "done", "1", "0", "0", "0", "1", "0", "0", "0", iso(at(4)), iso(at(3661)), iso(at(3661)), "0", "0", "0.0", "NULL", "NULL"}});
  CHECK(iso(at(3661)) == "2027-01-15T09:01:01Z");

  auto typed = REQUIRE_OK(read_campaign_status(db));
  REQUIRE(typed.size() == 5);
  CHECK(typed[4].campaign == "fin");
  CHECK(typed[4].state == "done");
  CHECK(typed[4].sent == 1);
  CHECK(typed[4].last_sent_at == iso(at(3661)));
  CHECK(typed[3].skipped == 2);
  CHECK_FALSE(typed[0].finished_at.has_value());
  // Schema version 4's columns: the paused campaign says why; the rest read as the view's values.
  CHECK(typed[2].state == "paused");
  CHECK(typed[2].paused_reason == "operator");
  CHECK_FALSE(typed[4].paused_reason.has_value());
  CHECK(typed[4].waiting == 0);
  CHECK(typed[4].replied == 0);
  CHECK(typed[4].spent_usd == 0.0);
  CHECK_FALSE(typed[4].audience.has_value());
  // A REAL reads back exactly, as sqlite3 shows it (not rounded to SQLite's 15-digit text).
  REQUIRE(db.connection().exec("UPDATE campaigns SET spent_usd = 0.1 + 0.2 WHERE name = 'fin'", "test").has_value());
  CHECK(REQUIRE_OK(read_campaign_status(db))[4].spent_usd == 0.1 + 0.2);
}

TEST_CASE("a cancelled campaign with a send in flight stays cancelled and finishes when it is recorded") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob")});
  auto alice = claim(db, "a1", at(1));
  CHECK(REQUIRE_OK(cancel_campaign(db, "c1", at(2))) == 1);
  CHECK(query_rows(db, "SELECT state, sending, skipped, finished_at FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"cancelled", "1", "1", "NULL"}});
  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m", 200), at(3)));
  CHECK(query_rows(db, "SELECT state, sent, finished_at FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"cancelled", "1", iso(at(3))}});
  check_consistent(db);
}

TEST_CASE("account_status lists every configured account, counts the rolling 24 h, and shows the runtime state") {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<ConfiguredAccount> accounts{{"sales-1", ProviderKind::getxapi, 800},
                                          {"brand", ProviderKind::x_api, 1500},
                                          {"idle", ProviderKind::tweetapi, 500}};
  REQUIRE_OK(sync_accounts(db, accounts));
  CHECK(query_rows(db, "SELECT * FROM account_status") ==
        std::vector<std::vector<std::string>>{{"sales-1", "getxapi", "ready", "800", "0", "800", "NULL", "NULL", "NULL", "0", "NULL", "0.0", "NULL"},
                                              {"brand", "x_api", "ready", "1500", "0", "1500", "NULL", "NULL", "NULL", "0", "NULL", "0.0", "NULL"},
                                              {"idle", "tweetapi", "ready", "500", "0", "500", "NULL", "NULL", "NULL", "0", "NULL", "0.0", "NULL"}});

  auto const now = wall_now();
  import_campaign(db, {.accounts = {"sales-1", "brand"}}, numbered(5), now - 30h);
  // One attempt 25 h ago (out of the window), two within it, one 429 that does not count.
  REQUIRE_OK(record_outcome(db, claim(db, "sales-1", now - 25h), Outcome::sent("m0", 200), now - 25h));
  REQUIRE_OK(record_outcome(db, claim(db, "sales-1", now - 2h), Outcome::sent("m1", 200), now - 2h));
  REQUIRE_OK(record_outcome(db, claim(db, "sales-1", now - 1h), Outcome::failed(ErrorClass::bad_request, 400, "no"),
                            now - 1h));
  REQUIRE_OK(record_outcome(db, claim(db, "brand", now - 1h), Outcome::requeue(ErrorClass::rate_limited, 429, "wait"),
                            now - 1h));
  REQUIRE_OK(set_account_state(db, "sales-1", {AccountState::pacing, now + 1h, std::nullopt}));
  REQUIRE_OK(set_account_state(db, "brand", {AccountState::backoff, now - 1min, "HTTP 429: slow down"}));
  REQUIRE_OK(set_account_state(db, "idle", {AccountState::stopped, std::nullopt, "HTTP 401: session expired"}));
  CHECK(query_rows(db, "SELECT * FROM account_status") ==
        std::vector<std::vector<std::string>>{
            // sent_1h: the attempt of 1 h ago has just left the last hour
            {"sales-1", "getxapi", "pacing", "800", "2", "798", iso(now + 1h), "NULL", "NULL", "0", "NULL", "0.0", "NULL"},
            // a wait that has passed reads as ready when no daemon updated it
            {"brand", "x_api", "ready", "1500", "0", "1500", iso(now - 1min), "HTTP 429: slow down", "NULL", "0", "NULL",
             "0.0", "NULL"},
            {"idle", "tweetapi", "stopped", "500", "0", "500", "NULL", "HTTP 401: session expired", "NULL", "0", "NULL",
             "0.0", "NULL"}});

  // A reload restarts the stopped account (clearing the error that stopped it) and drops the
  // removed one from the view.
  std::vector<ConfiguredAccount> reloaded{{"sales-1", ProviderKind::getxapi, 700},
                                          {"idle", ProviderKind::tweetapi, 500}};
  REQUIRE_OK(sync_accounts(db, reloaded));
  auto typed = REQUIRE_OK(read_account_status(db));
  REQUIRE(typed.size() == 2);
  CHECK(typed[0].account == "sales-1");
  CHECK(typed[0].daily_cap == 700);
  CHECK(typed[0].remaining_24h == 698);
  CHECK(typed[1].account == "idle");
  CHECK(typed[1].state == "ready");
  CHECK_FALSE(typed[1].last_error.has_value());
  REQUIRE_OK(set_account_state(db, "idle", {AccountState::stopped, std::nullopt, "HTTP 401: again"}));
  CHECK(REQUIRE_OK(read_account_status(db))[1].last_error == "HTTP 401: again");
  REQUIRE_OK(set_account_state(db, "idle", {AccountState::ready, std::nullopt, ""}));
  CHECK_FALSE(REQUIRE_OK(read_account_status(db))[1].last_error.has_value());
  CHECK(error_of(set_account_state(db, "ghost", {})) == "unknown account 'ghost'");
  // Schema version 4's columns, as the view has them (sales-1's two attempts are older than 1 h).
  CHECK(typed[0].sent_1h == 0);
  CHECK_FALSE(typed[0].hourly_cap.has_value());
  CHECK_FALSE(typed[0].warmup_day.has_value());
  CHECK(typed[0].spent_24h_usd == 0.0);
  CHECK_FALSE(typed[0].inbox_synced_at.has_value());
  REQUIRE_OK(record_outcome(db, claim(db, "sales-1", now - 10min), Outcome::sent("m2", 200), now - 10min));
  CHECK(REQUIRE_OK(read_account_status(db))[0].sent_1h == 1);
}

TEST_CASE("last_error goes when the account is no longer stopped: un-stopped by a reload or restart, or a send succeeds") {
  // An operator who fixed the credentials must not keep seeing the old 401 under LAST ERROR
  // once the account works again.
  TempDir dir;
  auto db = open_db(dir);
  std::vector<ConfiguredAccount> accounts{{"stopped", ProviderKind::getxapi, 500},
                                          {"waiting", ProviderKind::getxapi, 500},
                                          {"sender", ProviderKind::getxapi, 500},
                                          {"other", ProviderKind::getxapi, 500}};
  REQUIRE_OK(sync_accounts(db, accounts));
  auto const now = wall_now();
  auto last_errors = [&] {
    return query_rows(db, "SELECT account, state, coalesce(last_error, '-') FROM account_status");
  };

  // A reload or restart (both run sync_accounts) starts the stopped account again, without its
  // error; an account that is only waiting keeps what it shows.
  REQUIRE_OK(set_account_state(db, "stopped", {AccountState::stopped, std::nullopt, "HTTP 401: Invalid auth_token"}));
  REQUIRE_OK(set_account_state(db, "waiting", {AccountState::backoff, now + 1h, "HTTP 503: later"}));
  REQUIRE_OK(sync_accounts(db, accounts));
  CHECK(last_errors() == std::vector<std::vector<std::string>>{{"stopped", "ready", "-"},
                                                               {"waiting", "backoff", "HTTP 503: later"},
                                                               {"sender", "ready", "-"},
                                                               {"other", "ready", "-"}});

  // Whatever the path back (a database from before this rule, a failed sync), a successful send
  // clears it; other outcomes, and another account's send, do not.
  import_campaign(db, {.accounts = {"sender", "other"}}, numbered(6), now - 1h);
  REQUIRE_OK(set_account_state(db, "sender", {AccountState::ready, std::nullopt, "HTTP 401: Invalid auth_token"}));
  REQUIRE_OK(record_outcome(db, claim(db, "sender", now), Outcome::failed(ErrorClass::bad_request, 400, "no"), now));
  REQUIRE_OK(record_outcome(db, claim(db, "sender", now), Outcome::requeue(ErrorClass::rate_limited, 429, "wait"), now));
  REQUIRE_OK(record_outcome(db, claim(db, "sender", now), Outcome::in_doubt("timed out"), now));
  REQUIRE_OK(record_outcome(db, claim(db, "other", now), Outcome::sent("m-other", 200), now));
  CHECK(last_errors()[2] == std::vector<std::string>{"sender", "ready", "HTTP 401: Invalid auth_token"});
  REQUIRE_OK(record_outcome(db, claim(db, "sender", now), Outcome::sent("m-sender", 200), now));
  CHECK(last_errors()[2] == std::vector<std::string>{"sender", "ready", "-"});
  // Its history stays in the attempts table.
  CHECK(query_rows(db, "SELECT count(*) FROM attempts WHERE outcome = 'sent'")[0][0] == "2");
}

TEST_CASE("sync_accounts refuses duplicate, empty and negative-cap accounts") {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<ConfiguredAccount> twice{{"a", ProviderKind::getxapi, 1}, {"a", ProviderKind::x_api, 1}};
  CHECK(error_of(sync_accounts(db, twice)) == "account 'a' is configured twice");
  std::vector<ConfiguredAccount> empty{{"", ProviderKind::getxapi, 1}};
  CHECK(error_of(sync_accounts(db, empty)) == "an account has an empty name");
  std::vector<ConfiguredAccount> negative{{"a", ProviderKind::getxapi, -1}};
  CHECK(error_of(sync_accounts(db, negative)) == "account 'a' has a negative daily cap");
}

TEST_CASE("recipient_status and failures show the documented states, reasons and times") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("ok"), rec("bad"), rec("doubt"), rec("later"), rec("", "55"), rec("waiting")});
  auto ok = claim(db, "a1", at(0));
  auto sent = Outcome::sent("dm-1", 200);
  sent.resolved_user_id = "1001";
  REQUIRE_OK(record_outcome(db, ok, sent, at(10)));
  REQUIRE_OK(
      record_outcome(db, claim(db, "a1", at(11)), Outcome::failed(ErrorClass::bad_request, 400, "too long"), at(12)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(13)), Outcome::in_doubt("timeout after write"), at(14)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(15)),
                            Outcome::retry_at(at(3600), ErrorClass::server_error, 503, "unavailable"), at(16)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(17)), Outcome::skipped(ErrorClass::cannot_dm), at(18)));
  claim(db, "a1", at(19));  // "waiting" stays sending

  CHECK(
      query_rows(db, "SELECT * FROM recipient_status") ==
      std::vector<std::vector<std::string>>{
          {"c1", "ok", "1001", "sent", "NULL", "1", "200", "NULL", "dm-1", iso(at(10)), "NULL", "0", "NULL"},
          {"c1", "bad", "NULL", "failed", "bad_request", "1", "400", "too long", "NULL", "NULL", "NULL", "0", "NULL"},
          {"c1", "doubt", "NULL", "unknown", "in_doubt", "1", "NULL", "timeout after write", "NULL", "NULL", "NULL", "0", "NULL"},
          {"c1", "later", "NULL", "retrying", "server_error", "1", "503", "unavailable", "NULL", "NULL", iso(at(3600)), "0", "NULL"},
          {"c1", "NULL", "55", "skipped", "cannot_dm", "0", "NULL", "NULL", "NULL", "NULL", "NULL", "0", "NULL"},
          {"c1", "waiting", "NULL", "sending", "NULL", "0", "NULL", "NULL", "NULL", "NULL", "NULL", "0", "NULL"}});
  std::set<std::string> failure_states;
  for (auto& row : query_rows(db, "SELECT state FROM failures")) failure_states.insert(row[0]);
  CHECK(failure_states == std::set<std::string>{"failed", "unknown", "retrying"});

  auto failures = REQUIRE_OK(read_failures(db, std::nullopt, 100));
  CHECK(failures.size() == 3);
  CHECK(REQUIRE_OK(read_failures(db, std::string_view("c1"), 1)).size() == 1);
  CHECK(error_of(read_failures(db, std::string_view("nope"), 10)) == "unknown campaign 'nope'");
  auto all = REQUIRE_OK(read_recipient_status(db, "c1", 100));
  REQUIRE(all.size() == 6);
  CHECK(all[0].user_id == "1001");
  CHECK(all[0].sent_at == iso(at(10)));
  CHECK(all[3].next_attempt_at == iso(at(3600)));
  CHECK(all[3].last_http_status == 503);
  CHECK_FALSE(all[4].username.has_value());
  CHECK(error_of(read_recipient_status(db, "nope", 10)) == "unknown campaign 'nope'");
  // Schema version 4's columns: recipient_status has them, the failures view does not.
  CHECK(all[0].step == 0);
  CHECK_FALSE(all[0].replied_at.has_value());
  CHECK_FALSE(failures[0].step.has_value());
  CHECK_FALSE(failures[0].replied_at.has_value());
  // "ok" (user 1001) replies: replied_at is the reply's time, also once the reply is forgotten.
  InboxWalk walk{"900", {InboxMessage{"5000", at(30), "1001", "900", "thanks!"}}, InboxCoverage{at(40), std::nullopt}};
  InboxRules rules;
  rules.opt_out_keywords = default_opt_out_keywords();
  REQUIRE(REQUIRE_OK(apply_inbox_walk(db, "a1", walk, rules, at(40))).replies == 1);
  CHECK(REQUIRE_OK(read_recipient_status(db, "c1", 1))[0].replied_at == iso(at(30)));
  CHECK(REQUIRE_OK(read_campaign_status(db))[0].replied == 1);
  std::vector<std::string> const ok_user{"1001"};
  CHECK(REQUIRE_OK(forget_users(db, ok_user)) == 1);
  CHECK(REQUIRE_OK(read_recipient_status(db, "c1", 1))[0].replied_at == iso(at(30)));
  CHECK(REQUIRE_OK(read_campaign_status(db))[0].replied == 1);
}

TEST_CASE("the schema refuses states and reasons outside the documented ones") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  CHECK_FALSE(db.connection().exec("UPDATE recipients SET state = 'lost'", "test").has_value());
  CHECK_FALSE(db.connection().exec("UPDATE recipients SET reason = 'oops'", "test").has_value());
  CHECK_FALSE(db.connection().exec("UPDATE accounts SET state = 'sleeping'", "test").has_value());
  CHECK_FALSE(db.connection().exec("UPDATE campaigns SET control = 'done'", "test").has_value());
}

TEST_CASE("recipient_status lists each campaign's recipients in file order, empty campaigns included") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "first"}, {rec("zed"), rec("amy"), rec("AMY"), rec("bob")});
  {
    auto dropped = REQUIRE_OK(begin_import(db, header_of({.name = "dropped"}), "d.json", "h", at(0)));
    REQUIRE_OK(dropped.add(rec("ghost")));
  }  // rolled back
  import_campaign(db, {.name = "empty"}, {});
  import_campaign(db, {.name = "second"}, {rec("yan"), rec("", "9"), rec("xia")});
  CHECK(
      query_rows(db, "SELECT campaign, coalesce(username, user_id) FROM recipient_status") ==
      std::vector<std::vector<std::string>>{
          {"first", "zed"}, {"first", "amy"}, {"first", "bob"}, {"second", "yan"}, {"second", "9"}, {"second", "xia"}});
  CHECK(query_rows(db, "SELECT coalesce(username, user_id) FROM recipient_status WHERE campaign = 'second'") ==
        std::vector<std::vector<std::string>>{{"yan"}, {"9"}, {"xia"}});
  CHECK(query_rows(db, "SELECT * FROM recipient_status WHERE campaign = 'empty'").empty());
  CHECK(query_text(db, "SELECT state FROM campaign_status WHERE campaign = 'empty'") == "done");
  check_consistent(db);
}
