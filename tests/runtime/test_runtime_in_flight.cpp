// What changes while a recipient is in flight (claimed, its lookup still out): a pause holds it
// back before the send, and a suppression of the id the lookup resolved skips it
// (docs/send-rules.md#pause-resume-cancel, #suppression). step_until() stops the loop while the
// lookup is out, so the change lands exactly there (e2e made the simulator answer slowly instead).
#include <doctest/doctest.h>

#include "runtime/runtime_harness.hpp"
#include "storage/operator.hpp"

using namespace outreach::test;

namespace {

/// Runs until the campaign's one recipient is claimed and its lookup is out.
bool lookup_out(InProcessSetup& setup, std::string const& name) {
  return setup.step_until([&] { return setup.sending(name) == 1 && setup.runtime().requests_in_flight() == 1; }, 10s);
}

}  // namespace

TEST_CASE("a pause that comes while the lookup is out holds the recipient back, resume sends it") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("hold.json", campaign_json("hold", {"gx-1"}, {"alice"}));
  REQUIRE_MESSAGE(lookup_out(setup, "hold"), setup.log());
  REQUIRE(outreach::pause_campaign(setup.db(), "hold").has_value());  // `outreachd pause hold`
  setup.runtime().wake_all();

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign("hold").at("pending").as_int64() == 1; }, 10s),
                  setup.log());
  CHECK(setup.messages().empty());
  CHECK(setup.recipient("hold", "alice").at("attempts").as_int64() == 0);

  REQUIRE(outreach::resume_campaign(setup.db(), "hold").has_value());  // `outreachd resume hold`
  setup.notify();
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("hold"); }, 10s), setup.log());
  CHECK(setup.campaign("hold").at("sent").as_int64() == 1);
  CHECK(setup.messages().size() == 1);
  CHECK_NOTHROW(setup.stop());
}

TEST_CASE("suppressing the id a username resolves to stops the DM, even when the lookup resolved it after the claim") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.place("sup.json", campaign_json("sup", {"gx-1"}, {"alice"}));
  REQUIRE_MESSAGE(lookup_out(setup, "sup"), setup.log());
  std::vector<std::string> const ids{user_id(0)};  // alice's id, not her name
  REQUIRE(outreach::suppress(setup.db(), ids, setup.clock.now()).has_value());  // `outreachd suppress ID`
  setup.runtime().wake_all();

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("sup"); }, 10s), setup.log());
  auto alice = setup.recipient("sup", "alice");
  CHECK(str(alice.at("state")) == "skipped");
  CHECK(str(alice.at("reason")) == "suppressed");
  CHECK(setup.messages().empty());
  CHECK_NOTHROW(setup.stop());
}
