// One person, one DM (docs/send-rules.md#one-person-one-dm): rows that turn out to be the same
// person once their usernames are resolved are sent once per campaign (the rest
// `skipped`/`duplicate`), and with [safety] contact_cooldown a person another campaign reached
// lately is `skipped`/`recently_contacted`.
//
// In process, on the test's clock.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

std::string read_text(fs::path const& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the same person by username and by id gets one DM, the other row is skipped/duplicate") {
  // Two accounts so the two rows are in flight at the same time.
  InProcessSetup setup({{"gx-1", "getxapi"}, {"gx-2", "getxapi"}}, users_json({"alice", "bob"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("twice.json", R"({"name": "twice", "accounts": ["gx-1", "gx-2"], "message": "Hi there",
    "recipients": [{"username": "alice"}, {"user_id": ")" + user_id(0) + R"("}, {"username": "bob"}]})");
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("twice"); }, 20s), setup.log());

  int to_alice = 0;
  for (auto const& m : setup.messages())
    if (str(m.at("recipient_id")) == user_id(0)) ++to_alice;
  CHECK(to_alice == 1);
  CHECK(setup.messages().size() == 2);  // alice once, bob once
  auto c = setup.campaign("twice");
  CHECK(c.at("sent").as_int64() == 2);
  CHECK(c.at("skipped").as_int64() == 1);
  CHECK(setup.number("SELECT count(*) FROM recipient_status WHERE state = 'skipped' AND reason = 'duplicate' "
                     "AND user_id = '" + user_id(0) + "'") == 1);
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}

TEST_CASE("contact_cooldown skips a person another campaign messaged within it, and only then") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("first.json", R"({"name": "first", "accounts": ["gx-1"], "message": "Hi",
                               "recipients": [{"username": "alice"}]})");
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("first"); }, 20s), setup.log());
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly

  // Same config plus a cooldown: alice (by id this time) was messaged seconds ago.
  std::string const config = read_text(setup.config_path);
  std::ofstream(setup.config_path) << config.substr(0, config.find("[providers.")) + "[safety]\ncontact_cooldown = \"7d\"\n\n" +
                                          config.substr(config.find("[providers."));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("second.json", R"({"name": "second", "accounts": ["gx-1"], "message": "Hello again",
    "recipients": [{"user_id": ")" + user_id(0) + R"("}, {"username": "bob"}]})");
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("second"); }, 20s), setup.log());
  CHECK(setup.messages().size() == 2);  // alice's first DM and bob's
  CHECK(str(setup.recipient("second", "bob").at("state")) == "sent");
  CHECK(setup.number("SELECT count(*) FROM recipient_status WHERE campaign = 'second' AND state = 'skipped' "
                     "AND reason = 'recently_contacted'") == 1);
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}
