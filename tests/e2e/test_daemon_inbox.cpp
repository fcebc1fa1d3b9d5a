// The inbox loop with the real binary (docs/send-rules.md#the-inbox): what only the process shows —
// a daemon killed while its DMs are being delivered settles them from the account's sent messages
// at its next start, and the simulator's inbox, replies and faults over real HTTP. The rules
// themselves, on the manual clock: tests/runtime/test_runtime_inbox.cpp.
#include <doctest/doctest.h>

#include <csignal>
#include <map>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

std::map<std::string, int> deliveries(Setup const& setup) {
  std::map<std::string, int> out;
  for (auto const& m : setup.sim.messages()) ++out[str(m.at("recipient_id"))];
  return out;
}

std::int64_t duplicates(Setup const& setup) { return setup.sim.stats().at("duplicates").as_int64(); }

std::string state_of(Setup const& setup, std::string const& campaign, std::string const& user) {
  auto r = setup.recipient(campaign, user);
  return str(r.at("state")) + "/" + str(r.at("reason"));
}

std::string user_with_replies(std::string const& name, int i, std::string const& replies) {
  return R"({"username": ")" + name + R"(", "id": ")" + user_id(i) + R"(", "replies": )" + replies + "}";
}

}  // namespace

TEST_CASE("killed at the moment of delivery five times: all five end sent/reconciled, none twice, none unknown") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    auto const users = user_names(5);
    // Every send is delivered at once and answered 1.5 s later: the kill lands in between.
    Setup setup({{"acct", provider}}, users_json(users),
                R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "1500ms"}])");
    setup.ws.drop("c.json", campaign_json("c", {"acct"}, users));
    for (std::size_t kill = 0; kill < users.size(); ++kill) {
      auto daemon = setup.start();
      REQUIRE_MESSAGE(daemon, setup.last_log);
      REQUIRE_MESSAGE(eventually([&] { return setup.sim.messages().size() == kill + 1; }, 15s), daemon->log());
      CHECK(daemon->stop(SIGKILL).term_signal == SIGKILL);
      CHECK(setup.sending("c") == 1);  // claimed, delivered, unanswered
    }
    auto last = setup.start();
    REQUIRE_MESSAGE(last, setup.last_log);
    REQUIRE_MESSAGE(eventually([&] {
      return setup.campaign_done("c") && setup.ws.number("SELECT count(*) FROM inbox_checks") == 0 &&
             setup.campaign("c").at("unknown").as_int64() == 0;
    }, 20s), last->log());
    CHECK(last->stop(SIGTERM).exit_code == 0);
    for (auto const& u : users) CHECK(state_of(setup, "c", u) == "sent/reconciled");
    CHECK(setup.campaign("c").at("sent").as_int64() == 5);
    CHECK(setup.campaign("c").at("unknown").as_int64() == 0);
    CHECK(duplicates(setup) == 0);
    for (auto const& [id, n] : deliveries(setup)) CHECK_MESSAGE(n == 1, id << " got " << n);
    CHECK(setup.sim.messages().size() == 5);
  }
}

TEST_CASE("a connection dropped before delivery stays unknown, or is sent exactly once with requeue_unconfirmed") {
  for (bool const requeue : {false, true}) {
    CAPTURE(requeue);
    Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}),
                R"("faults": [{"kind": "drop_before_delivery", "endpoint": "send", "recipient": "bob", "times": 1}])");
    setup.inbox = std::string(kTestInbox) + (requeue ? "\nrequeue_unconfirmed = true" : "");
    setup.write_config();
    auto daemon = setup.start();
    REQUIRE_MESSAGE(daemon, setup.last_log);
    setup.ws.drop("c.json", campaign_json("c", {"gx-1"}, {"alice", "bob"}));
    // Settled: sent again (requeue), or unknown with the proof of absence in last_error.
    REQUIRE_MESSAGE(eventually([&] {
      auto b = setup.recipient("c", "bob");
      return setup.campaign_done("c") &&
             (str(b.at("state")) == "sent" || str(b.at("last_error")).find("not delivered") != std::string::npos);
    }, 15s), daemon->log());
    CHECK(daemon->stop(SIGTERM).exit_code == 0);
    auto bob = setup.recipient("c", "bob");
    if (requeue) {
      CHECK(state_of(setup, "c", "bob") == "sent/<null>");
      CHECK(bob.at("attempts").as_int64() == 2);
      CHECK(deliveries(setup)[user_id(1)] == 1);
    } else {
      CHECK(state_of(setup, "c", "bob") == "unknown/in_doubt");
      CHECK(str(bob.at("last_error")).find("not delivered") != std::string::npos);
      CHECK(deliveries(setup).count(user_id(1)) == 0);
    }
    CHECK(duplicates(setup) == 0);
  }
}

TEST_CASE("a 5xx after delivery is found in the inbox before its retry: one copy only") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    Setup setup({{"acct", provider}}, users_json({"bob"}),
                R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "bob", "times": 1, "status": 502, "deliver": true}])");
    auto daemon = setup.start();
    REQUIRE_MESSAGE(daemon, setup.last_log);
    setup.ws.drop("c.json", campaign_json("c", {"acct"}, {"bob"}));
    REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("c"); }, 15s), daemon->log());
    std::this_thread::sleep_for(1500ms);  // the retry's backoff (200 ms..1 s) is over: it would have gone
    CHECK(daemon->stop(SIGTERM).exit_code == 0);
    CHECK(state_of(setup, "c", "bob") == "sent/reconciled");
    CHECK(setup.sim.messages().size() == 1);
    CHECK(duplicates(setup) == 0);
  }
}

TEST_CASE("replies: thanks! marks the row replied, STOP. suppresses the sender in every campaign, status shows them") {
  for (std::string const provider : {"getxapi", "x_api"}) {
    CAPTURE(provider);
    std::string const users = "[" + user_with_replies("alice", 0, R"([{"after": "500ms", "text": "thanks!"}])") + ",\n" +
                              user_with_replies("bob", 1, R"([{"after": "500ms", "text": "STOP."}])") + "]";
    Setup setup({{"acct", provider}}, users);
    setup.inbox = std::string(kTestInbox) + "\npoll_interval = \"300ms\"";
    setup.write_config();
    auto daemon = setup.start();
    REQUIRE_MESSAGE(daemon, setup.last_log);
    setup.ws.drop("first.json", campaign_json("first", {"acct"}, {"alice", "bob"}));
    // A later campaign already holds bob and alice, scheduled far ahead.
    setup.ws.drop("later.json", R"({"name": "later", "accounts": ["acct"], "message": "Again {{username}}",
      "start_at": "2099-01-01T00:00:00Z", "recipients": [{"username": "bob"}, {"username": "alice"}]})");
    REQUIRE_MESSAGE(eventually([&] { return setup.ws.number("SELECT count(*) FROM replies") == 2; }, 15s),
                    daemon->log());
    CHECK(!str(setup.recipient("first", "alice").at("replied_at")).empty());
    CHECK(setup.campaign("first").at("replied").as_int64() == 2);
    CHECK(setup.ws.number("SELECT count(*) FROM replies WHERE username = 'alice' AND text = 'thanks!'") == 1);
    CHECK(setup.ws.number("SELECT count(*) FROM suppressions WHERE user = '" + user_id(1) + "' AND source = 'opt_out'") == 1);
    CHECK(setup.ws.number("SELECT count(*) FROM suppressions") == 1);  // thanks! is no opt-out
    CHECK(state_of(setup, "later", "bob") == "skipped/suppressed");
    CHECK(state_of(setup, "later", "alice") == "pending/<null>");
    auto status = setup.cli({"status"});
    CHECK(status.exit_code == 0);
    CHECK_MESSAGE(status.out.find("replied") != std::string::npos, status.out);
    CHECK(daemon->stop(SIGTERM).exit_code == 0);
  }
}
