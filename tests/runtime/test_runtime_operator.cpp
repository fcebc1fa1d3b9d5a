// README.md#command-line: the operator commands against a running daemon. pause, resume, cancel,
// retry and suppress change the database and wake the daemon (no polling), taking effect within a
// second; status --json reads the same views as sqlite3 (README.md#the-schema-stable-interface);
// validate answers 0/1.
//
// In process, on the test's clock: each command is its storage call (storage/operator.hpp, what
// the CLI runs) followed by notify() (the CLI's wake of the running daemon). What the CLI process
// itself answers — exit codes, output, validate, status --json — and one wake reaching a real
// daemon stay in tests/e2e/test_daemon_cli.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "runtime/runtime_harness.hpp"
#include "storage/operator.hpp"

using namespace outreach::test;
using outreach::cancel_campaign;
using outreach::pause_campaign;
using outreach::resume_campaign;
using outreach::retry_campaign;
using outreach::suppress;

namespace {

std::size_t delivered(InProcessSetup const& setup) { return setup.messages().size(); }

/// `outreachd suppress USERS...` on the daemon's database, then its wake.
bool suppress_users(InProcessSetup& setup, std::vector<std::string> const& users) {
  auto added = suppress(setup.db(), users, setup.clock.now());
  setup.notify();
  return added.has_value();
}

}  // namespace

TEST_CASE("pause stops sends within a second, resume restarts them, cancel skips the rest") {
  InProcessSetup setup({{"gx-1", "getxapi"}}, users_json(user_names(30)));
  setup.pacing = "min_delay = \"100ms\"\nmax_delay = \"200ms\"";
  setup.write_config();
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("ops.json", campaign_json("ops", {"gx-1"}, user_names(30)));
  REQUIRE_MESSAGE(setup.run_until([&] { return delivered(setup) >= 2; }, 10s), setup.log());

  // `outreachd pause ops` (its exit code and output: tests/e2e/test_daemon_cli.cpp).
  CHECK(pause_campaign(setup.db(), "ops").has_value());
  setup.notify();
  const std::size_t at_pause = delivered(setup);
  setup.advance(1s);
  const std::size_t after_a_second = delivered(setup);
  CHECK(after_a_second <= at_pause + 1);  // at most the send already in flight
  setup.advance(600ms);
  CHECK(delivered(setup) == after_a_second);  // nothing more while paused
  CHECK(str(setup.campaign("ops").at("state")) == "paused");
  CHECK(setup.campaign("ops").at("sending").as_int64() == 0);

  CHECK(resume_campaign(setup.db(), "ops").has_value());
  setup.notify();
  // Within a second (plus at most one pacing gap, which may still be running).
  CHECK(setup.run_until([&] { return delivered(setup) > after_a_second; }, 1200ms));
  CHECK(str(setup.campaign("ops").at("state")) == "active");

  REQUIRE(setup.run_until([&] { return delivered(setup) >= after_a_second + 2; }, 5s));
  auto cancelled = cancel_campaign(setup.db(), "ops", setup.clock.now());
  CHECK(cancelled.has_value());
  setup.notify();
  REQUIRE(setup.run_until([&] { return setup.campaign("ops").at("sending").as_int64() == 0; }, 5s));
  const std::size_t at_cancel = delivered(setup);
  setup.advance(700ms);
  CHECK(delivered(setup) == at_cancel);

  auto c = setup.campaign("ops");
  CHECK(str(c.at("state")) == "cancelled");
  CHECK(c.at("pending").as_int64() == 0);
  CHECK(c.at("retrying").as_int64() == 0);
  CHECK(c.at("sent").as_int64() == static_cast<std::int64_t>(at_cancel));
  CHECK(c.at("sent").as_int64() + c.at("skipped").as_int64() == 30);
  CHECK(setup.number("SELECT count(*) FROM recipient_status WHERE campaign = 'ops' AND state = 'skipped' "
                     "AND reason = 'cancelled'") == c.at("skipped").as_int64());
  CHECK(c.at("skipped").as_int64() > 0);
  // A cancelled campaign stays so (the CLI answers 1: tests/e2e/test_daemon_cli.cpp).
  CHECK(!resume_campaign(setup.db(), "ops").has_value());
  CHECK(str(setup.campaign("ops").at("state")) == "cancelled");
  CHECK(!pause_campaign(setup.db(), "no-such-campaign").has_value());
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}

TEST_CASE("retry requeues failed recipients (and unknown ones with --include-unknown), the running daemon sends them") {
  // user1's sends fail three times (max_attempts = 3) and then work; user2's answer is lost once.
  // twitterapi_io reads no inbox, so user2 stays unknown until the operator says otherwise (on a
  // getxapi or x_api account the inbox would settle it: tests/runtime/test_runtime_inbox.cpp).
  InProcessSetup setup(
      {{"tio-1", "twitterapi_io"}}, users_json(user_names(4)),
      R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "user1", "times": 3, "status": 502},
                    {"kind": "drop_after_delivery", "endpoint": "send", "recipient": "user2", "times": 1}])");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);
  setup.drop("re.json", campaign_json("re", {"tio-1"}, user_names(4)));
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("re"); }, 15s), setup.log());
  CHECK(str(setup.recipient("re", "user1").at("state")) == "failed");
  CHECK(setup.recipient("re", "user1").at("attempts").as_int64() == 3);
  CHECK(str(setup.recipient("re", "user2").at("state")) == "unknown");
  // Asleep with nothing due: only the daemon's wake (what the CLI's notify does) makes it look again.
  setup.advance(1min);
  REQUIRE(setup.worker("tio-1").idle());

  // `outreachd retry re` (its output, "1 recipients requeued": tests/e2e/test_daemon_cli.cpp).
  auto retried = retry_campaign(setup.db(), "re", false, setup.clock.now());
  REQUIRE(retried.has_value());
  CHECK(*retried == 1);
  setup.notify();
  REQUIRE_MESSAGE(setup.run_until([&] { return str(setup.recipient("re", "user1").at("state")) == "sent"; }, 5s),
                  setup.log());
  CHECK(setup.recipient("re", "user1").at("attempts").as_int64() == 1);  // attempts restarted at 0
  CHECK(str(setup.recipient("re", "user2").at("state")) == "unknown");    // not without the flag

  setup.advance(1min);
  REQUIRE(setup.worker("tio-1").idle());
  // --include-unknown: the operator accepts a possible duplicate; user2 is sent again.
  auto with_unknown = retry_campaign(setup.db(), "re", true, setup.clock.now());
  REQUIRE(with_unknown.has_value());
  CHECK(*with_unknown == 1);
  setup.notify();
  REQUIRE(setup.run_until([&] { return str(setup.recipient("re", "user2").at("state")) == "sent"; }, 5s));
  REQUIRE(setup.run_until([&] { return setup.campaign_done("re"); }, 5s));
  CHECK(setup.campaign("re").at("sent").as_int64() == 4);
  int to_user2 = 0;
  for (auto const& m : setup.messages()) to_user2 += str(m.at("recipient_id")) == user_id(2) ? 1 : 0;
  CHECK(to_user2 == 2);
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}

TEST_CASE("suppress skips a recipient, validate answers 0 and 1, status --json matches the status views") {
  // The suppress part; validate and status --json are the CLI's own (tests/e2e/test_daemon_cli.cpp).
  InProcessSetup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io"}}, users_json({"alice", "bob", "carol", "dave"}));
  REQUIRE_MESSAGE(setup.start(), setup.last_error);

  // suppress while queued: dave's campaign is scheduled a few seconds ahead; he is suppressed
  // meanwhile, and skipped when his turn comes. (The rest of the test runs while it waits.)
  const auto start = setup.clock.now() + 4s;
  const std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(start));
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  setup.drop("later.json", campaign_json("later", {"gx-1"}, {"dave", "carol"}, "Hi {{username}}",
                                             std::string(R"(, "start_at": ")") + iso + "\""));
  REQUIRE(setup.run_until([&] { return str(setup.campaign("later")["state"]) == "scheduled"; }, 5s));
  CHECK(suppress_users(setup, {"dave"}));
  CHECK(str(setup.campaign("later")["state"]) == "scheduled");  // still: dave was queued when suppressed

  // suppress before import: alice (any case, with @) is on the list before her campaign arrives.
  CHECK(suppress_users(setup, {"@Alice"}));
  setup.drop("sup.json", campaign_json("sup", {"gx-1"}, {"alice", "bob", "carol"}));

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("sup"); }, 20s), setup.log());
  CHECK(str(setup.recipient("sup", "alice").at("state")) == "skipped");
  CHECK(str(setup.recipient("sup", "alice").at("reason")) == "suppressed");
  CHECK(setup.campaign("sup").at("sent").as_int64() == 2);

  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("later"); }, 10s), setup.log());
  CHECK(str(setup.recipient("later", "dave").at("state")) == "skipped");
  CHECK(str(setup.recipient("later", "dave").at("reason")) == "suppressed");
  CHECK(str(setup.recipient("later", "carol").at("state")) == "sent");
  for (auto const& m : setup.messages()) {
    CHECK(str(m.at("recipient_id")) != user_id(0));  // alice
    CHECK(str(m.at("recipient_id")) != user_id(3));  // dave
  }
  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}
