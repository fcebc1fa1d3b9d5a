// SIGHUP while a request is out (docs/send-rules.md#shutdown-and-reload): the reload must not
// strand the account. An account removed and configured again before its last request came back
// sends again; a refusal that answers a request made with the old credentials does not stop the
// account, since the reload may be the operator's fix.
//
// In process the reloads are Runtime::reload() (SIGHUP's path; the signal itself is wired in
// tests/e2e/test_daemon_signals.cpp), and "while a request is out" is exact: step_until() stops
// right after the simulator answered, before the daemon read the answer (e2e made the simulator
// take 1-1.5 s to answer instead).
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

/// How many send requests the simulator has answered (as GET /_sim/stats counts them).
std::int64_t sends_answered(InProcessSetup const& setup) {
  return json::parse(setup.sim.stats_json()).at("requests").at("getxapi").at("send").to_number<std::int64_t>();
}

}  // namespace

TEST_CASE("an account removed and configured again while its send was out goes on sending") {
  // Both reloads land between the simulator's answer to the first send and the daemon's reading of it.
  InProcessSetup setup({{"gx-1", "getxapi"}, {"gx-2", "getxapi"}}, users_json({"alice", "bob", "carol"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("again.json", campaign_json("again", {"gx-1"}, {"alice", "bob", "carol"}));
  REQUIRE_MESSAGE(setup.step_until([&] { return sends_answered(setup) == 1; }, 10s), setup.log());
  REQUIRE(setup.sending("again") == 1);

  const TestAccount gx1 = setup.accounts[0];
  setup.accounts.erase(setup.accounts.begin());
  setup.write_config();
  (void)setup.runtime().reload();  // not setup.reload(): that would let the answer in
  REQUIRE(count_of(setup.log(), "configuration reloaded") == 1);
  setup.accounts.insert(setup.accounts.begin(), gx1);
  setup.write_config();
  (void)setup.runtime().reload();
  REQUIRE(count_of(setup.log(), "configuration reloaded") == 2);
  CHECK(setup.sending("again") == 1);  // the premise: both reloads came while the first send was out
  CHECK(setup.runtime().requests_in_flight() == 1);

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("again"); }, 20s), setup.log());
  CHECK(setup.campaign("again").at("sent").as_int64() == 3);
  CHECK(setup.messages().size() == 3);
  CHECK_NOTHROW(setup.stop());  // e2e: exit code 0 after SIGTERM
}

TEST_CASE("a 401 to a request made before a reload does not stop the account: the new credentials are tried") {
  // alice's send is refused 401 (an expired session); the reload comes before the daemon reads it.
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice"}),
                       R"("faults": [{"kind": "session_expired", "endpoint": "send", "times": 1}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("fixed.json", campaign_json("fixed", {"gx-1"}, {"alice"}));
  REQUIRE_MESSAGE(setup.step_until([&] { return sends_answered(setup) == 1; }, 10s), setup.log());
  REQUIRE(setup.sending("fixed") == 1);
  REQUIRE(setup.runtime().requests_in_flight() == 1);  // the 401 is not read yet
  (void)setup.reload();
  REQUIRE(count_of(setup.log(), "configuration reloaded") == 1);

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("fixed"); }, 15s), setup.log());
  CHECK(setup.campaign("fixed").at("sent").as_int64() == 1);
  CHECK(str(setup.account("gx-1").at("state")) != "stopped");
  CHECK(setup.log().find("with the credentials from before the reload") != std::string::npos);
  CHECK_NOTHROW(setup.stop());  // e2e: exit code 0 after SIGTERM
}
