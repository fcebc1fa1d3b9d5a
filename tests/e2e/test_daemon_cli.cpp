// README.md#command-line: the operator commands against a running daemon. pause, resume, cancel,
// retry and suppress change the database and wake the daemon (no polling), taking effect within a
// second; status --json reads the same views as sqlite3 (README.md#the-schema-stable-interface);
// validate answers 0/1.
//
// What the daemon does about pause, resume, cancel, retry and suppress runs in process
// (tests/runtime/test_runtime_operator.cpp: each command is its storage call plus the harness's
// notify()). Here: what the CLI process answers — exit codes, output, validate, status --json — and
// one wake reaching a running daemon through its control socket.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

std::size_t delivered(Setup const& setup) { return setup.sim.messages().size(); }

}  // namespace

TEST_CASE("pause stops sends within a second, resume restarts them, cancel skips the rest (the CLI's answers, and its wake reaching a running daemon)") {
  Setup setup({{"gx-1", "getxapi"}}, users_json(user_names(30)));
  setup.pacing = "min_delay = \"100ms\"\nmax_delay = \"200ms\"";
  setup.write_config();
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("ops.json", campaign_json("ops", {"gx-1"}, user_names(30)));
  REQUIRE_MESSAGE(eventually([&] { return delivered(setup) >= 2; }, 10s), daemon->log());

  auto paused = setup.cli({"pause", "ops"});
  CHECK(paused.exit_code == 0);
  CHECK(contains(paused.out, "the running daemon was notified"));
  REQUIRE(eventually([&] { return setup.campaign("ops").at("sending").as_int64() == 0; }, 5s));
  // Longer than the largest pacing gap: the account has found nothing to claim and sleeps until
  // woken, so only the CLI's wake can make the resume take effect at once (no polling).
  std::this_thread::sleep_for(600ms);
  const std::size_t while_paused = delivered(setup);

  auto resumed = setup.cli({"resume", "ops"});
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.out, "the running daemon was notified"));
  // Within a second (plus at most one pacing gap, which may still be running).
  CHECK(eventually([&] { return delivered(setup) > while_paused; }, 1200ms));

  auto cancelled = setup.cli({"cancel", "ops"});
  CHECK(cancelled.exit_code == 0);
  CHECK(contains(cancelled.out, "cancelled"));
  // A cancelled campaign stays so.
  CHECK(setup.cli({"resume", "ops"}).exit_code == 1);
  CHECK(setup.cli({"pause", "no-such-campaign"}).exit_code == 1);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("retry requeues failed recipients (and unknown ones with --include-unknown), the running daemon sends them (the CLI's answers)") {
  // user1's sends fail three times (max_attempts = 3) and then work; user2's answer is lost once.
  // twitterapi_io reads no inbox, so user2 stays unknown (a getxapi inbox would settle it).
  Setup setup({{"tio-1", "twitterapi_io"}}, users_json(user_names(4)),
              R"("faults": [{"kind": "server_error", "endpoint": "send", "recipient": "user1", "times": 3, "status": 502},
                            {"kind": "drop_after_delivery", "endpoint": "send", "recipient": "user2", "times": 1}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("re.json", campaign_json("re", {"tio-1"}, user_names(4)));
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("re"); }, 15s), daemon->log());
  // The CLI's answers are the subject here, so the daemon is stopped: nothing sends meanwhile.
  CHECK(daemon->stop(SIGTERM).exit_code == 0);

  auto retried = setup.cli({"retry", "re"});
  CHECK(retried.exit_code == 0);
  CHECK(contains(retried.out, "1 recipients requeued"));
  CHECK(contains(retried.out, "no daemon is running"));
  // --include-unknown: user2 (user1 is already back in the queue).
  auto with_unknown = setup.cli({"retry", "--include-unknown", "re"});
  CHECK(with_unknown.exit_code == 0);
  CHECK(contains(with_unknown.out, "1 recipients requeued"));
}

TEST_CASE("suppress skips a recipient, validate answers 0 and 1, status --json matches the status views (the CLI's answers)") {
  Setup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io"}}, users_json({"alice", "bob", "carol", "dave"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);

  CHECK(setup.cli({"suppress", "dave"}).exit_code == 0);
  // suppress before import: alice (any case, with @) is on the list before her campaign arrives.
  auto suppressed = setup.cli({"suppress", "@Alice"});
  CHECK(suppressed.exit_code == 0);
  setup.ws.drop("sup.json", campaign_json("sup", {"gx-1"}, {"alice", "bob", "carol"}));

  // validate: 0 for a good file, 1 listing every problem for a bad one; --config before or after.
  write_text(setup.ws.temp.path() / "ok.json", campaign_json("v-ok", {"gx-1"}, {"alice"}));
  write_text(setup.ws.temp.path() / "bad.json",
             R"({"name": "v bad", "accounts": ["nobody"], "message": "", "recipients": [{"username": "a"}]})");
  auto ok = setup.cli({"validate", (setup.ws.temp.path() / "ok.json").string()});
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.out, "valid"));
  auto ok_first = run_process({outreachd_bin(), "validate", "--config", setup.ws.config.string(),
                               (setup.ws.temp.path() / "ok.json").string()},
                              setup.secrets());
  CHECK(ok_first.exit_code == 0);
  auto bad = setup.cli({"validate", (setup.ws.temp.path() / "bad.json").string()});
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.err, "name"));
  CHECK(contains(bad.err, "accounts[0]"));
  CHECK(contains(bad.err, "message"));
  CHECK(setup.cli({"validate"}).exit_code == 2);
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status WHERE campaign LIKE 'v%'") == 0);  // nothing imported

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("sup"); }), daemon->log());
  CHECK(str(setup.recipient("sup", "alice").at("reason")) == "suppressed");  // the CLI's "@Alice" reached the list

  // status --json parses and says what the views say.
  std::this_thread::sleep_for(400ms);  // past the last pacing gap, so account states are settled
  auto status = setup.cli({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  auto parsed = json::parse(status.out).as_object();
  auto views = setup.ws.sql("SELECT * FROM campaign_status");
  auto const& campaigns = parsed.at("campaigns").as_array();
  REQUIRE(campaigns.size() == views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    for (auto const& [key, value] : views[i].as_object()) {
      CAPTURE(key);
      CHECK(str(campaigns[i].as_object().at(key)) == str(value));
    }
  }
  auto account_views = setup.ws.sql("SELECT account, provider, state, daily_cap, sent_24h, remaining_24h, last_error FROM account_status");
  auto const& accounts = parsed.at("accounts").as_array();
  REQUIRE(accounts.size() == account_views.size());
  for (std::size_t i = 0; i < account_views.size(); ++i) {
    for (auto const& [key, value] : account_views[i].as_object()) {
      CAPTURE(key);
      CHECK(str(accounts[i].as_object().at(key)) == str(value));
    }
  }
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
