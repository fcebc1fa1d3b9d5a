// An account never makes more send attempts than its cap in any rolling 24 hours, across restarts;
// account_status shows it `capped` with sent_24h = the cap (docs/send-rules.md#daily-cap).
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

constexpr int kCap = 3;
const std::vector<std::string> kOpen{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};

void check_capped(InProcessSetup const& setup) {
  auto account = setup.account("gx-1");
  CHECK(str(account.at("state")) == "capped");
  CHECK(account.at("daily_cap").as_int64() == kCap);
  CHECK(account.at("sent_24h").as_int64() == kCap);
  CHECK(account.at("remaining_24h").as_int64() == 0);
  CHECK(!account.at("next_send_at").is_null());  // when the oldest attempt leaves the window
  auto campaign = setup.campaign("capped");
  CHECK(str(campaign.at("state")) == "active");
  CHECK(campaign.at("sent").as_int64() == kCap);
  CHECK(campaign.at("pending").as_int64() == static_cast<std::int64_t>(kOpen.size()) - kCap);
  CHECK(setup.messages().size() == static_cast<std::size_t>(kCap));
}

}  // namespace

TEST_CASE("daily cap: a cap of N stops the account after N attempts, and it still holds after a restart") {
  InProcessSetup setup({{"gx-1", "getxapi", "daily_cap = " + std::to_string(kCap) + "\n"}}, users_json(kOpen));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  // Every configured account has a row before its first send, with the override as its cap.
  auto fresh = setup.account("gx-1");
  CHECK(str(fresh.at("state")) == "ready");
  CHECK(fresh.at("daily_cap").as_int64() == kCap);
  CHECK(fresh.at("sent_24h").as_int64() == 0);
  CHECK(fresh.at("remaining_24h").as_int64() == kCap);

  setup.drop("capped.json", campaign_json("capped", {"gx-1"}, kOpen, "Hi"));
  REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 1min),
                  setup.log());
  // Up to the end of the cap's window: had the cap not held, a fourth send would have happened.
  setup.advance(23h);
  check_capped(setup);
  CHECK(setup.number("SELECT count(*) FROM attempts WHERE kind = 'send'") == kCap);

  // Across a restart the ledger in the database still holds the three attempts.
  REQUIRE(setup.restart());
  REQUIRE(setup.run_until([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 1min));
  setup.advance(30min);
  check_capped(setup);
  CHECK(setup.number("SELECT count(*) FROM attempts WHERE kind = 'send'") == kCap);

  // And once the first attempt leaves the rolling window, the account sends again.
  setup.advance(1h);
  CHECK(setup.campaign("capped").at("sent").as_int64() > kCap);
}
