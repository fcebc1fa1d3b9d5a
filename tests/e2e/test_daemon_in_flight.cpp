// What changes while a recipient is in flight (claimed, its lookup or send still out): a pause
// holds it back before the send, a suppression of the id the lookup resolved skips it, and a
// recipient one account gives back is sent by another account that had gone to sleep.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

std::string campaign(std::string const& name, std::vector<std::string> const& accounts,
                     std::vector<std::string> const& usernames) {
  std::string list, people;
  for (auto const& a : accounts) list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
  for (auto const& u : usernames) people += std::string(people.empty() ? "" : ", ") + R"({"username": ")" + u + "\"}";
  return R"({"name": ")" + name + R"(", "accounts": [)" + list + R"(], "message": "Hi {{username}}", "recipients": [)" +
         people + "]}";
}

}  // namespace

TEST_CASE("a pause that comes while the lookup is out holds the recipient back, resume sends it") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}),
              R"("faults": [{"kind": "slow", "endpoint": "lookup", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("hold.json", campaign("hold", {"gx-1"}, {"alice"}));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("hold") == 1; }, 10s), daemon->log());
  REQUIRE(setup.cli({"pause", "hold"}).exit_code == 0);

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign("hold").at("pending").as_int64() == 1; }, 10s),
                  daemon->log());
  CHECK(setup.sim.messages().empty());
  CHECK(setup.recipient("hold", "alice").at("attempts").as_int64() == 0);

  REQUIRE(setup.cli({"resume", "hold"}).exit_code == 0);
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("hold"); }, 10s), daemon->log());
  CHECK(setup.campaign("hold").at("sent").as_int64() == 1);
  CHECK(setup.sim.messages().size() == 1);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("suppressing the id a username resolves to stops the DM, even when the lookup resolved it after the claim") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}),
              R"("faults": [{"kind": "slow", "endpoint": "lookup", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("sup.json", campaign("sup", {"gx-1"}, {"alice"}));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("sup") == 1; }, 10s), daemon->log());
  REQUIRE(setup.cli({"suppress", user_id(0)}).exit_code == 0);  // alice's id, not her name

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("sup"); }, 10s), daemon->log());
  auto alice = setup.recipient("sup", "alice");
  CHECK(str(alice.at("state")) == "skipped");
  CHECK(str(alice.at("reason")) == "suppressed");
  CHECK(setup.sim.messages().empty());
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a recipient given back by a stopped account is sent by the other account, which had gone to sleep") {
  // tio-1's session has expired, and its answers take 1 s: by the time it gives its recipient back,
  // gx-1 has sent the other one and found nothing more due.
  Setup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io", {}, R"("state": "expired")"}},
              users_json({"alice", "bob"}),
              R"("faults": [{"kind": "slow", "provider": "twitterapi_io", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("two.json", campaign("two", {"gx-1", "tio-1"}, {"alice", "bob"}));

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("two"); }, 15s), daemon->log());
  CHECK(setup.campaign("two").at("sent").as_int64() == 2);
  CHECK(str(setup.account("tio-1").at("state")) == "stopped");
  // The premise: tio-1 did hold one of the two, and gave it back.
  CHECK(setup.ws.number("SELECT count(*) FROM attempts WHERE error_class = 'account'") == 1);
  for (auto const& m : setup.sim.messages()) CHECK(str(m.at("account")) == "gx-1");
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
