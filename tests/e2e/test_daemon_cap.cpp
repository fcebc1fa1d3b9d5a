// docs/send-rules.md#daily-cap: an account never makes more send attempts than its cap in any
// rolling 24 hours, across restarts; account_status shows it `capped` with sent_24h = the cap.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

constexpr int kCap = 3;
const std::vector<std::string> kOpen{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};

void check_capped(Setup const& setup) {
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
  CHECK(setup.sim.messages().size() == static_cast<std::size_t>(kCap));
}

}  // namespace

TEST_CASE("daily cap: a cap of N stops the account after N attempts, and it still holds after a restart") {
  Setup setup({{"gx-1", "getxapi", "daily_cap = " + std::to_string(kCap) + "\n"}}, users_json(kOpen));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  // Every configured account has a row before its first send
  // (README.md#the-schema-stable-interface), with the override as its cap.
  auto fresh = setup.account("gx-1");
  CHECK(str(fresh.at("state")) == "ready");
  CHECK(fresh.at("daily_cap").as_int64() == kCap);
  CHECK(fresh.at("sent_24h").as_int64() == 0);
  CHECK(fresh.at("remaining_24h").as_int64() == kCap);

  std::string recipients;
  for (auto const& n : kOpen) recipients += std::string(recipients.empty() ? "" : ", ") + R"({"username": ")" + n + "\"}";
  setup.ws.drop("capped.json",
                R"({"name": "capped", "accounts": ["gx-1"], "message": "Hi", "recipients": [)" + recipients + "]}");
  REQUIRE_MESSAGE(eventually([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 10s), daemon->log());
  // Longer than the largest pacing gap: had the cap not held, a fourth send would have happened.
  std::this_thread::sleep_for(700ms);
  check_capped(setup);
  CHECK(setup.ws.number("SELECT count(*) FROM attempts WHERE kind = 'send'") == kCap);

  // Across a restart the ledger in the database still holds the three attempts.
  REQUIRE(daemon->stop(SIGTERM).exit_code == 0);
  daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  REQUIRE(eventually([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 5s));
  std::this_thread::sleep_for(1s);
  check_capped(setup);
  CHECK(setup.ws.number("SELECT count(*) FROM attempts WHERE kind = 'send'") == kCap);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
