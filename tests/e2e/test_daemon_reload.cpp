// SIGHUP while a request is out (docs/send-rules.md#shutdown-and-reload): the reload must not
// strand the account. An account removed and configured again before its last request came back
// sends again; a refusal that answers a request made with the old credentials does not stop the
// account, since the reload may be the operator's fix.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

std::string campaign(std::string const& name, std::vector<std::string> const& usernames) {
  std::string people;
  for (auto const& u : usernames) people += std::string(people.empty() ? "" : ", ") + R"({"username": ")" + u + "\"}";
  return R"({"name": ")" + name + R"(", "accounts": ["gx-1"], "message": "Hi {{username}}", "recipients": [)" +
         people + "]}";
}

}  // namespace

TEST_CASE("an account removed and configured again while its send was out goes on sending") {
  // Sends take 1.5 s to answer (the e2e request timeout is 2 s): both reloads land meanwhile.
  Setup setup({{"gx-1", "getxapi"}, {"gx-2", "getxapi"}}, users_json({"alice", "bob", "carol"}),
              R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "1500ms"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("again.json", campaign("again", {"alice", "bob", "carol"}));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("again") == 1; }, 10s), daemon->log());

  const TestAccount gx1 = setup.accounts[0];
  setup.accounts.erase(setup.accounts.begin());
  setup.write_config();
  daemon->signal(SIGHUP);
  REQUIRE(eventually([&] { return count_of(daemon->log(), "configuration reloaded") == 1; }, 5s));
  setup.accounts.insert(setup.accounts.begin(), gx1);
  setup.write_config();
  daemon->signal(SIGHUP);
  REQUIRE(eventually([&] { return count_of(daemon->log(), "configuration reloaded") == 2; }, 5s));
  CHECK(setup.sending("again") == 1);  // the premise: both reloads came while the first send was out

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("again"); }, 20s), daemon->log());
  CHECK(setup.campaign("again").at("sent").as_int64() == 3);
  CHECK(setup.sim.messages().size() == 3);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a 401 to a request made before a reload does not stop the account: the new credentials are tried") {
  // alice's send takes 1 s and is then refused 401 (an expired session); the reload comes meanwhile.
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}),
              R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "1s"},
                            {"kind": "session_expired", "endpoint": "send", "times": 1}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("fixed.json", campaign("fixed", {"alice"}));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("fixed") == 1; }, 10s), daemon->log());
  daemon->signal(SIGHUP);
  REQUIRE(eventually([&] { return count_of(daemon->log(), "configuration reloaded") == 1; }, 5s));

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("fixed"); }, 15s), daemon->log());
  CHECK(setup.campaign("fixed").at("sent").as_int64() == 1);
  CHECK(str(setup.account("gx-1").at("state")) != "stopped");
  CHECK(daemon->log().find("with the credentials from before the reload") != std::string::npos);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
