// docs/send-rules.md#shutdown-and-reload: SIGTERM stops claiming, lets the in-flight request finish
// (bounded by the HTTP connect and request timeouts plus 2 s), records it and exits 0; SIGHUP
// reloads the config (here: a lower daily_cap) without losing state.
//
// SIGHUP while sends are in flight runs in process (tests/runtime/test_runtime_sighup.cpp).
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

// connect_timeout 1 s and request_timeout 2 s in every e2e config (Workspace::write_config): the
// daemon's grace is 1 s + 2 s + 2 s; 2 s more for the process to record, exit and be reaped.
constexpr auto kStopBound = 1s + 2s + 2s + 2s;

}  // namespace

TEST_CASE("SIGTERM mid-campaign: the in-flight sends finish and are recorded, exit 0, no row left sending") {
  // Every send takes 1 s to answer (within the 2 s request timeout), so a SIGTERM finds sends in flight.
  Setup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io"}}, users_json(user_names(8)),
              R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("term.json", campaign_json("term", {"gx-1", "tio-1"}, user_names(8)));

  REQUIRE_MESSAGE(eventually([&] { return setup.sending("term") >= 1; }, 10s),
                  daemon->log());
  std::this_thread::sleep_for(200ms);  // the claimed sends are now waiting for their slow answers
  const auto before = std::chrono::steady_clock::now();
  auto stopped = daemon->stop(SIGTERM, kStopBound);
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK_FALSE(stopped.timed_out);
  CHECK(stopped.exit_code == 0);
  CHECK(took < kStopBound);
  CHECK(stopped.err.find("stopped cleanly") != std::string::npos);

  // Consistent afterwards: nothing left `sending`, every delivered DM recorded as sent, nothing
  // in doubt, and the rest still queued.
  auto c = setup.campaign("term");
  CHECK(c.at("sending").as_int64() == 0);
  CHECK(c.at("unknown").as_int64() == 0);
  CHECK(c.at("sent").as_int64() >= 1);
  CHECK(c.at("sent").as_int64() == static_cast<std::int64_t>(setup.sim.messages().size()));
  CHECK(c.at("sent").as_int64() + c.at("pending").as_int64() == 8);
  CHECK(str(c.at("state")) == "active");

  // The next start finds nothing to recover.
  auto again = setup.start();
  REQUIRE_MESSAGE(again, setup.last_log);
  CHECK(again->log().find("were being sent") == std::string::npos);
  CHECK(again->stop(SIGTERM, kStopBound).exit_code == 0);
}

TEST_CASE("SIGTERM while a send hangs: the stop is bounded and the send is recorded in doubt") {
  // The provider never answers within the request timeout.
  Setup setup({{"gx-1", "getxapi"}}, users_json(user_names(2)),
              R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "20s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("hang.json", campaign_json("hang", {"gx-1"}, user_names(2)));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("hang") == 1; }, 10s),
                  daemon->log());
  std::this_thread::sleep_for(200ms);
  auto stopped = daemon->stop(SIGTERM, kStopBound);
  CHECK_FALSE(stopped.timed_out);
  CHECK(stopped.exit_code == 0);
  auto c = setup.campaign("hang");
  CHECK(c.at("sending").as_int64() == 0);
  CHECK(c.at("unknown").as_int64() == 1);  // no answer after the write: in doubt, never resent
  CHECK(c.at("pending").as_int64() == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM recipient_status WHERE state = 'unknown' AND reason = 'in_doubt'") == 1);
}

TEST_CASE("SIGTERM while a lookup is in flight: it finishes, but no send begins, and the recipient is queued again") {
  // The lookup (canDm) takes 1 s to answer; the SIGTERM comes while it is out.
  Setup setup({{"gx-1", "getxapi"}}, users_json(user_names(1)),
              R"("faults": [{"kind": "slow", "endpoint": "lookup", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("look.json", campaign_json("look", {"gx-1"}, user_names(1)));
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("look") == 1; }, 10s),
                  daemon->log());
  std::this_thread::sleep_for(200ms);
  auto stopped = daemon->stop(SIGTERM, kStopBound);
  CHECK_FALSE(stopped.timed_out);
  CHECK(stopped.exit_code == 0);
  CHECK(setup.sim.messages().empty());
  auto c = setup.campaign("look");
  CHECK(c.at("sending").as_int64() == 0);
  CHECK(c.at("unknown").as_int64() == 0);
  CHECK(c.at("pending").as_int64() == 1);
  auto r = setup.recipient("look", "user0");
  CHECK(r.at("attempts").as_int64() == 0);
  CHECK(str(r.at("user_id")) == user_id(0));  // the lookup's answer is kept: no second lookup needed
}

// The real SIGHUP: proves the signal reaches the reload. What a reload does (this case too, and sends
// in flight during one) is tested in process in tests/runtime/test_runtime_sighup.cpp.
TEST_CASE("SIGHUP applies a lower daily_cap from the rewritten config") {
  Setup setup({{"gx-1", "getxapi", "daily_cap = 20\n"}}, users_json(user_names(10)));
  setup.pacing = "min_delay = \"300ms\"\nmax_delay = \"500ms\"";
  setup.write_config();
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  CHECK(setup.account("gx-1").at("daily_cap").as_int64() == 20);
  setup.ws.drop("hup.json", campaign_json("hup", {"gx-1"}, user_names(10)));

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign("hup").count("sent") &&
                                          setup.campaign("hup").at("sent").as_int64() >= 1; }, 10s),
                  daemon->log());
  // With at least 300 ms between sends, the reload lands before the third send.
  setup.accounts[0].toml = "daily_cap = 3\n";
  setup.write_config();
  daemon->signal(SIGHUP);

  REQUIRE_MESSAGE(eventually([&] { return str(setup.account("gx-1").at("state")) == "capped"; }, 10s), daemon->log());
  std::this_thread::sleep_for(800ms);  // longer than the largest pacing gap
  auto account = setup.account("gx-1");
  CHECK(account.at("daily_cap").as_int64() == 3);
  CHECK(account.at("sent_24h").as_int64() == 3);
  CHECK(account.at("remaining_24h").as_int64() == 0);
  CHECK(str(account.at("state")) == "capped");
  CHECK(setup.campaign("hup").at("sent").as_int64() == 3);
  CHECK(setup.campaign("hup").at("pending").as_int64() == 7);
  CHECK(setup.sim.messages().size() == 3);
  CHECK(daemon->log().find("configuration reloaded") != std::string::npos);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
