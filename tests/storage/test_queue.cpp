// Claim order, due retries, skipped campaigns, suppression at claim time, recording every kind
// of outcome, and the errors for bad inputs.
#include <doctest/doctest.h>

#include "core/daily_cap.hpp"
#include "storage/ledger.hpp"
#include "storage/operator.hpp"
#include "storage/queue.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

namespace {

bool nothing_due(Database& db, std::string const& account, TimePoint now) {
  return !REQUIRE_OK(claim_next(db, account, now)).has_value();
}

}  // namespace

TEST_CASE("claim takes recipients in file order and marks them sending, durably committed") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("", "42"), rec("bob")});
  auto first = claim(db, "a1", at(1));
  CHECK(first.username == "alice");
  CHECK(first.user_id == "");
  CHECK(first.text == "Hi alice");
  CHECK(first.campaign == "c1");
  CHECK(first.account == "a1");
  CHECK(first.attempts == 0);
  CHECK_FALSE(first.dry_run);
  CHECK(first.claimed_at == at(1));
  CHECK(state_of(db, "alice") == "sending");
  CHECK_FALSE(db.connection().in_transaction());  // committed before returning
  auto second = claim(db, "a1", at(2));
  CHECK(second.username == "");
  CHECK(second.user_id == "42");
  CHECK(claim(db, "a1", at(3)).username == "bob");
  CHECK(nothing_due(db, "a1", at(4)));
  CHECK(query_int(db, "SELECT sending FROM campaign_counts") == 3);
  check_consistent(db);
}

TEST_CASE("claim order across campaigns: higher priority, then older, then file order") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "old-low"}, {rec("o1"), rec("o2")}, at(0));
  import_campaign(db, {.name = "new-high", .priority = 5}, {rec("h1")}, at(10));
  import_campaign(db, {.name = "newer-low"}, {rec("n1")}, at(20));
  import_campaign(db, {.name = "old-high", .priority = 5}, {rec("x1")}, at(5));
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) order.push_back(claim(db, "a1", at(100 + i)).username);
  CHECK(order == std::vector<std::string>{"x1", "h1", "o1", "o2", "n1"});
  check_consistent(db);
}

TEST_CASE("an account claims only from campaigns that list it") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.name = "only-a2", .accounts = {"a2"}}, {rec("bob")});
  CHECK(nothing_due(db, "a1", at(1)));
  CHECK(claim(db, "a2", at(1)).username == "bob");
}

TEST_CASE("paused, cancelled and scheduled campaigns are skipped") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "paused", .priority = 9}, {rec("p1")});
  import_campaign(db, {.name = "cancelled", .priority = 8}, {rec("c1")});
  import_campaign(db, {.name = "later", .priority = 7, .start_at = at(1000)}, {rec("s1")});
  import_campaign(db, {.name = "plain"}, {rec("x1")});
  REQUIRE_OK(pause_campaign(db, "paused"));
  REQUIRE_OK(cancel_campaign(db, "cancelled", at(1)));
  CHECK(claim(db, "a1", at(10)).username == "x1");
  CHECK(nothing_due(db, "a1", at(999)));
  CHECK(claim(db, "a1", at(1000)).username == "s1");  // start_at reached
  REQUIRE_OK(resume_campaign(db, "paused"));
  CHECK(claim(db, "a1", at(1001)).username == "p1");
  CHECK(nothing_due(db, "a1", at(1002)));
  check_consistent(db);
}

// Claims the next recipient for "a1" (expected to be `username`) and records a 503 that makes it
// due again at `due`.
static void claim_then_retry(Database& db, std::string const& username, TimePoint when, TimePoint due) {
  auto claimed = claim(db, "a1", when);
  REQUIRE(claimed.username == username);
  REQUIRE_OK(record_outcome(db, claimed, Outcome::retry_at(due, ErrorClass::server_error, 503, "busy"),
                            when + 1s));
}

TEST_CASE("a retrying recipient is due at its next_attempt_at and goes before later pending ones") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob"), rec("carol")});
  auto alice = claim(db, "a1", at(0));
  REQUIRE_OK(record_outcome(db, alice, Outcome::retry_at(at(60), ErrorClass::server_error, 503, "busy"), at(1)));
  CHECK(state_of(db, "alice") == "retrying");
  CHECK(claim(db, "a1", at(2)).username == "bob");  // alice not due yet
  CHECK(claim(db, "a1", at(59)).username == "carol");
  CHECK(nothing_due(db, "a1", at(59)));  // only alice remains, not due yet
  auto again = claim(db, "a1", at(60));
  CHECK(again.username == "alice");
  CHECK(again.attempts == 1);
  CHECK(query_text(db, "SELECT next_attempt_at IS NULL FROM recipients WHERE username = 'alice'") == "1");
  check_consistent(db);
}

TEST_CASE("a due retry earlier in the file goes before pending recipients later in the file") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob"), rec("carol")});
  auto alice = claim(db, "a1", at(0));
  REQUIRE_OK(record_outcome(db, alice, Outcome::retry_at(at(10), ErrorClass::network, 0, "reset"), at(1)));
  CHECK(claim(db, "a1", at(20)).username == "alice");
  CHECK(claim(db, "a1", at(21)).username == "bob");
}

TEST_CASE("among due retries, file order decides, not which fell due first") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob"), rec("carol")});
  claim_then_retry(db, "alice", at(0), at(60));
  claim_then_retry(db, "bob", at(2), at(30));
  // At 100 s both are due; bob fell due first, but alice is earlier in the file
  // (docs/send-rules.md#claim-before-send).
  CHECK(claim(db, "a1", at(100)).username == "alice");
  CHECK(claim(db, "a1", at(101)).username == "bob");
  CHECK(claim(db, "a1", at(102)).username == "carol");
  check_consistent(db);
}

TEST_CASE("next_due_at tells the daemon when to wake for an account") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  CHECK_FALSE(REQUIRE_OK(next_due_at(db, "a1", at(0))).has_value());
  import_campaign(db, {.name = "later", .start_at = at(500)}, {rec("s1")});
  CHECK(REQUIRE_OK(next_due_at(db, "a1", at(0))) == at(500));
  import_campaign(db, {.name = "now"}, {rec("alice")});
  CHECK(REQUIRE_OK(next_due_at(db, "a1", at(0))) == at(0));
  auto alice = claim(db, "a1", at(1));
  REQUIRE_OK(record_outcome(db, alice, Outcome::retry_at(at(90), ErrorClass::server_error, 500, ""), at(2)));
  CHECK(REQUIRE_OK(next_due_at(db, "a1", at(3))) == at(90));
  CHECK(REQUIRE_OK(next_due_at(db, "a1", at(95))) == at(95));
  CHECK_FALSE(REQUIRE_OK(next_due_at(db, "a2", at(3))).has_value());
  CHECK(error_of(next_due_at(db, "ghost", at(0))) == "unknown account 'ghost'");
}

TEST_CASE("recipients suppressed after import are skipped when their turn comes") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("Mallory"), rec("", "77"), rec("bob")});
  auto alice = claim(db, "a1", at(0));
  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m1", 200), at(1)));
  REQUIRE_OK(suppress(db, std::vector<std::string>{"mallory", "77"}, at(2)));
  CHECK(claim(db, "a1", at(3)).username == "bob");
  CHECK(state_of(db, "Mallory") == "skipped");
  CHECK(query_text(db, "SELECT reason FROM recipients WHERE user_id = '77'") == "suppressed");
  check_consistent(db);
}

TEST_CASE("a recipient whose resolved id was suppressed is skipped at its retry") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  auto alice = claim(db, "a1", at(0));
  auto retry = Outcome::retry_at(at(10), ErrorClass::server_error, 502, "bad gateway");
  retry.resolved_user_id = "5150";
  REQUIRE_OK(record_outcome(db, alice, retry, at(1)));
  REQUIRE_OK(suppress(db, std::vector<std::string>{"5150"}, at(2)));
  CHECK(nothing_due(db, "a1", at(20)));
  CHECK(state_of(db, "alice") == "skipped");
  check_consistent(db);
}

TEST_CASE("recording a success stores the message id, an attempt row and a ledger entry") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  auto alice = claim(db, "a1", at(0));
  auto sent = Outcome::sent("dm-123", 201);
  sent.resolved_user_id = "99";
  REQUIRE_OK(record_outcome(db, alice, sent, at(2)));
  auto row = query_rows(db,
                        "SELECT state, coalesce(reason, '-'), attempts, message_id, sent_at, last_http_status, "
                        "resolved_user_id FROM recipients");
  CHECK(row[0] == std::vector<std::string>{"sent", "-", "1", "dm-123", std::to_string(at(2).time_since_epoch().count()),
                                           "201", "99"});
  auto attempt = query_rows(db,
                            "SELECT a.name, t.at, t.kind, t.outcome, t.http_status, coalesce(t.error_class, '-'), "
                            "t.message_id FROM attempts t JOIN accounts a ON a.id = t.account_id");
  CHECK(attempt == std::vector<std::vector<std::string>>{
                       {"a1", std::to_string(at(2).time_since_epoch().count()), "send", "sent", "201", "-", "dm-123"}});
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(3))) == std::vector<TimePoint>{at(2)});
  CHECK(query_int(db, "SELECT sent FROM campaign_counts") == 1);
  CHECK(query_int(db, "SELECT last_sent_at FROM campaign_counts") == at(2).time_since_epoch().count());
  CHECK(query_int(db, "SELECT finished_at FROM campaign_counts") == at(2).time_since_epoch().count());
  check_consistent(db);
}

TEST_CASE("every outcome kind lands in its state with its reason, attempt count and cap effect") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("r-failed"), rec("r-doubt"), rec("r-notfound"), rec("r-429"), rec("r-untouched")});
  REQUIRE_OK(
      record_outcome(db, claim(db, "a1", at(0)), Outcome::failed(ErrorClass::cannot_dm, 403, "X code 349"), at(1)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(2)), Outcome::in_doubt("timed out after write"), at(3)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(4)), Outcome::skipped(ErrorClass::not_found, 404), at(5)));
  REQUIRE_OK(
      record_outcome(db, claim(db, "a1", at(6)), Outcome::requeue(ErrorClass::rate_limited, 429, "slow down"), at(7)));
  auto again = claim(db, "a1", at(8));
  CHECK(again.username == "r-429");  // back in the queue at once, in file order
  REQUIRE_OK(record_outcome(db, again, Outcome::requeue(ErrorClass::account, 401, "session expired"), at(9)));
  auto rows = query_rows(db,
                         "SELECT username, state, coalesce(reason, '-'), attempts, coalesce(last_http_status, '-'), "
                         "coalesce(last_error, '-') FROM recipients ORDER BY id");
  CHECK(rows ==
        std::vector<std::vector<std::string>>{{"r-failed", "failed", "cannot_dm", "1", "403", "X code 349"},
                                              {"r-doubt", "unknown", "in_doubt", "1", "-", "timed out after write"},
                                              {"r-notfound", "skipped", "not_found", "0", "404", "-"},
                                              {"r-429", "pending", "-", "0", "401", "session expired"},
                                              {"r-untouched", "pending", "-", "0", "-", "-"}});
  // failed and in-doubt count toward the cap; the lookup and the 429s do not.
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(10))) == std::vector<TimePoint>{at(1), at(3)});
  CHECK(query_rows(db, "SELECT kind, outcome FROM attempts ORDER BY id") ==
        std::vector<std::vector<std::string>>{
            {"send", "failed"}, {"send", "unknown"}, {"lookup", "skipped"}, {"send", "pending"}, {"send", "pending"}});
  check_consistent(db);
}

TEST_CASE("a dry run ends skipped/dry_run with no attempt and no cap use") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.dry_run = true}, {rec("alice")});
  auto c = claim(db, "a1", at(0));
  CHECK(c.dry_run);
  REQUIRE_OK(record_outcome(db, c, Outcome::skipped(ErrorClass::dry_run), at(1)));
  CHECK(query_rows(db, "SELECT state, reason FROM recipients") ==
        std::vector<std::vector<std::string>>{{"skipped", "dry_run"}});
  CHECK(query_int(db, "SELECT count(*) FROM attempts") == 0);
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(2))).empty());
  check_consistent(db);
}

TEST_CASE("error texts are clipped to a bounded size at a character boundary") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  std::string huge(999, 'x');
  huge += "é and then a lot more text that will not be stored";
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(0)), Outcome::failed(ErrorClass::bad_request, 400, huge), at(1)));
  auto stored = query_text(db, "SELECT last_error FROM recipients").value();
  CHECK(stored == std::string(999, 'x') + "…");
}

TEST_CASE("invalid state changes are refused and change nothing") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("bob")});
  auto alice = claim(db, "a1", at(0));

  Outcome sending;
  sending.state = RecipientState::sending;
  CHECK(error_of(record_outcome(db, alice, sending, at(1))).find("cannot be recorded as 'sending'") !=
        std::string::npos);
  Outcome retry_without_time = Outcome::retry_at(at(5), ErrorClass::server_error, 500, "");
  retry_without_time.next_attempt_at.reset();
  CHECK(error_of(record_outcome(db, alice, retry_without_time, at(1))).find("needs a next attempt time") !=
        std::string::npos);
  Outcome no_reason = Outcome::failed(ErrorClass::none, 400, "");
  CHECK(error_of(record_outcome(db, alice, no_reason, at(1))).find("needs a reason") != std::string::npos);
  Outcome sent_without_send = Outcome::sent("m", 200);
  sent_without_send.send_attempted = false;
  CHECK(error_of(record_outcome(db, alice, sent_without_send, at(1))).find("only become 'sent'") != std::string::npos);
  Outcome cap_without_send = Outcome::skipped(ErrorClass::not_found);
  cap_without_send.counts_toward_cap = true;
  CHECK(error_of(record_outcome(db, alice, cap_without_send, at(1))).find("counts toward the daily cap") !=
        std::string::npos);

  auto by_other = alice;
  by_other.account = "a2";
  CHECK(error_of(record_outcome(db, by_other, Outcome::sent("m", 200), at(1))) ==
        "invalid state change: recipient " + std::to_string(alice.recipient_id) +
            " of campaign 'c1' is being sent by account 'a1', not 'a2'");
  CHECK(state_of(db, "alice") == "sending");

  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m", 200), at(1)));
  CHECK(error_of(record_outcome(db, alice, Outcome::sent("m", 200), at(2)))
            .find("is 'sent', not 'sending' (recorded twice?)") != std::string::npos);
  auto ghost = alice;
  ghost.recipient_id = 12345;
  CHECK(error_of(record_outcome(db, ghost, Outcome::sent("m", 200), at(2))) == "unknown recipient 12345");
  auto bad_account = alice;
  bad_account.account = "nobody";
  CHECK(error_of(record_outcome(db, bad_account, Outcome::sent("m", 200), at(2))) == "unknown account 'nobody'");
  CHECK(query_int(db, "SELECT count(*) FROM attempts") == 1);
  check_consistent(db);
}

TEST_CASE("claiming for an unknown account, or one removed from the config, is an error") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice")});
  CHECK(error_of(claim_next(db, "ghost", at(0))) == "unknown account 'ghost'");
  add_accounts(db, {"a1"});
  CHECK(error_of(claim_next(db, "a2", at(0))) == "account 'a2' is no longer in the config");
  CHECK_FALSE(db.connection().in_transaction());
  CHECK(claim(db, "a1", at(0)).username == "alice");
}

TEST_CASE("a claim can still be recorded after its account left the config") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice")});
  auto alice = claim(db, "a2", at(0));
  add_accounts(db, {"a1"});
  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m", 200), at(1)));
  CHECK(state_of(db, "alice") == "sent");
}

TEST_CASE("claim_batch claims for several accounts in one transaction") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2", "a3"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("bob"), rec("carol")});
  std::vector<std::string> accounts{"a1", "a2", "a3"};
  auto claims = REQUIRE_OK(claim_batch(db, accounts, at(0)));
  REQUIRE(claims.size() == 3);
  REQUIRE(claims[0].has_value());
  REQUIRE(claims[1].has_value());
  CHECK(claims[0]->username == "alice");
  CHECK(claims[0]->account == "a1");
  CHECK(claims[1]->username == "bob");
  CHECK(claims[1]->account == "a2");
  CHECK_FALSE(claims[2].has_value());
  std::vector<std::string> twice{"a1", "a1"};
  CHECK(error_of(claim_batch(db, twice, at(1))).find("appears twice") != std::string::npos);
  std::vector<std::string> with_ghost{"a1", "ghost"};
  CHECK(error_of(claim_batch(db, with_ghost, at(1))) == "unknown account 'ghost'");
  CHECK(state_of(db, "carol") == "pending");  // the failed batch claimed nothing
  check_consistent(db);
}

TEST_CASE("note_resolved_user_id shows the resolved id while the send is in flight") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice")});
  auto alice = claim(db, "a1", at(0));
  REQUIRE_OK(note_resolved_user_id(db, alice, "31337"));
  CHECK(query_text(db, "SELECT user_id FROM recipient_status") == "31337");
  CHECK(error_of(note_resolved_user_id(db, alice, "")).find("empty") != std::string::npos);
  REQUIRE_OK(record_outcome(db, alice, Outcome::retry_at(at(5), ErrorClass::timeout, 0, ""), at(1)));
  CHECK(error_of(note_resolved_user_id(db, alice, "1")).find("is 'retrying', not 'sending'") != std::string::npos);
  CHECK(claim(db, "a1", at(5)).user_id == "31337");  // the next attempt needs no lookup
}

TEST_CASE("recovery turns sending into unknown/in_doubt, counts it toward the cap, and needs the lock") {
  TempDir dir;
  TempDir elsewhere;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.name = "c1", .accounts = {"a1", "a2"}}, {rec("alice"), rec("bob"), rec("carol")});
  import_campaign(db, {.name = "c2", .accounts = {"a2"}}, {rec("dave")});
  auto alice = claim(db, "a1", at(100));
  claim(db, "a2", at(101));  // bob
  REQUIRE_OK(record_outcome(db, alice, Outcome::sent("m", 200), at(102)));
  claim(db, "a1", at(103));  // carol
  claim(db, "a2", at(104));  // dave

  auto wrong_lock = REQUIRE_OK(StateLock::acquire(elsewhere.str()));
  CHECK(error_of(recover_in_doubt(db, wrong_lock, at(200)))
            .find("needs the lock of the database's own state directory") != std::string::npos);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'sending'") == 3);

  auto lock = REQUIRE_OK(StateLock::acquire(dir.str()));
  CHECK(REQUIRE_OK(recover_in_doubt(db, lock, at(200))) == 3);
  CHECK(query_rows(db, "SELECT username, state, coalesce(reason, '-'), attempts FROM recipients ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"alice", "sent", "-", "1"},
                                              {"bob", "unknown", "in_doubt", "1"},
                                              {"carol", "unknown", "in_doubt", "1"},
                                              {"dave", "unknown", "in_doubt", "1"}});
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(200))) == std::vector<TimePoint>{at(102), at(103)});
  CHECK(REQUIRE_OK(ledger_window(db, "a2", at(200))) == std::vector<TimePoint>{at(101), at(104)});
  CHECK(query_int(db, "SELECT count(*) FROM attempts WHERE error_class = 'in_doubt' AND kind = 'send'") == 3);
  CHECK(REQUIRE_OK(recover_in_doubt(db, lock, at(300))) == 0);  // idempotent
  check_consistent(db);
}

TEST_CASE("the ledger window holds exactly the last 24 h and prunes itself") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, numbered(4));
  auto const day = std::chrono::duration_cast<std::chrono::seconds>(kCapWindow).count();
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(0)), Outcome::sent("m0", 200), at(0)));
  REQUIRE_OK(record_outcome(db, claim(db, "a2", at(5)), Outcome::sent("m1", 200), at(5)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(10)), Outcome::sent("m2", 200), at(10)));
  // At exactly t + 24h the attempt at t no longer counts (docs/send-rules.md#daily-cap).
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(day - 1))) == std::vector<TimePoint>{at(0), at(10)});
  CHECK(REQUIRE_OK(ledger_window(db, "a1", at(day))) == std::vector<TimePoint>{at(10)});
  // Recording for a1 at day + 10 prunes a1's old entries, not a2's.
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(day + 10)), Outcome::sent("m3", 200), at(day + 10)));
  CHECK(query_int(
            db, "SELECT count(*) FROM send_ledger l JOIN accounts a ON a.id = l.account_id WHERE a.name = 'a1'") == 1);
  CHECK(query_int(
            db, "SELECT count(*) FROM send_ledger l JOIN accounts a ON a.id = l.account_id WHERE a.name = 'a2'") == 1);
  CHECK(REQUIRE_OK(prune_ledger(db, at(day + 5))) == 1);
  CHECK(query_int(db, "SELECT count(*) FROM send_ledger") == 1);
  // The attempts history is kept whatever the ledger prunes.
  CHECK(query_int(db, "SELECT count(*) FROM attempts") == 4);
  CHECK(error_of(ledger_window(db, "ghost", at(0))) == "unknown account 'ghost'");
}

TEST_CASE("a campaign cancelled while a recipient is in flight: an outcome that would queue it again skips it") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob"), rec("carol"), rec("dave")});
  auto alice = claim(db, "a1", at(0));
  auto bob = REQUIRE_OK(claim_batch(db, std::vector<std::string>{"a1"}, at(1)))[0].value();
  REQUIRE_OK(cancel_campaign(db, "c1", at(2)));  // carol and dave: skipped/cancelled at once

  // alice's send got a 5xx: not `retrying` in a cancelled campaign, but the attempt row says what happened.
  REQUIRE_OK(record_outcome(db, alice, Outcome::retry_at(at(60), ErrorClass::server_error, 503, "busy"), at(3)));
  CHECK(query_text(db, "SELECT state || '/' || reason FROM recipients WHERE username = 'alice'") == "skipped/cancelled");
  CHECK(query_int(db, "SELECT next_attempt_at IS NULL FROM recipients WHERE username = 'alice'") == 1);
  CHECK(query_text(db, "SELECT outcome || '/' || error_class FROM attempts") == "retrying/server_error");
  // bob was delivered: a success stays a success.
  REQUIRE_OK(record_outcome(db, bob, Outcome::sent("m-bob", 200), at(4)));
  CHECK(state_of(db, "bob") == "sent");
  CHECK(query_int(db, "SELECT skipped FROM campaign_status") == 3);
  CHECK(query_int(db, "SELECT sent FROM campaign_status") == 1);
  CHECK(query_int(db, "SELECT pending + retrying + sending FROM campaign_status") == 0);
  CHECK(query_text(db, "SELECT state FROM campaign_status") == "cancelled");
  check_consistent(db);
}

TEST_CASE("check_before_send: go, hold for a paused or cancelled campaign, suppressed for a resolved id") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("alice"), rec("bob", "222")});
  auto alice = claim(db, "a1", at(0));
  CHECK(REQUIRE_OK(check_before_send(db, alice, "")) == SendGate::go);
  CHECK(REQUIRE_OK(check_before_send(db, alice, "111")) == SendGate::go);

  std::vector<std::string> ids{"111"};
  REQUIRE_OK(suppress(db, ids, at(1)));
  CHECK(REQUIRE_OK(check_before_send(db, alice, "111")) == SendGate::suppressed);
  CHECK(REQUIRE_OK(check_before_send(db, alice, "333")) == SendGate::go);

  REQUIRE_OK(pause_campaign(db, "c1"));
  CHECK(REQUIRE_OK(check_before_send(db, alice, "333")) == SendGate::hold);
  REQUIRE_OK(cancel_campaign(db, "c1", at(2)));
  CHECK(REQUIRE_OK(check_before_send(db, alice, "333")) == SendGate::hold);
}
