// Exponential backoff on server errors (docs/send-rules.md#server-errors-and-backoff): a 5xx
// leaves the recipient `retrying` until a time within the full-jitter ceiling base·2^(n−1)
// (capped at max_delay), it is not claimed before then, and after max_attempts it fails. On the
// manual clock the waits are checked to the millisecond.
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

struct Attempt {
  std::int64_t at = 0;
  std::string outcome;
};

std::vector<Attempt> send_attempts(InProcessSetup const& setup, std::string const& username) {
  std::vector<Attempt> out;
  for (auto const& row : setup.sql("SELECT t.at, t.outcome FROM attempts t JOIN recipients r ON r.id = t.recipient_id "
                                   "WHERE r.username = '" + username + "' AND t.kind = 'send' ORDER BY t.id"))
    out.push_back({row.as_object().at("at").as_int64(), str(row.as_object().at("outcome"))});
  return out;
}

}  // namespace

TEST_CASE("5xx: the recipient waits out a jittered backoff below the doubling ceiling, then fails after max_attempts") {
  // retry: base 10 s, max 15 s, 4 attempts; pacing 100–300 ms, so the backoff is what binds.
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"bob", "carol"}),
                       R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "bob", "nth": [1], "status": 503},
                                     {"kind": "server_error", "endpoint": "send", "recipient": "carol", "status": 500}])");
  setup.retry = "base_delay = \"10s\"\nmax_delay = \"15s\"\nmax_attempts = 4";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("b.json", R"({"name": "b", "accounts": ["gx-1"], "message": "Hi", "recipients": [{"username": "bob"}, {"username": "carol"}]})");
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("b"); }, 2h), setup.log());

  auto bob = send_attempts(setup, "bob");
  REQUIRE(bob.size() == 2);
  CHECK(bob[0].outcome == "retrying");
  CHECK(bob[1].outcome == "sent");
  CHECK(bob[1].at - bob[0].at <= 10'000 + 300);  // within base·2^0 (+ a pacing gap at most)

  auto carol = send_attempts(setup, "carol");
  REQUIRE(carol.size() == 4);  // max_attempts
  CHECK(carol[3].outcome == "failed");
  // The ceilings double from the base and stop at max_delay: 10 s, 15 s (not 20 s), 15 s (not 40 s).
  std::int64_t const ceilings[] = {10'000, 15'000, 15'000};
  for (std::size_t i = 1; i < carol.size(); ++i) {
    CHECK(carol[i - 1].outcome == (i - 1 < 3 ? "retrying" : "failed"));
    CHECK(carol[i].at - carol[i - 1].at <= ceilings[i - 1] + 300);
  }
  // Jitter: with the seeded draws, not every wait sits at its ceiling (the waits are drawn, not fixed).
  bool below = false;
  for (std::size_t i = 1; i < carol.size(); ++i) below |= carol[i].at - carol[i - 1].at < ceilings[i - 1] - 1000;
  CHECK(below);
  auto row = setup.recipient("b", "carol");
  CHECK(str(row.at("state")) == "failed");
  CHECK(str(row.at("reason")) == "server_error");
  CHECK(row.at("attempts").as_int64() == 4);
  CHECK(setup.campaign("b").at("sent").as_int64() == 1);
}

TEST_CASE("5xx: a retrying recipient is not claimed before its next_attempt_at") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"carol"}),
                       R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "carol", "nth": [1], "status": 500}])");
  setup.retry = "base_delay = \"1h\"\nmax_delay = \"1h\"\nmax_attempts = 3";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("c.json", R"({"name": "c", "accounts": ["gx-1"], "message": "Hi", "recipients": [{"username": "carol"}]})");
  // On a getxapi account the retry first waits for the inbox check that proves the 500 delivered
  // nothing ([inbox] reconcile_after, 100 ms here); then it is due at its backoff time.
  REQUIRE(setup.run_until([&] {
    return str(setup.recipient("c", "carol").at("state")) == "retrying" &&
           setup.number("SELECT next_attempt_at IS NOT NULL FROM recipients WHERE username = 'carol'") == 1;
  }, 1min));
  auto const due = setup.sql("SELECT next_attempt_at FROM recipients WHERE username = 'carol'")[0].as_object()
                       .at("next_attempt_at").as_int64();
  auto const now_ms = setup.clock.now().time_since_epoch().count();
  REQUIRE(due > now_ms);
  REQUIRE(due <= now_ms + 3'600'000);
  // Up to 1 ms before it is due, nothing more goes out; then it is sent.
  setup.advance(outreach::Duration{due - now_ms - 1});
  CHECK(send_attempts(setup, "carol").size() == 1);
  CHECK(str(setup.recipient("c", "carol").at("state")) == "retrying");
  REQUIRE(setup.run_until([&] { return setup.campaign_done("c"); }, 1min));
  auto carol = send_attempts(setup, "carol");
  REQUIRE(carol.size() == 2);
  CHECK(carol[1].at >= due);
  CHECK(carol[1].outcome == "sent");
}
