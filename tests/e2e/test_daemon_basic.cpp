// The product end to end: a campaign dropped into the watch directory is imported, sent through
// the simulator, and campaign_status / recipient_status tell the truth about it.
#include <doctest/doctest.h>

#include <set>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

const std::string kScenario = R"({
  "seed": 7,
  "users": [
    {"username": "alice", "id": "1000000000000000001"},
    {"username": "bob", "id": "1000000000000000002"},
    {"username": "carol", "id": "1000000000000000003"},
    {"username": "mallory", "id": "1000000000000000006", "can_dm": false},
    {"username": "ghost", "exists": false}
  ],
  "accounts": [
    {"name": "sales-1", "provider": "getxapi", "token": "gx-session-1", "user_id": "1858475867762270001"},
    {"name": "sales-2", "provider": "twitterapi_io", "token": "tio-cookies-2", "user_id": "1858475867762270002"}
  ],
  "providers": {
    "getxapi": {"api_keys": ["gx-key"]},
    "twitterapi_io": {"api_keys": ["tio-key"]}
  }
})";

std::string providers_and_accounts(std::string const& base) {
  return "[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\nbase_url = \"" + base +
         "/getxapi\"\n\n"
         "[providers.twitterapi_io]\napi_key = { env = \"TIO_KEY\" }\nbase_url = \"" +
         base +
         "/twitterapi_io\"\n\n"
         "[[accounts]]\nname = \"sales-1\"\nprovider = \"getxapi\"\ntier = \"new\"\n"
         "auth_token = { env = \"SALES1\" }\n\n"
         "[[accounts]]\nname = \"sales-2\"\nprovider = \"twitterapi_io\"\ntier = \"new\"\n"
         "auth_token = { env = \"SALES2\" }\nproxy = \"http://user:pw@127.0.0.1:9\"\n";
}

ProcessOptions secrets() {
  ProcessOptions o;
  o.env = {{"GX_KEY", "gx-key"}, {"TIO_KEY", "tio-key"}, {"SALES1", "gx-session-1"}, {"SALES2", "tio-cookies-2"}};
  return o;
}

const std::string kCampaign = R"({
  "name": "spring-launch",
  "accounts": ["sales-1", "sales-2"],
  "message": "Hi {{name|there}}, we just shipped.",
  "recipients": [
    {"username": "alice", "vars": {"name": "Alice"}},
    {"username": "bob"},
    {"user_id": "1000000000000000003"},
    {"username": "mallory"},
    {"username": "ghost"},
    {"username": "Alice"}
  ]
})";

}  // namespace

TEST_CASE("a dropped campaign is imported, sent, and reported by the status views") {
  Workspace ws;
  Simulator sim(ws.temp.path(), kScenario);
  ws.write_config(providers_and_accounts(sim.base_url()));
  Daemon daemon(ws, secrets());
  REQUIRE_MESSAGE(daemon.wait_ready(), daemon.log());

  ws.drop("spring.json", kCampaign);
  REQUIRE_MESSAGE(eventually([&] { return ws.number("SELECT count(*) FROM campaign_status WHERE state = 'done'") == 1; }),
                  daemon.log());

  auto campaign = ws.sql("SELECT * FROM campaign_status").at(0).as_object();
  CHECK(campaign.at("campaign").as_string() == "spring-launch");
  CHECK(campaign.at("total").as_int64() == 5);  // "Alice" collapsed into "alice"
  CHECK(campaign.at("sent").as_int64() == 3);
  CHECK(campaign.at("skipped").as_int64() == 2);
  CHECK(campaign.at("failed").as_int64() == 0);
  CHECK(campaign.at("unknown").as_int64() == 0);
  CHECK(fs::exists(ws.watch / "accepted" / "spring.json"));

  CHECK(ws.sql("SELECT state, reason FROM recipient_status WHERE username = 'mallory'").at(0).as_object().at("reason") ==
        "cannot_dm");
  CHECK(ws.sql("SELECT state, reason FROM recipient_status WHERE username = 'ghost'").at(0).as_object().at("reason") ==
        "not_found");
  CHECK(ws.number("SELECT count(*) FROM recipient_status WHERE state = 'sent' AND message_id IS NOT NULL") == 3);

  // What the simulator actually delivered: three DMs, to three different people, none to mallory.
  auto delivered = sim.messages();
  REQUIRE(delivered.size() == 3);
  std::set<std::string> recipients;
  for (auto const& m : delivered) recipients.insert(std::string(m.at("recipient_id").as_string()));
  CHECK(recipients == std::set<std::string>{"1000000000000000001", "1000000000000000002", "1000000000000000003"});
  for (auto const& m : delivered) {
    if (m.at("recipient_id") == "1000000000000000001") CHECK(m.at("text") == "Hi Alice, we just shipped.");
    if (m.at("recipient_id") == "1000000000000000002") CHECK(m.at("text") == "Hi there, we just shipped.");
  }

  // Secrets never reach the log.
  const std::string log = daemon.log();
  for (std::string secret : {"gx-key", "tio-key", "gx-session-1", "tio-cookies-2", "user:pw"})
    CHECK_MESSAGE(log.find(secret) == std::string::npos, secret);

  auto stopped = daemon.stop(SIGTERM);
  CHECK(stopped.exit_code == 0);
}
