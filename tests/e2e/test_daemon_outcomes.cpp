// docs/send-rules.md#outcomes: how each kind of answer ends a recipient — 429 waits without using
// an attempt, 5xx backs off and retries up to max_attempts, other 4xx and refusals fail at once, a
// connection lost after the request was written is in doubt and never resent. Faults are injected
// by the simulator per recipient and ordinal (`nth`, `times`), so every run takes the same path.
//
// The 429 cases run in process (tests/runtime/test_runtime_outcomes.cpp; across a reload:
// tests/runtime/test_runtime_outcomes_reload.cpp). The mixed-outcomes test
// stays here: grace's request hangs past request_timeout (a `slow` fault, real time), and her
// in-doubt row is part of its shared counts.
#include <doctest/doctest.h>

#include <map>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

TEST_CASE("5xx retries then succeeds or fails after max_attempts, 4xx and refusals fail at once, a lost answer is in doubt") {
  // Open users: alice bob carol dave erin frank grace (…001–…007), plus heidi for the misconfigured
  // tweetapi account.
  const std::string faults = R"("faults": [
    {"kind": "server_error", "endpoint": "send", "recipient": "bob", "nth": [1], "status": 503},
    {"kind": "server_error", "endpoint": "send", "recipient": "carol", "status": 500},
    {"kind": "cannot_dm", "endpoint": "send", "recipient": "dave", "code": 150},
    {"kind": "drop_after_delivery", "endpoint": "send", "recipient": "erin", "times": 1},
    {"kind": "close_mid_body", "endpoint": "send", "recipient": "frank", "times": 1},
    {"kind": "slow", "endpoint": "send", "recipient": "grace", "times": 1, "delay": "3s"}
  ])";
  // tw-bad's configured user_id is not the one the provider knows for its session, so tweetapi
  // answers every send 400 VALIDATION_ERROR ("conversationId must contain the authenticated
  // account's user id") — a plain 4xx from a real send.
  Setup setup({{"gx-1", "getxapi"}, {"tw-bad", "tweetapi", "user_id = \"1234567890\"\n"}},
              users_json({"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}), faults);
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("mixed.json", campaign_json("mixed", {"gx-1"}, {"alice", "bob", "carol", "dave", "erin", "frank", "grace"},
                                            "Hello {{username}}"));
  setup.ws.drop("bad.json", campaign_json("bad", {"tw-bad"}, {"heidi"}, "Hello {{username}}"));

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("mixed") && setup.campaign_done("bad"); }, 15s),
                  daemon->log());

  auto row = [&](std::string const& campaign_name, std::string const& user) {
    auto r = setup.recipient(campaign_name, user);
    return str(r.at("state")) + "/" + str(r.at("reason")) + " attempts=" + str(r.at("attempts")) +
           " http=" + str(r.at("last_http_status"));
  };
  CHECK(row("mixed", "alice") == "sent/<null> attempts=1 http=200");
  CHECK(row("mixed", "bob") == "sent/<null> attempts=2 http=200");                 // 503, then success
  CHECK(row("mixed", "carol") == "failed/server_error attempts=3 http=500");       // max_attempts = 3
  CHECK(row("mixed", "dave") == "failed/cannot_dm attempts=1 http=502");           // X code 150: no retry
  // In doubt, each kept as its attempt's outcome; then gx-1's inbox showed the three DMs had gone out
  // (tests/e2e/test_daemon_inbox.cpp; an account that reads no inbox leaves them unknown).
  auto first_verdict = [&](std::string const& user) {
    auto a = setup.ws.sql("SELECT t.outcome, t.error_class, t.http_status FROM attempts t JOIN recipients r "
                          "ON r.id = t.recipient_id WHERE r.username = '" + user + "' AND t.kind = 'send' ORDER BY t.id");
    std::string out;
    for (auto const& v : a)
      out += str(v.as_object().at("outcome")) + "/" + str(v.as_object().at("error_class")) + " http=" +
             str(v.as_object().at("http_status")) + ";";
    return out;
  };
  CHECK(first_verdict("erin") == "unknown/in_doubt http=<null>;");   // dropped after the write
  CHECK(first_verdict("frank") == "unknown/in_doubt http=<null>;");  // half an answer
  CHECK(first_verdict("grace") == "unknown/in_doubt http=<null>;");  // no answer within request_timeout
  REQUIRE_MESSAGE(eventually([&] { return setup.ws.number("SELECT count(*) FROM inbox_checks") == 0; }, 15s),
                  daemon->log());
  CHECK(row("mixed", "erin") == "sent/reconciled attempts=1 http=<null>");
  CHECK(row("mixed", "frank") == "sent/reconciled attempts=1 http=<null>");
  CHECK(row("mixed", "grace") == "sent/reconciled attempts=1 http=<null>");
  CHECK(row("bad", "heidi") == "failed/bad_request attempts=1 http=400");
  CHECK(str(setup.recipient("bad", "heidi").at("last_error")).find("conversationId") != std::string::npos);

  // bob went through `retrying` (the 503) on his way to `sent`: each attempt row keeps the state it
  // left the recipient in.
  auto bob_attempts = setup.ws.sql("SELECT t.outcome, t.http_status, t.error_class FROM attempts t JOIN recipients r "
                                   "ON r.id = t.recipient_id WHERE r.username = 'bob' ORDER BY t.id");
  REQUIRE(bob_attempts.size() == 2);
  CHECK(str(bob_attempts[0].as_object().at("outcome")) == "retrying");
  CHECK(str(bob_attempts[0].as_object().at("http_status")) == "503");
  CHECK(str(bob_attempts[0].as_object().at("error_class")) == "server_error");
  CHECK(str(bob_attempts[1].as_object().at("outcome")) == "sent");

  // Every attempt is kept (docs/send-rules.md#attempts-are-kept): carol's three 500s, heidi's
  // one 400.
  CHECK(setup.ws.number("SELECT count(*) FROM attempts t JOIN recipients r ON r.id = t.recipient_id "
                        "WHERE r.username = 'carol' AND t.kind = 'send' AND t.http_status = 500") == 3);
  CHECK(setup.ws.number("SELECT count(*) FROM attempts t JOIN recipients r ON r.id = t.recipient_id "
                        "WHERE r.username = 'heidi' AND t.kind = 'send'") == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM failures WHERE campaign = 'mixed'") == 2);  // carol, dave

  // The simulator saw each in-doubt DM delivered exactly once, and nothing is resent later.
  std::this_thread::sleep_for(500ms);
  auto delivered = deliveries_by_recipient(setup.sim.messages());
  CHECK(delivered == std::map<std::string, int>{{user_id(0), 1}, {user_id(1), 1}, {user_id(4), 1}, {user_id(5), 1},
                                                {user_id(6), 1}});
  CHECK(setup.sim.stats().at("duplicates").as_int64() == 0);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
