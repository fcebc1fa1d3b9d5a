// What a read of an account's inbox changes (storage/inbox.hpp), and the version-4 upgrade: checks
// settled by the sent messages a walk found, held retries, replies and opt-outs, forget.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "core/opt_out.hpp"
#include "storage/inbox.hpp"
#include "storage/directory_lock.hpp"
#include "storage/operator.hpp"
#include "storage/schema.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

namespace {

constexpr char const* kOwn = "900";

InboxMessage out_msg(std::string id, std::string to, TimePoint at, std::string text) {
  return InboxMessage{std::move(id), at, kOwn, std::move(to), std::move(text)};
}
InboxMessage in_msg(std::string id, std::string from, TimePoint at, std::string text) {
  return InboxMessage{std::move(id), at, std::move(from), kOwn, std::move(text)};
}

InboxRules rules(bool requeue = false) {
  InboxRules r;
  r.limits.reconcile_after = 30s;
  r.requeue_unconfirmed = requeue;
  r.opt_out_keywords = default_opt_out_keywords();
  return r;
}

/// A walk read at `read_at` that went back to the end of the history.
InboxWalk walk(std::vector<InboxMessage> newest_first, TimePoint read_at) {
  return InboxWalk{kOwn, std::move(newest_first), InboxCoverage{read_at, std::nullopt}};
}

InboxApplied apply(Database& db, InboxWalk const& w, TimePoint now, InboxRules const& r = rules()) {
  return REQUIRE_OK(apply_inbox_walk(db, "a1", w, r, now));
}

Outcome in_doubt_checked() {
  Outcome o = Outcome::in_doubt("connection lost after the write");
  o.check_inbox = true;
  return o;
}

}  // namespace

TEST_CASE("inbox: an in-doubt send is confirmed by a matching sent message, whitespace and links aside") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  ValidRecipient bob{"bob", "42", "Hi bob,\n  see https://example.com/x?a=1"};
  import_campaign(db, {}, {bob});
  auto c = claim(db, "a1", at(100));
  REQUIRE_OK(record_outcome(db, c, in_doubt_checked(), at(101)));
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 1);

  // Another user's message and a different text confirm nothing; the match does.
  auto a = apply(db, walk({out_msg("1003", "42", at(101), "Hi bob, see https://t.co/abc"),
                           out_msg("1002", "42", at(101), "Hi bobby, see https://t.co/abc"),
                           out_msg("1001", "77", at(101), "Hi bob, see https://t.co/abc")},
                          at(200)),
                 at(200));
  CHECK(a.confirmed == 1);
  CHECK(query_rows(db, "SELECT state, reason, message_id FROM recipient_status") ==
        std::vector<std::vector<std::string>>{{"sent", "reconciled", "1003"}});
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM inbox_messages WHERE account_id = 1") == 3);
  CHECK(query_int(db, "SELECT count(*) FROM replies_kept") == 0);  // no text of sent messages is kept
  check_consistent(db);
}

TEST_CASE("inbox: one message confirms one attempt; a read sooner than reconcile_after proves nothing") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "c1"}, {rec("bob", "42")}, at(0));
  import_campaign(db, {.name = "c2"}, {rec("bob", "42")}, at(1));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), in_doubt_checked(), at(100)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(110)), in_doubt_checked(), at(110)));

  // One copy went out. A read 10 s after the second attempt cannot prove the second absent yet.
  auto early = apply(db, walk({out_msg("5", "42", at(100), "Hi bob")}, at(120)), at(120));
  CHECK(early.confirmed == 1);
  CHECK(early.absent == 0);
  CHECK(early.open_checks == 1);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'unknown'") == 1);

  // Later, the same single message is all there is: the second attempt is proven undelivered.
  auto later = apply(db, walk({out_msg("5", "42", at(100), "Hi bob")}, at(200)), at(200));
  CHECK(later.confirmed == 0);
  CHECK(later.absent == 1);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'unknown' AND last_error LIKE '%not delivered%'") == 1);
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
  check_consistent(db);
}

TEST_CASE("inbox: requeue_unconfirmed sends a proven-undelivered row again; a too-old attempt is never requeued") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("old", "41"), rec("new", "42")}, at(0));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), in_doubt_checked(), at(100)));
  TimePoint const later = at(100) + std::chrono::days{40};
  REQUIRE_OK(record_outcome(db, claim(db, "a1", later), in_doubt_checked(), later));
  // A read that covered only the last 7 days (lookback): the 40-day-old attempt is beyond it.
  InboxWalk w{kOwn, {}, InboxCoverage{later + 1min, later - std::chrono::days{7}}};
  auto a = apply(db, w, later + 1min, rules(true));
  CHECK(a.requeued == 1);
  CHECK(a.beyond_history == 1);
  CHECK(state_of(db, "new") == "retrying");
  CHECK(query_int(db, "SELECT attempts FROM recipients WHERE username = 'new'") == 1);  // the attempt stays used
  CHECK(state_of(db, "old") == "unknown");
  CHECK(query_text(db, "SELECT last_error FROM recipients WHERE username = 'old'").value_or("").find("too old") !=
        std::string::npos);
  check_consistent(db);
}

TEST_CASE("inbox: a retry after a 5xx waits for the check; found means sent, absent gives it back its time") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("bob", "42"), rec("carol", "43")}, at(0));
  auto five_xx = [](TimePoint retry_at) {
    Outcome o = Outcome::retry_at(retry_at, ErrorClass::server_error, 503, "unavailable");
    o.check_inbox = needs_inbox_check(o);
    return o;
  };
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), five_xx(at(110)), at(100)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(101)), five_xx(at(111)), at(101)));
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE state = 'retrying' AND next_attempt_at IS NULL") == 2);
  // Held: nothing is due for the account, even past the backoff time.
  CHECK_FALSE(REQUIRE_OK(claim_next(db, "a1", at(500))).has_value());

  auto a = apply(db, walk({out_msg("9", "42", at(100), "Hi bob")}, at(200)), at(200));
  CHECK(a.confirmed == 1);
  CHECK(a.retries_released == 1);
  CHECK(state_of(db, "bob") == "sent");
  CHECK(query_int(db, "SELECT next_attempt_at FROM recipients WHERE username = 'carol'") ==
        at(111).time_since_epoch().count());
  CHECK(REQUIRE_OK(claim_next(db, "a1", at(500)))->username == "carol");
  check_consistent(db);
}

TEST_CASE("inbox: turning the inbox off gives up its checks: a held retry becomes unknown, never a blind copy") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("bob", "42"), rec("carol", "43"), rec("dave", "44")}, at(0));
  Outcome o = Outcome::retry_at(at(110), ErrorClass::server_error, 500, "boom");
  o.check_inbox = true;
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), o, at(100)));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(101)), in_doubt_checked(), at(101)));
  auto off = REQUIRE_OK(turn_inbox_off(db, "a1", "inbox reading is off: HTTP 403", at(120)));
  CHECK(off.abandoned_checks == 2);
  CHECK(off.retries_released == 0);
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
  CHECK(state_of(db, "bob") == "unknown");
  CHECK(state_of(db, "carol") == "unknown");
  CHECK(query_text(db, "SELECT last_error FROM recipients WHERE username = 'bob'").value_or("").find("cannot be checked") !=
        std::string::npos);
  CHECK(query_text(db, "SELECT last_error FROM account_status") == "inbox reading is off: HTTP 403");
  CHECK(REQUIRE_OK(claim_next(db, "a1", at(200)))->username == "dave");  // sending goes on
  check_consistent(db);
}

TEST_CASE("inbox: checks of an account whose inbox is no longer read are given up, its campaigns stop waiting") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("bob", "42"), rec("carol", "43")}, at(0));
  Outcome o = Outcome::retry_at(at(110), ErrorClass::server_error, 500, "boom");
  o.check_inbox = true;
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), o, at(100)));
  std::vector<std::string> const still_read{"a2"};
  CHECK(REQUIRE_OK(abandon_unread_inbox_checks(db, still_read, at(120))) == 1);
  CHECK(state_of(db, "bob") == "unknown");
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
  std::vector<std::string> const both{"a1", "a2"};
  CHECK(REQUIRE_OK(abandon_unread_inbox_checks(db, both, at(130))) == 0);
  check_consistent(db);
}

TEST_CASE("inbox: a recovered row's empty read proves nothing until reconcile_after after the recovery") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {}, {rec("bob", "42")}, at(0));
  (void)claim(db, "a1", at(100));
  {
    auto lock = REQUIRE_OK(StateLock::acquire(dir.str()));
    REQUIRE(REQUIRE_OK(recover_in_doubt(db, lock, at(200))) == 1);  // killed mid-send; restarted at 200 s
  }
  // A read 40 s after the claim but 10 s after the recovery: the request may have ended just now.
  auto early = apply(db, walk({}, at(210)), at(210));
  CHECK(early.absent == 0);
  CHECK(early.open_checks == 1);
  auto later = apply(db, walk({}, at(240)), at(240));
  CHECK(later.absent == 1);
  CHECK(state_of(db, "bob") == "unknown");
  check_consistent(db);
}

TEST_CASE("inbox: a check about an attempt the row has since left (retried by the operator, claimed elsewhere) is dropped") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  import_campaign(db, {.accounts = {"a1", "a2"}}, {rec("bob", "42")}, at(0));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), in_doubt_checked(), at(100)));
  CHECK(REQUIRE_OK(retry_campaign(db, "c1", true, at(150))) == 1);  // --include-unknown
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
  // Claimed by a2 and in doubt there without a check; a1's check (put back by hand) is not about it.
  auto c = claim(db, "a2", at(160));
  REQUIRE_OK(record_outcome(db, c, Outcome::in_doubt("lost"), at(161)));
  REQUIRE_OK(db.connection().exec(
      "INSERT INTO inbox_checks (recipient_id, account_id, started_at, settled_at, text) VALUES (1, 1, 0, 0, 'Hi bob')",
      "test"));
  auto a = apply(db, walk({}, at(400)), at(400), rules(true));
  CHECK(a.requeued == 0);
  CHECK(state_of(db, "bob") == "unknown");
  CHECK(query_int(db, "SELECT count(*) FROM inbox_checks") == 0);
}

TEST_CASE("inbox: a STOP from a recipient whose 5xx send was in fact delivered is an opt-out") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "c1"}, {rec("bob", "42")}, at(0));
  import_campaign(db, {.name = "c2"}, {rec("bob", "42")}, at(1));
  Outcome o = Outcome::retry_at(at(110), ErrorClass::server_error, 503, "unavailable");
  o.check_inbox = true;
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(100)), o, at(101)));
  // One walk holds both the delivered copy and the reply to it.
  auto a = apply(db, walk({in_msg("20", "42", at(105), "stop"), out_msg("10", "42", at(100), "Hi bob")}, at(200)), at(200));
  CHECK(a.confirmed == 1);
  CHECK(a.replies == 1);
  CHECK(a.opt_outs == 1);
  CHECK(query_rows(db, "SELECT campaign, state, reason FROM recipient_status") ==
        std::vector<std::vector<std::string>>{{"c1", "sent", "reconciled"}, {"c2", "skipped", "suppressed"}});
  check_consistent(db);
}

TEST_CASE("inbox: a reply goes to the latest campaign before it; an opt-out suppresses the sender's queued rows everywhere") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  import_campaign(db, {.name = "c1"}, {rec("bob", "42")}, at(0));
  import_campaign(db, {.name = "c2"}, {rec("bob", "42"), rec("carol", "43")}, at(1));
  import_campaign(db, {.name = "c3", .start_at = at(100000)}, {rec("Bob", ""), rec("carol", "43")}, at(2));
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(10)), Outcome::sent("100", 200), at(10)));  // c1
  REQUIRE_OK(record_outcome(db, claim(db, "a1", at(20)), Outcome::sent("200", 200), at(20)));  // c2 bob

  auto a = apply(db,
                 walk({in_msg("250", "42", at(25), "STOP."), in_msg("150", "42", at(15), "thanks!"),
                       out_msg("200", "42", at(20), "Hi bob"), out_msg("100", "42", at(10), "Hi bob"),
                       in_msg("50", "42", at(5), "hello?"), in_msg("60", "77", at(6), "spam from a stranger")},
                      at(30)),
                 at(30));
  CHECK(a.replies == 2);  // "hello?" came before any campaign; the stranger is no recipient
  CHECK(a.opt_outs == 1);
  CHECK(query_rows(db, "SELECT campaign, account, username, user_id, text FROM replies") ==
        std::vector<std::vector<std::string>>{{"c2", "a1", "bob", "42", "STOP."}, {"c1", "a1", "bob", "42", "thanks!"}});
  CHECK(query_rows(db, "SELECT campaign, replied_at IS NOT NULL FROM recipient_status WHERE username = 'bob' "
                       "OR username = 'Bob'") ==
        std::vector<std::vector<std::string>>{{"c1", "1"}, {"c2", "1"}, {"c3", "0"}});
  CHECK(query_rows(db, "SELECT campaign, replied FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"c1", "1"}, {"c2", "1"}, {"c3", "0"}});
  CHECK(query_rows(db, "SELECT user, source FROM suppressions") ==
        std::vector<std::vector<std::string>>{{"42", "opt_out"}});
  // c3's Bob (no id yet, same username) is skipped at once; carol is untouched.
  CHECK(query_rows(db, "SELECT username, state, reason FROM recipient_status WHERE campaign = 'c3'") ==
        std::vector<std::vector<std::string>>{{"Bob", "skipped", "suppressed"}, {"carol", "pending", "NULL"}});
  CHECK(a.rows_suppressed == 1);
  // Read again: nothing counts twice.
  auto again = apply(db, walk({in_msg("250", "42", at(25), "STOP.")}, at(40)), at(40));
  CHECK(again.new_messages == 0);
  CHECK(again.replies == 0);
  CHECK(query_int(db, "SELECT count(*) FROM replies") == 2);
  CHECK(query_int(db, "SELECT count(*) FROM inbox_messages") == 6);
  check_consistent(db);

  // forget: the replies and their text go, the fact that bob replied stays.
  std::vector<std::string> const who{"@BOB"};
  CHECK(REQUIRE_OK(forget_users(db, who)) == 2);
  CHECK(query_int(db, "SELECT count(*) FROM replies") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipients WHERE replied_at IS NOT NULL") == 2);
  std::vector<std::string> const bad{"two words"};
  CHECK_FALSE(forget_users(db, bad).has_value());
}

TEST_CASE("inbox: a newly imported campaign waits for the read before its first claim when the daemon asks") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1"});
  auto session = REQUIRE_OK(begin_import(db, header_of({}), "c1.json", "h", at(0),
                                         ImportOptions{.read_inbox_first = true}));
  REQUIRE_OK(session.add(rec("bob", "42")));
  REQUIRE_OK(session.commit());
  CHECK_FALSE(REQUIRE_OK(claim_next(db, "a1", at(10))).has_value());
  auto facts = REQUIRE_OK(inbox_account_facts(db, "a1", at(10), std::nullopt, 30s));
  CHECK(facts.read_needed_at == at(10));
  CHECK(facts.has_unfinished_campaign);
  CHECK(REQUIRE_OK(release_campaigns_waiting_for_read(db, "a1", at(11))) == 1);
  CHECK(REQUIRE_OK(claim_next(db, "a1", at(12)))->username == "bob");
}

TEST_CASE("upgrading a version-3 database: backup, paused_reason, step, old unknown rows checked but never requeued") {
  TempDir dir;
  {
    auto conn = REQUIRE_OK(sql::Connection::open(dir.db_path(), true));
    for (int v = 0; v < 3; ++v) REQUIRE_OK(conn->exec(migrations()[static_cast<std::size_t>(v)].sql, "old schema"));
    REQUIRE_OK(conn->exec("PRAGMA user_version = 3", "old schema"));
    REQUIRE_OK(conn->exec(R"sql(
INSERT INTO accounts (name, provider, daily_cap) VALUES ('a1', 'getxapi', 1000), ('t1', 'twitterapi_io', 1000);
INSERT INTO campaigns (name, file_name, content_hash, message, priority, dry_run, control, created_at,
                       first_recipient_id, last_recipient_id)
  VALUES ('held', 'held.json', 'h', 'Hi', 0, 0, 'paused', 0, 1, 3);
INSERT INTO campaign_counts (campaign_id, total, unknown, pending) VALUES (1, 3, 2, 1);
INSERT INTO recipients (campaign_id, state, reason, attempts, claimed_by, claimed_at, username, user_id, text)
  VALUES (1, 'unknown', 'in_doubt', 1, 1, 1800000100000, 'bob', '42', 'Hi bob'),
         (1, 'unknown', 'in_doubt', 1, 2, 1800000100000, 'eve', '43', 'Hi eve');
INSERT INTO recipients (campaign_id, username, text) VALUES (1, 'carl', 'Hi carl');
)sql",
                          "old rows"));
  }
  auto db = open_db(dir);
  CHECK(query_int(db, "PRAGMA user_version") == current_schema_version());
  struct stat st {};
  CHECK(::stat((dir.db_path() + ".bak-3").c_str(), &st) == 0);
  CHECK(query_rows(db, "SELECT state, paused_reason, spent_usd, replied FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"paused", "operator", "0.0", "0"}});
  CHECK(query_int(db, "SELECT count(*) FROM recipient_status WHERE step = 0") == 3);
  // The getxapi row is checked (never requeued); the twitterapi_io one has no inbox to check.
  CHECK(query_rows(db, "SELECT recipient_id, may_requeue FROM inbox_checks") ==
        std::vector<std::vector<std::string>>{{"1", "0"}});
  // A complete read proves bob's DM absent; requeue_unconfirmed is on, yet an upgraded row stays.
  auto a = REQUIRE_OK(apply_inbox_walk(db, "a1", walk({}, at(200)), rules(true), at(200)));
  CHECK(a.absent == 1);
  CHECK(a.requeued == 0);
  CHECK(state_of(db, "bob") == "unknown");
  CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("inbox: the accounts table keeps core's reads_inbox per account, rewritten by each sync of the config") {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<ConfiguredAccount> accounts{{"gx", ProviderKind::getxapi, 100},
                                          {"xa", ProviderKind::x_api, 100},
                                          {"tio", ProviderKind::twitterapi_io, 100},
                                          {"tw", ProviderKind::tweetapi, 100}};
  REQUIRE_OK(sync_accounts(db, accounts));
  CHECK(query_rows(db, "SELECT name, reads_inbox FROM accounts ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"gx", "1"}, {"xa", "1"}, {"tio", "0"}, {"tw", "0"}});
  accounts[0].provider = ProviderKind::twitterapi_io;  // a reload moves gx to a provider without inbox
  REQUIRE_OK(sync_accounts(db, accounts));
  CHECK(query_int(db, "SELECT reads_inbox FROM accounts WHERE name = 'gx'") == 0);
}
