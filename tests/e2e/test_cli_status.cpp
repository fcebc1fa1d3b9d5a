// `outreachd status`: the tables and --json while the daemon runs and after it stopped, the ETA
// from the config's pacing, --watch, and the figures matching the status views exactly.
#include <doctest/doctest.h>

#include <set>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

const std::string kScenario = R"({
  "seed": 11,
  "users": [
    {"username": "alice", "id": "1000000000000000001"},
    {"username": "bob", "id": "1000000000000000002"},
    {"username": "carol", "id": "1000000000000000003"},
    {"username": "dave", "id": "1000000000000000004"},
    {"username": "mallory", "id": "1000000000000000006", "can_dm": false}
  ],
  "accounts": [{"name": "sales-1", "provider": "getxapi", "token": "gx-session-1"}],
  "providers": {"getxapi": {"api_keys": ["gx-key"]}}
})";

std::string accounts_config(std::string const& base) {
  return "[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\nbase_url = \"" + base +
         "/getxapi\"\n\n[[accounts]]\nname = \"sales-1\"\nprovider = \"getxapi\"\ntier = \"new\"\n"
         "auth_token = { env = \"SALES1\" }\n";
}

ProcessOptions secrets() {
  ProcessOptions o;
  o.env = {{"GX_KEY", "gx-key"}, {"SALES1", "gx-session-1"}};
  o.unset_env = {"OUTREACHD_CONFIG"};
  return o;
}

ProcessResult status(std::vector<std::string> const& extra) {
  std::vector<std::string> argv{outreachd_bin(), "status"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv, secrets(), 20s);
}

std::set<std::string> keys(json::object const& o) {
  std::set<std::string> out;
  for (auto const& kv : o) out.insert(std::string(kv.key()));
  return out;
}

/// The --json objects carry exactly the view's columns, with the view's values.
void check_matches_view(json::array const& from_status, json::array const& from_view) {
  REQUIRE(from_status.size() == from_view.size());
  for (std::size_t i = 0; i < from_view.size(); ++i) {
    auto const& s = from_status[i].as_object();
    auto const& v = from_view[i].as_object();
    CHECK(keys(s) == keys(v));
    for (auto const& kv : v) CHECK_MESSAGE(s.at(kv.key()) == kv.value(), kv.key());
  }
}

const std::string kCampaign = R"({"name": "spring", "accounts": ["sales-1"], "message": "Hi {{username}}",
  "recipients": [{"username": "alice"}, {"username": "bob"}, {"username": "mallory"}]})";

}  // namespace

TEST_CASE("status shows the same figures as the views while the daemon runs and after it stopped") {
  Workspace ws;
  Simulator sim(ws.temp.path(), kScenario);
  ws.write_config(accounts_config(sim.base_url()));
  Daemon daemon(ws, secrets());
  REQUIRE_MESSAGE(daemon.wait_ready(), daemon.log());
  ws.drop("spring.json", kCampaign);
  REQUIRE_MESSAGE(eventually([&] { return ws.number("SELECT count(*) FROM campaign_status WHERE state = 'done'") == 1; }),
                  daemon.log());

  SUBCASE("running") {
    auto text = status({"--config", ws.config.string()});
    INFO(text.err);
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find("daemon running (pid " + std::to_string(daemon.pid()) + ")") != std::string::npos);
    CHECK(text.out.find("CAMPAIGN") != std::string::npos);
    CHECK(text.out.find("spring") != std::string::npos);
    CHECK(text.out.find("100%") != std::string::npos);
    CHECK(text.out.find("sales-1") != std::string::npos);
    CHECK(text.out.find("getxapi") != std::string::npos);

    auto out = status({"--json", "--config", ws.config.string()});
    REQUIRE(out.exit_code == 0);
    auto root = json::parse(out.out).as_object();
    CHECK(keys(root) == std::set<std::string>{"generated_at", "daemon", "campaigns", "accounts", "estimates"});
    CHECK(root.at("daemon").at("running") == true);
    CHECK(root.at("daemon").at("pid").as_int64() == daemon.pid());
    check_matches_view(root.at("campaigns").as_array(), ws.sql("SELECT * FROM campaign_status"));
    auto const& campaign = root.at("campaigns").at(0);
    CHECK(campaign.at("sent") == 2);
    CHECK(campaign.at("skipped") == 1);
    // next_send_at moves with time, so compare the stable columns of account_status.
    auto accounts = root.at("accounts").as_array();
    REQUIRE(accounts.size() == 1);
    CHECK(keys(accounts[0].as_object()) == keys(ws.sql("SELECT * FROM account_status").at(0).as_object()));
    CHECK(accounts[0].at("sent_24h") == 2);
    CHECK(accounts[0].at("daily_cap") == 500);
    CHECK(accounts[0].at("remaining_24h") == 498);
    CHECK(root.at("estimates").at(0).at("eta") == "finished");
  }

  SUBCASE("stopped") {
    REQUIRE(daemon.stop(SIGTERM).exit_code == 0);
    auto text = status({"--config", ws.config.string()});
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find("daemon not running") != std::string::npos);
    CHECK(text.out.find("100%") != std::string::npos);

    // --db alone needs no config (and so shows no ETA).
    auto out = status({"--db", ws.db.string(), "--json"});
    INFO(out.err);
    REQUIRE(out.exit_code == 0);
    auto root = json::parse(out.out).as_object();
    CHECK(root.at("daemon").at("running") == false);
    CHECK(root.at("daemon").at("pid").is_null());
    check_matches_view(root.at("campaigns").as_array(), ws.sql("SELECT * FROM campaign_status"));
    check_matches_view(root.at("accounts").as_array(), ws.sql("SELECT * FROM account_status"));
    CHECK(root.at("estimates").at(0).at("eta") == "unknown");
  }
}

TEST_CASE("status estimates when an active campaign will finish from the account's pacing") {
  Workspace ws;
  Simulator sim(ws.temp.path(), kScenario);
  // One send every 20 s: the campaign stays active long enough to be looked at.
  ws.write_config(accounts_config(sim.base_url()), "min_delay = \"20s\"\nmax_delay = \"20s\"");
  Daemon daemon(ws, secrets());
  REQUIRE_MESSAGE(daemon.wait_ready(), daemon.log());
  ws.drop("slow.json", R"({"name": "slow", "accounts": ["sales-1"], "message": "Hi {{username}}",
    "recipients": [{"username": "alice"}, {"username": "bob"}, {"username": "carol"}, {"username": "dave"}]})");
  REQUIRE_MESSAGE(eventually([&] { return ws.number("SELECT sent FROM campaign_status") == 1; }), daemon.log());

  auto out = status({"--json", "--config", ws.config.string()});
  REQUIRE(out.exit_code == 0);
  auto estimate = json::parse(out.out).at("estimates").at(0).as_object();
  CHECK(estimate.at("campaign") == "slow");
  REQUIRE(estimate.at("eta") == "at");
  // Three left, one per 20 s, the next one at most 20 s away: finished within a minute, not now.
  const auto seconds = estimate.at("seconds").as_int64();
  CHECK(seconds > 0);
  CHECK(seconds <= 60);
  CHECK(estimate.at("finish_at").is_string());

  auto text = status({"--config", ws.config.string()});
  CHECK(text.out.find("active") != std::string::npos);
  CHECK(text.out.find("~") != std::string::npos);  // the ETA column
  CHECK(text.out.find("pacing") != std::string::npos);  // the account waits its gap

  // Paused: no ETA, just "paused".
  REQUIRE(run_process({outreachd_bin(), "pause", "slow", "--config", ws.config.string()}, secrets()).exit_code == 0);
  auto paused = json::parse(status({"--json", "--config", ws.config.string()}).out);
  CHECK(paused.at("estimates").at(0).at("eta") == "paused");
}

TEST_CASE("status --watch redraws until interrupted, then exits 0") {
  Workspace ws;
  ws.write_config("");
  {
    Daemon daemon(ws);
    REQUIRE_MESSAGE(daemon.wait_ready(), daemon.log());
    REQUIRE(daemon.stop(SIGTERM).exit_code == 0);
  }
  Process watch({outreachd_bin(), "status", "--watch", "--db", ws.db.string()}, secrets());
  // Two frames prove it refreshes (one every 2 s).
  auto frames = [&] {
    const std::string out = watch.out();
    std::size_t n = 0;
    for (auto at = out.find("outreachd status"); at != std::string::npos; at = out.find("outreachd status", at + 1)) ++n;
    return n;
  };
  REQUIRE_MESSAGE(eventually([&] { return frames() >= 2; }, 10s), watch.err());
  watch.send_signal(SIGINT);
  auto result = watch.wait(5s);
  CHECK(!result.timed_out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("no campaigns yet") != std::string::npos);
}

TEST_CASE("status on a database that does not exist is one clear error") {
  outreach::testing::TempDir temp;
  auto r = run_process({outreachd_bin(), "status", "--db", (temp.path() / "missing.db").string()}, secrets());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.db") != std::string::npos);
  CHECK(r.out.empty());
}
