// docs/send-rules.md#account-level-stop and docs/providers.md#x_api-token-refresh: a 401 makes the
// daemon refresh its OAuth 2.0 token once and go on; X rotates the refresh token on every refresh,
// and the rotated one is kept in the database, so a later run (here after a kill -9) can refresh
// again with it. The simulator revokes everything if a spent refresh token is ever reused, so using
// the config's original token again would show.
//
// The refresh across a real kill -9 stays here (the rotated token must be on disk when the process
// dies without cleanup); the 401 met during shutdown runs in process (tests/runtime/test_runtime_x_api.cpp).
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

std::int64_t token_requests(Simulator const& sim) {
  return sim.stats().at("requests").as_object().at("x_api").as_object().at("token").as_int64();
}

}  // namespace

TEST_CASE("x_api: an expired access token is refreshed once and the send succeeds, the rotated token survives a restart") {
  // xa-1 starts with a dead access token and a working refresh token. In the second run, bob's
  // first lookup is refused 401 once, which makes that run refresh again.
  Setup setup({{"xa-1", "x_api", {}, R"("state": "expired")"}}, users_json({"alice", "bob"}),
              R"("faults": [{"kind": "session_expired", "provider": "x_api", "endpoint": "lookup", "recipient": "bob", "times": 1}])",
              R"({"client_id": "demo-client-id", "revoke_on_refresh_reuse": true})");
  {
    auto daemon = setup.start();
    REQUIRE_MESSAGE(daemon, setup.last_log);
    setup.ws.drop("first.json", R"({"name": "first", "accounts": ["xa-1"], "message": "Hi {{username}}",
      "recipients": [{"username": "alice"}]})");
    REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("first"); }, 10s), daemon->log());
    CHECK(str(setup.recipient("first", "alice").at("state")) == "sent");
    CHECK(setup.recipient("first", "alice").at("attempts").as_int64() == 1);
    CHECK(token_requests(setup.sim) == 1);
    CHECK(count_of(daemon->log(), "OAuth access token refreshed") == 1);
    CHECK(str(setup.account("xa-1").at("state")) != "stopped");
    // Killed, not stopped: the rotated refresh token must already be on disk.
    auto killed = daemon->stop(SIGKILL);
    CHECK(killed.term_signal == SIGKILL);
    // No token in the log, neither the configured nor the rotated ones.
    const auto stored = setup.ws.sql("SELECT access_token, refresh_token FROM oauth_tokens WHERE account = 'xa-1'");
    REQUIRE(stored.size() == 1);
    for (std::string secret : {std::string("access-xa-1"), std::string("refresh-xa-1"),
                               str(stored[0].as_object().at("access_token")), str(stored[0].as_object().at("refresh_token"))}) {
      CHECK_MESSAGE(killed.err.find(secret) == std::string::npos, "a token reached the log");
    }
    CHECK(str(stored[0].as_object().at("refresh_token")) != "refresh-xa-1");
  }

  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("second.json", R"({"name": "second", "accounts": ["xa-1"], "message": "Hi {{username}}",
    "recipients": [{"username": "bob"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("second"); }, 10s), daemon->log());
  CHECK(str(setup.recipient("second", "bob").at("state")) == "sent");
  CHECK(token_requests(setup.sim) == 2);
  CHECK(count_of(daemon->log(), "OAuth access token refreshed") == 1);
  CHECK(str(setup.account("xa-1").at("state")) != "stopped");
  CHECK(setup.account("xa-1").at("last_error").is_null());

  auto delivered = setup.sim.messages();
  REQUIRE(delivered.size() == 2);
  CHECK(str(delivered[0].at("recipient_id")) == user_id(0));
  CHECK(str(delivered[1].at("recipient_id")) == user_id(1));
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
