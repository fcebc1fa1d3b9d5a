// docs/send-rules.md#shutdown-and-reload: SIGHUP reloads the config (here: a lower daily_cap)
// without losing state; sends in flight when it comes finish and are recorded.
//
// In process the reload is Runtime::reload(), SIGHUP's path. That the signal reaches it stays
// proven by the real SIGHUP of tests/e2e/test_daemon_signals.cpp ("SIGHUP applies a lower
// daily_cap from the rewritten config", kept there as well).
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

TEST_CASE("SIGHUP applies a lower daily_cap from the rewritten config") {
  InProcessSetup setup({{"gx-1", "getxapi", "daily_cap = 20\n"}}, users_json(user_names(10)));
  setup.pacing = "min_delay = \"300ms\"\nmax_delay = \"500ms\"";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  CHECK(setup.account("gx-1").at("daily_cap").as_int64() == 20);
  setup.drop("hup.json", campaign_json("hup", {"gx-1"}, user_names(10)));

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign("hup").count("sent") &&
                                              setup.campaign("hup").at("sent").as_int64() >= 1; }, 10s),
                  setup.log());
  // With at least 300 ms between sends, the reload lands before the third send.
  setup.accounts[0].toml = "daily_cap = 3\n";
  setup.write_config();
  (void)setup.reload();

  REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 10s),
                  setup.log());
  setup.advance(1h);  // far longer than the largest pacing gap (e2e: 800 ms)
  auto account = setup.account("gx-1");
  CHECK(account.at("daily_cap").as_int64() == 3);
  CHECK(account.at("sent_24h").as_int64() == 3);
  CHECK(account.at("remaining_24h").as_int64() == 0);
  CHECK(str(account.at("state")) == "capped");
  CHECK(setup.campaign("hup").at("sent").as_int64() == 3);
  CHECK(setup.campaign("hup").at("pending").as_int64() == 7);
  CHECK(setup.messages().size() == 3);
  CHECK(setup.log().find("configuration reloaded") != std::string::npos);
  CHECK_NOTHROW(setup.stop());  // e2e: exit code 0 after SIGTERM
}

TEST_CASE("SIGHUP while sends are in flight: they finish and are recorded with the old session, then go on") {
  // The reload comes once both accounts have their first send out: each has processed its lookup
  // (its can_dm answer is cached), nothing is recorded yet, and two requests are out, one per
  // worker, so both are sends (e2e made every send take 800 ms to answer instead).
  InProcessSetup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io"}}, users_json(user_names(6)));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("hup2.json", campaign_json("hup2", {"gx-1", "tio-1"}, user_names(6)));
  auto sends_out = [&] {
    return setup.runtime().requests_in_flight() == 2 &&
           setup.number("SELECT count(DISTINCT account_id) FROM can_dm_cache") == 2 &&
           setup.number("SELECT count(*) FROM attempts") == 0;
  };
  REQUIRE_MESSAGE(setup.step_until(sends_out, 10s), setup.log());
  REQUIRE(setup.sending("hup2") == 2);  // both sends are now waiting for their answers
  (void)setup.reload();
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("hup2"); }, 15s), setup.log());
  CHECK(!setup.runtime().stopped());  // e2e: the process had not exited
  auto c = setup.campaign("hup2");
  CHECK(c.at("sent").as_int64() == 6);
  CHECK(c.at("unknown").as_int64() == 0);
  CHECK(setup.messages().size() == 6);
  CHECK(setup.log().find("configuration reloaded") != std::string::npos);
  CHECK_NOTHROW(setup.stop());  // e2e: exit code 0 after SIGTERM (and no ASan report: in an ASan build, one fails this binary)
}
