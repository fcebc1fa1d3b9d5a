// docs/send-rules.md#account-level-stop and docs/providers.md#x_api-token-refresh: a 401 makes the
// daemon refresh its OAuth 2.0 token once and go on; X rotates the refresh token on every refresh,
// and the rotated one is kept in the database, so a later run (here after a kill -9) can refresh
// again with it. The simulator revokes everything if a spent refresh token is ever reused, so using
// the config's original token again would show.
//
// In process: the 401 met during shutdown (SIGTERM's path). The refresh across a kill -9 stays in
// tests/e2e/test_daemon_x_api.cpp.
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

std::int64_t requests(InProcessSetup const& setup, char const* endpoint) {
  return json::parse(setup.sim.stats_json()).at("requests").at("x_api").at(endpoint).to_number<std::int64_t>();
}

std::int64_t token_requests(InProcessSetup const& setup) { return requests(setup, "token"); }

}  // namespace

TEST_CASE("x_api: an expired token met during shutdown is left for the next start: no refresh, no stop, no attempt") {
  // The lookup is answered 401 (the access token has expired); the stop comes before the daemon
  // reads that answer (e2e made the lookup take 1 s and sent SIGTERM meanwhile).
  InProcessSetup setup({{"xa-1", "x_api"}}, users_json({"alice"}),
                       R"("faults": [{"kind": "session_expired", "provider": "x_api", "endpoint": "lookup", "times": 1}])",
                       R"({"client_id": "demo-client-id", "revoke_on_refresh_reuse": true})");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("late.json", R"({"name": "late", "accounts": ["xa-1"], "message": "Hi {{username}}",
    "recipients": [{"username": "alice"}]})");
  REQUIRE_MESSAGE(setup.step_until([&] { return requests(setup, "lookup") == 1; }, 10s), setup.log());
  REQUIRE_MESSAGE(setup.number("SELECT coalesce(sum(sending), 0) FROM campaign_status WHERE campaign = 'late'") == 1, setup.log());
  REQUIRE(setup.runtime().requests_in_flight() == 1);  // the 401 is not read yet
  CHECK_NOTHROW(setup.stop());                         // e2e: exit code 0 after SIGTERM
  CHECK(token_requests(setup) == 0);  // a refresh is a new exchange: none begins after the stop
  CHECK(setup.log().find("OAuth access token refreshed") == std::string::npos);
  CHECK(str(setup.account("xa-1").at("state")) != "stopped");
  auto alice = setup.recipient("late", "alice");
  CHECK(str(alice.at("state")) == "pending");
  CHECK(alice.at("attempts").as_int64() == 0);
  CHECK(setup.messages().empty());
}
