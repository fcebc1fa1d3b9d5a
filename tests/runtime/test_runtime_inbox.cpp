// The inbox loop (docs/send-rules.md#the-inbox), in process on the manual clock: in-doubt sends
// settled by a read of the account's sent messages, the 5xx check before a retry, replies and
// opt-outs, the read before a campaign's first claim, and what a read's errors do. The real
// binary's versions of the main cases: tests/e2e/test_daemon_inbox.cpp.
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

int messages_to(InProcessSetup const& setup, std::string const& id) {
  int n = 0;
  for (auto const& m : setup.messages()) n += str(m.at("recipient_id")) == id ? 1 : 0;
  return n;
}

std::int64_t send_attempts(InProcessSetup const& setup, std::string const& username) {
  return setup.number("SELECT count(*) FROM attempts t JOIN recipients r ON r.id = t.recipient_id WHERE r.username = '" +
                      username + "' AND t.kind = 'send'");
}

std::int64_t inbox_requests(InProcessSetup const& setup, char const* provider) {
  return json::parse(setup.sim.stats_json()).at("requests").at(provider).at("inbox").to_number<std::int64_t>();
}

/// A users array entry with scripted replies.
std::string user_with_replies(std::string const& name, int i, std::string const& replies) {
  return R"({"username": ")" + name + R"(", "id": ")" + user_id(i) + R"(", "replies": )" + replies + "}";
}

}  // namespace

TEST_CASE("inbox: a send whose answer was lost is found in the account's sent messages and becomes sent/reconciled") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    InProcessSetup setup({{"acct", provider}}, users_json({"alice", "bob"}),
                         R"("faults": [{"kind": "drop_after_delivery", "endpoint": "send", "recipient": "bob", "times": 1}])");
    REQUIRE_MESSAGE(setup.start(), setup.last_error);
    setup.drop("c.json", campaign_json("c", {"acct"}, {"alice", "bob"}));
    REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.recipient("c", "bob").at("state")) == "sent"; }, 5min),
                    setup.log());
    auto bob = setup.recipient("c", "bob");
    CHECK(str(bob.at("reason")) == "reconciled");
    CHECK(!str(bob.at("message_id")).empty());
    CHECK(bob.at("attempts").as_int64() == 1);
    CHECK(messages_to(setup, user_id(1)) == 1);  // nothing sent twice
    CHECK(send_attempts(setup, "bob") == 1);
    // The message id is the one the provider gave the delivered DM.
    bool found = false;
    for (auto const& m : setup.messages()) found |= str(m.at("recipient_id")) == user_id(1) && str(m.at("message_id")) == str(bob.at("message_id"));
    CHECK(found);
    CHECK(setup.campaign("c").at("unknown").as_int64() == 0);
    CHECK(setup.number("SELECT count(*) FROM inbox_checks") == 0);
    CHECK(!str(setup.account("acct").at("inbox_synced_at")).empty());
  }
}

TEST_CASE("inbox: a send dropped before delivery stays unknown, proven undelivered, unless requeue_unconfirmed sends it once") {
  for (bool const requeue : {false, true}) {
    CAPTURE(requeue);
    InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"bob"}),
                         R"("faults": [{"kind": "drop_before_delivery", "endpoint": "send", "recipient": "bob", "times": 1}])");
    setup.inbox = std::string(kTestInbox) + (requeue ? "\nrequeue_unconfirmed = true" : "");
    setup.write_config();
    REQUIRE_MESSAGE(setup.start(), setup.last_error);
    setup.drop("c.json", campaign_json("c", {"gx-1"}, {"bob"}));
    REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("c") && setup.number("SELECT count(*) FROM inbox_checks") == 0; }, 10min),
                    setup.log());
    setup.advance(1min);
    auto bob = setup.recipient("c", "bob");
    if (requeue) {
      CHECK(str(bob.at("state")) == "sent");
      CHECK(bob.at("attempts").as_int64() == 2);  // the lost attempt stays used
      CHECK(messages_to(setup, user_id(0)) == 1);
    } else {
      CHECK(str(bob.at("state")) == "unknown");
      CHECK(str(bob.at("last_error")).find("not delivered") != std::string::npos);
      CHECK(messages_to(setup, user_id(0)) == 0);
      CHECK(send_attempts(setup, "bob") == 1);
    }
  }
}

TEST_CASE("inbox: a 5xx after delivery is found before its retry: one copy only") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    InProcessSetup setup({{"acct", provider}}, users_json({"bob"}),
                         R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "bob", "times": 1, "status": 503, "deliver": true}])");
    REQUIRE_MESSAGE(setup.start(), setup.last_error);
    setup.drop("c.json", campaign_json("c", {"acct"}, {"bob"}));
    REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("c"); }, 10min), setup.log());
    setup.advance(5min);  // a retry that was going to happen would have by now
    auto bob = setup.recipient("c", "bob");
    CHECK(str(bob.at("state")) == "sent");
    CHECK(str(bob.at("reason")) == "reconciled");
    CHECK(messages_to(setup, user_id(0)) == 1);
    CHECK(send_attempts(setup, "bob") == 1);
  }
}

TEST_CASE("inbox: a 5xx that delivered nothing is retried once the read proves it absent") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"bob"}),
                       R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "bob", "times": 1, "status": 500}])");
  setup.inbox = "reconcile_after = \"20s\"";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("c.json", campaign_json("c", {"gx-1"}, {"bob"}));
  REQUIRE(setup.run_until([&] { return send_attempts(setup, "bob") == 1; }, 1min));
  // The backoff (200 ms..1 s here) has passed, the check (20 s) has not: the retry waits for it.
  setup.advance(10s);
  CHECK(send_attempts(setup, "bob") == 1);
  CHECK(str(setup.recipient("c", "bob").at("state")) == "retrying");
  CHECK(setup.recipient("c", "bob").at("next_attempt_at").is_null());
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("c"); }, 5min), setup.log());
  CHECK(send_attempts(setup, "bob") == 2);
  CHECK(messages_to(setup, user_id(0)) == 1);
  CHECK(str(setup.recipient("c", "bob").at("state")) == "sent");
  CHECK(setup.recipient("c", "bob").at("reason").is_null());
}

TEST_CASE("inbox: a reply marks the row replied and is listed; STOP. suppresses the sender everywhere at once") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    std::string const users = "[" + user_with_replies("alice", 0, R"([{"after": "1m", "text": "thanks!"}])") + ",\n" +
                              user_with_replies("bob", 1, R"([{"after": "2m", "text": "  STOP. "}])") + ",\n" +
                              R"({"username": "carol", "id": ")" + user_id(2) + R"("}])";
    InProcessSetup setup({{"acct", provider}}, users);
    setup.inbox = std::string(kTestInbox) + "\npoll_interval = \"1m\"";
    setup.write_config();
    REQUIRE_MESSAGE(setup.start(), setup.last_error);
    setup.drop("first.json", campaign_json("first", {"acct"}, {"alice", "bob"}));
    REQUIRE(setup.run_until([&] { return setup.campaign_done("first"); }, 1min));
    // A second campaign, scheduled later, already holds bob: his opt-out reaches it at once.
    setup.drop("second.json", R"({"name": "second", "accounts": ["acct"], "message": "Again {{username}}",
      "start_at": "2030-01-01T00:00:00Z", "recipients": [{"username": "bob"}, {"username": "carol"}]})");
    REQUIRE(setup.run_until([&] { return setup.campaign("second").at("total").as_int64() == 2; }, 1min));
    REQUIRE_MESSAGE(setup.run_until([&] { return setup.number("SELECT count(*) FROM replies") == 2; }, 10min),
                    setup.log());

    auto alice = setup.recipient("first", "alice");
    CHECK(str(alice.at("state")) == "sent");
    CHECK(!str(alice.at("replied_at")).empty());
    CHECK(setup.campaign("first").at("replied").as_int64() == 2);
    auto replies = setup.sql("SELECT campaign, account, username, user_id, text FROM replies ORDER BY username");
    REQUIRE(replies.size() == 2);
    CHECK(str(replies[0].as_object().at("username")) == "alice");
    CHECK(str(replies[0].as_object().at("text")) == "thanks!");
    CHECK(str(replies[0].as_object().at("campaign")) == "first");
    CHECK(str(replies[0].as_object().at("account")) == "acct");
    CHECK(str(replies[1].as_object().at("text")) == "  STOP. ");

    // thanks! is no opt-out; STOP. is.
    auto suppressions = setup.sql("SELECT user, source FROM suppressions");
    REQUIRE(suppressions.size() == 1);
    CHECK(str(suppressions[0].as_object().at("user")) == user_id(1));
    CHECK(str(suppressions[0].as_object().at("source")) == "opt_out");
    auto second_bob = setup.recipient("second", "bob");
    CHECK(str(second_bob.at("state")) == "skipped");
    CHECK(str(second_bob.at("reason")) == "suppressed");
    CHECK(str(setup.recipient("second", "carol").at("state")) == "pending");
    CHECK(setup.campaign("second").at("skipped").as_int64() == 1);
    // Other people's messages are never stored: only the two replies keep a text.
    CHECK(setup.number("SELECT count(*) FROM replies_kept") == 2);
  }
}

TEST_CASE("inbox: a stop that arrived between campaigns is read before the next campaign's first claim") {
  std::string const users = "[" + user_with_replies("bob", 0, R"([{"after": "1h", "text": "unsubscribe"}])") + "]";
  InProcessSetup setup({{"gx-1", "getxapi"}}, users);
  setup.inbox = std::string(kTestInbox) + "\npoll_interval = \"0s\"";  // no poll: only the read before a claim
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("first.json", campaign_json("first", {"gx-1"}, {"bob"}));
  REQUIRE(setup.run_until([&] { return setup.campaign_done("first"); }, 1min));
  setup.advance(2h);  // bob's "unsubscribe" is in the inbox now, unread
  CHECK(setup.number("SELECT count(*) FROM replies") == 0);
  setup.drop("second.json", campaign_json("second", {"gx-1"}, {"bob"}));
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("second"); }, 1min), setup.log());
  CHECK(str(setup.recipient("second", "bob").at("state")) == "skipped");
  CHECK(str(setup.recipient("second", "bob").at("reason")) == "suppressed");
  CHECK(messages_to(setup, user_id(0)) == 1);
}

TEST_CASE("inbox: a refused read turns the inbox off with the reason, sending goes on, in-doubt rows stay unknown") {
  InProcessSetup setup({{"xa-1", "x_api", "", R"("scopes": ["tweet.read", "users.read", "dm.write", "offline.access"])"}},
                       users_json({"alice", "bob"}),
                       R"("faults": [{"kind": "drop_after_delivery", "endpoint": "send", "recipient": "bob", "times": 1}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("c.json", campaign_json("c", {"xa-1"}, {"alice", "bob"}));
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("c"); }, 5min), setup.log());
  setup.advance(5min);
  CHECK(str(setup.recipient("c", "alice").at("state")) == "sent");
  CHECK(str(setup.recipient("c", "bob").at("state")) == "unknown");
  CHECK(str(setup.account("xa-1").at("state")) != "stopped");
  CHECK(str(setup.account("xa-1").at("last_error")).find("inbox reading is off") != std::string::npos);
  CHECK(setup.number("SELECT count(*) FROM inbox_checks") == 0);
  // Off until a reload: no read is tried again meanwhile.
  auto const reads = inbox_requests(setup, "x_api");
  setup.advance(1h);
  CHECK(inbox_requests(setup, "x_api") == reads);
}

TEST_CASE("inbox: a rate-limited read delays reads only; sends go on") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json(user_names(6)),
                       R"("faults": [{"kind": "rate_limited", "endpoint": "inbox", "retry_after": "1h"}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("c.json", campaign_json("c", {"gx-1"}, user_names(6)));
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("c"); }, 1min), setup.log());
  CHECK(setup.campaign("c").at("sent").as_int64() == 6);
  CHECK(inbox_requests(setup, "getxapi") == 1);  // the one read before the first claim; the next waits an hour
  CHECK(str(setup.account("gx-1").at("state")) != "stopped");
}

TEST_CASE("inbox: reads never count as sends and never enter the send ledger") {
  InProcessSetup setup({{"gx-1", "getxapi", "daily_cap = 2\n"}}, users_json({"alice", "bob"}));
  setup.inbox = std::string(kTestInbox) + "\npoll_interval = \"1m\"";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("c.json", campaign_json("c", {"gx-1"}, {"alice", "bob"}));
  REQUIRE(setup.run_until([&] { return setup.campaign_done("c"); }, 1min));
  setup.advance(30min);
  CHECK(inbox_requests(setup, "getxapi") >= 10);
  CHECK(setup.number("SELECT count(*) FROM send_ledger") == 2);
  CHECK(setup.account("gx-1").at("sent_24h").as_int64() == 2);
}
