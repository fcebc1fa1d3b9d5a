// docs/send-rules.md#outcomes: how each kind of answer ends a recipient — 429 waits without using
// an attempt, 5xx backs off and retries up to max_attempts, other 4xx and refusals fail at once, a
// connection lost after the request was written is in doubt and never resent. Faults are injected
// by the simulator per recipient and ordinal (`nth`, `times`), so every run takes the same path.
//
// In process, on the test's clock. (The mixed-outcomes test stays in tests/e2e/test_daemon_outcomes.cpp:
// one of its recipients needs a request that hangs past request_timeout, which is real time.)
#include <doctest/doctest.h>

#include <map>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

TEST_CASE("429 waits for the provider's reset without using an attempt, then sends") {
  // bob's first send is answered 429 with Retry-After: 2.
  InProcessSetup setup(
      {{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol"}),
      R"("faults": [{"kind": "rate_limited", "endpoint": "send", "recipient": "bob", "nth": [1], "retry_after": "2s"}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("rl.json", campaign_json("rl", {"gx-1"}, {"alice", "bob", "carol"}, "Hello {{username}}"));

  // While the account waits out the reset: it shows `backoff`, and bob is back in the queue with no
  // attempt used.
  REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.account("gx-1").at("state")) == "backoff"; }, 10s),
                  setup.log());
  auto bob = setup.recipient("rl", "bob");
  CHECK(str(bob.at("state")) == "pending");
  CHECK(bob.at("attempts").as_int64() == 0);
  CHECK(bob.at("last_http_status").as_int64() == 429);

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("rl"); }, 10s), setup.log());
  bob = setup.recipient("rl", "bob");
  CHECK(str(bob.at("state")) == "sent");
  CHECK(bob.at("attempts").as_int64() == 1);
  CHECK(setup.campaign("rl").at("sent").as_int64() == 3);
  // The 429 is kept as an attempt row, but it does not count toward the cap
  // (docs/send-rules.md#daily-cap).
  CHECK(setup.number("SELECT count(*) FROM attempts WHERE http_status = 429 AND error_class = 'rate_limited'") == 1);
  CHECK(setup.account("gx-1").at("sent_24h").as_int64() == 3);
  // The account's next attempt began after the reset (Retry-After is whole seconds: allow rounding).
  const std::int64_t limited_at = setup.number("SELECT at FROM attempts WHERE http_status = 429");
  const std::int64_t next_claim =
      setup.number("SELECT min(claimed_at) FROM recipients WHERE claimed_at > " + std::to_string(limited_at));
  REQUIRE(limited_at > 0);
  REQUIRE(next_claim > 0);
  CHECK(next_claim - limited_at >= 1000);
  CHECK(deliveries_by_recipient(setup.messages()) ==
        std::map<std::string, int>{{user_id(0), 1}, {user_id(1), 1}, {user_id(2), 1}});
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}
