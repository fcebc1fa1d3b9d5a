// A recipient one account gives back is sent by another account that had gone to sleep. This one
// needs the simulator to answer one account slowly in real time while the other goes on, so it
// runs the real binary; the pause and suppression that land while a lookup is out are in
// tests/runtime/test_runtime_in_flight.cpp.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

TEST_CASE("a recipient given back by a stopped account is sent by the other account, which had gone to sleep") {
  // tio-1's session has expired, and its answers take 1 s: by the time it gives its recipient back,
  // gx-1 has sent the other one and found nothing more due.
  Setup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io", {}, R"("state": "expired")"}},
              users_json({"alice", "bob"}),
              R"("faults": [{"kind": "slow", "provider": "twitterapi_io", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("two.json", campaign_json("two", {"gx-1", "tio-1"}, {"alice", "bob"}));

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("two"); }, 15s), daemon->log());
  CHECK(setup.campaign("two").at("sent").as_int64() == 2);
  CHECK(str(setup.account("tio-1").at("state")) == "stopped");
  // The premise: tio-1 did hold one of the two, and gave it back.
  CHECK(setup.ws.number("SELECT count(*) FROM attempts WHERE error_class = 'account'") == 1);
  for (auto const& m : setup.sim.messages()) CHECK(str(m.at("account")) == "gx-1");
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
