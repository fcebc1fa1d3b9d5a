// docs/send-rules.md#outcomes: how each kind of answer ends a recipient — 429 waits without using
// an attempt, 5xx backs off and retries up to max_attempts, other 4xx and refusals fail at once, a
// connection lost after the request was written is in doubt and never resent. Faults are injected
// by the simulator per recipient and ordinal (`nth`, `times`), so every run takes the same path.
//
// Here: the 429's wait across a reload (Runtime::reload(), SIGHUP's path), from
// tests/e2e/test_daemon_outcomes.cpp.
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

TEST_CASE("a reload (SIGHUP) keeps the provider's rate-limit reset: the account still waits it out") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}),
                       R"("faults": [{"kind": "rate_limited", "endpoint": "send", "recipient": "alice", "nth": [1], "retry_after": "3s"}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("rl.json", campaign_json("rl", {"gx-1"}, {"alice", "bob"}, "Hello {{username}}"));
  REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.account("gx-1").at("state")) == "backoff"; }, 10s),
                  setup.log());
  (void)setup.reload();
  REQUIRE_MESSAGE(setup.log().find("configuration reloaded") != std::string::npos, setup.log());

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("rl"); }, 10s), setup.log());
  const std::int64_t limited_at = setup.number("SELECT at FROM attempts WHERE http_status = 429");
  const std::int64_t next_claim =
      setup.number("SELECT min(claimed_at) FROM recipients WHERE claimed_at > " + std::to_string(limited_at));
  REQUIRE(limited_at > 0);
  REQUIRE(next_claim > 0);
  CHECK(next_claim - limited_at >= 2000);  // Retry-After: 3 s, in whole seconds; the reload came at once
  CHECK(setup.campaign("rl").at("sent").as_int64() == 2);
  CHECK_NOTHROW(setup.stop());  // e2e: exit code 0 after SIGTERM
}
