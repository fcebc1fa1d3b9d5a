// docs/send-rules.md#candm-check-and-cache for the providers whose canDm check is not a plain
// `canDm` field: tweetapi answers it through a second request (dm-permissions), x_api through
// `user.fields=receives_your_dm`. Recipients with DMs closed end `skipped`/`cannot_dm` and the
// simulator never receives a DM for them.
//
// In process, on the test's clock.
#include <doctest/doctest.h>

#include <set>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

// open: alice bob carol dave (ids …001–…004); closed: mallory trent (…005, …006); missing: ghost.
const std::string kUsers = users_json({"alice", "bob", "carol", "dave"}, {"mallory", "trent"}, {"ghost"});

std::string campaign(std::string const& name, std::string const& account, std::string const& open_a,
                     std::string const& open_b) {
  return R"({"name": ")" + name + R"(", "accounts": [")" + account + R"("], "message": "Hi {{username|you}}!",
  "recipients": [
    {"username": ")" + open_a + R"("},
    {"username": "mallory"},
    {"username": ")" + open_b + R"("},
    {"user_id": ")" + user_id(5) + R"("},
    {"username": "ghost"}
  ]})";
}

/// GET /_sim/stats (docs/simulator.md): requests, deliveries, duplicates, fault counts.
json::object stats(InProcessSetup const& setup) { return json::parse(setup.sim.stats_json()).as_object(); }

}  // namespace

TEST_CASE("tweetapi and x_api: recipients with DMs closed are skipped/cannot_dm and never sent") {
  InProcessSetup setup({{"tw-1", "tweetapi"}, {"xa-1", "x_api"}}, kUsers);
  REQUIRE_MESSAGE(setup.start(), setup.last_error);

  setup.drop("tw.json", campaign("tw-camp", "tw-1", "alice", "bob"));
  setup.drop("xa.json", campaign("xa-camp", "xa-1", "carol", "dave"));
  REQUIRE_MESSAGE(
      setup.run_until([&] { return setup.campaign_done("tw-camp") && setup.campaign_done("xa-camp"); }, 20s),
      setup.log());

  for (std::string name : {"tw-camp", "xa-camp"}) {
    CAPTURE(name);
    auto c = setup.campaign(name);
    CHECK(c.at("total").as_int64() == 5);
    CHECK(c.at("sent").as_int64() == 2);
    CHECK(c.at("skipped").as_int64() == 3);
    CHECK(c.at("failed").as_int64() == 0);
    CHECK(c.at("unknown").as_int64() == 0);

    auto mallory = setup.recipient(name, "mallory");
    CHECK(mallory.at("state") == "skipped");
    CHECK(mallory.at("reason") == "cannot_dm");
    CHECK(str(mallory.at("user_id")) == user_id(4));  // resolved by the lookup
    CHECK(mallory.at("message_id").is_null());
    auto trent = setup.sql("SELECT state, reason FROM recipient_status WHERE campaign = '" + name +
                           "' AND user_id = '" + user_id(5) + "'");
    REQUIRE(trent.size() == 1);
    CHECK(trent.at(0).as_object().at("state") == "skipped");
    CHECK(trent.at(0).as_object().at("reason") == "cannot_dm");
    CHECK(setup.recipient(name, "ghost").at("reason") == "not_found");
  }
  // A skip is a lookup, not a send: only the four sends count toward the accounts' caps.
  CHECK(setup.account("tw-1").at("sent_24h").as_int64() == 2);
  CHECK(setup.account("xa-1").at("sent_24h").as_int64() == 2);

  // What the simulator accepted: the four open users, each once, through the expected provider.
  auto delivered = setup.messages();
  REQUIRE(delivered.size() == 4);
  std::multiset<std::string> tweetapi, x_api;
  for (auto const& m : delivered) {
    const std::string to(m.at("recipient_id").as_string());
    (m.at("provider") == "tweetapi" ? tweetapi : x_api).insert(to);
  }
  CHECK(tweetapi == std::multiset<std::string>{user_id(0), user_id(1)});
  CHECK(x_api == std::multiset<std::string>{user_id(2), user_id(3)});
  CHECK(stats(setup).at("duplicates").as_int64() == 0);
  // The lookups really went to each provider's DM-permission source (no send was tried for the closed users).
  auto requests = stats(setup).at("requests").as_object();
  CHECK(requests.at("tweetapi").as_object().at("send").as_int64() == 2);
  CHECK(requests.at("x_api").as_object().at("send").as_int64() == 2);

  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}
