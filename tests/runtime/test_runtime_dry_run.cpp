// A dry run does everything but the send itself (docs/send-rules.md#dry-run): recipients are
// looked up and checked, recorded skipped/dry_run, paced like real sends, and nothing is delivered.
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

TEST_CASE("a dry-run campaign looks every recipient up, sends nothing and records skipped/dry_run, paced") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol"}, {"dave"}));
  setup.pacing = "min_delay = \"2s\"\nmax_delay = \"2s\"";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("dry.json", R"({"name": "dry", "accounts": ["gx-1"], "message": "Hi", "dry_run": true,
    "recipients": [{"username": "alice"}, {"username": "bob"}, {"username": "carol"}, {"username": "dave"}]})");
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("dry"); }, 1h), setup.log());

  CHECK(setup.messages().empty());
  CHECK(setup.number("SELECT count(*) FROM attempts WHERE kind = 'send'") == 0);
  CHECK(setup.number("SELECT count(*) FROM recipient_status WHERE campaign = 'dry' AND state = 'skipped' AND "
                     "reason = 'dry_run'") == 3);
  // dave does not accept DMs: the lookup found it, as it would before a real send.
  CHECK(str(setup.recipient("dry", "dave").at("reason")) == "cannot_dm");
  CHECK(str(setup.recipient("dry", "alice").at("user_id")) == user_id(0));
  // Paced: 2 s after each dry-run record before the next claim.
  auto rows = setup.sql("SELECT claimed_at FROM recipients WHERE claimed_at IS NOT NULL ORDER BY claimed_at");
  REQUIRE(rows.size() == 4);
  for (std::size_t i = 1; i < rows.size(); ++i)
    CHECK(rows[i].as_object().at("claimed_at").as_int64() - rows[i - 1].as_object().at("claimed_at").as_int64() >= 2000);
  // No send attempt: nothing counts toward the cap.
  CHECK(setup.account("gx-1").at("sent_24h").as_int64() == 0);
}
