// docs/send-rules.md#account-level-stop: an expired session stops that account (account_status
// `stopped` with a last_error), its recipient goes back to `pending` without using an attempt, and
// the campaign's other accounts go on and finish the campaign.
//
// In process (tests/runtime/test_runtime_account_stop.cpp): the account-level stop, and what a
// reload or a restart does to a stopped account. Here stays what the CLI itself prints and exits
// with around a stopped account that was fixed.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

// Issue 16: once the operator fixed the credentials of a stopped account, `outreachd status` kept
// showing the old 401 under LAST ERROR. gx-1's session comes from a file holding a wrong session
// until `fix()` writes the right one; the campaign is paused before the fix so that no send can
// clear the error: only starting the account again (reload or restart) may.
struct StoppedAccount {
  Setup setup{{{"gx-1", "getxapi"}}, users_json({"ann", "ben", "cat"})};
  fs::path session_file = setup.ws.temp.path() / "gx-1.session";

  StoppedAccount() {
    write_text(session_file, "not-the-session\n");
    std::string config = read_text(setup.ws.config);
    const std::string from_env = "auth_token = { env = \"SESSION_GX_1\" }";
    REQUIRE(config.find(from_env) != std::string::npos);
    config.replace(config.find(from_env), from_env.size(), "auth_token = { file = \"" + session_file.string() + "\" }");
    write_text(setup.ws.config, config);
  }

  // Starts the daemon, drops the campaign and waits until gx-1 is stopped by the 401.
  std::unique_ptr<Daemon> start_and_stop() {
    auto daemon = setup.start();
    REQUIRE_MESSAGE(daemon, setup.last_log);
    setup.ws.drop("fix.json", R"({"name": "fix", "accounts": ["gx-1"], "message": "Hi {{username}}",
      "recipients": [{"username": "ann"}, {"username": "ben"}, {"username": "cat"}]})");
    REQUIRE_MESSAGE(eventually([&] { return str(setup.account("gx-1").at("state")) == "stopped"; }, 10s), daemon->log());
    CHECK(str(setup.account("gx-1").at("last_error")).find("401") != std::string::npos);
    REQUIRE(setup.cli({"pause", "fix"}).exit_code == 0);
    return daemon;
  }

  void fix() const { write_text(session_file, "session-gx-1\n"); }

  // Once gx-1 is no longer stopped, `outreachd status` shows no old error either (the view, and the
  // campaign sent after a resume, are checked in process).
  void check_error_gone(Daemon const& daemon) const {
    REQUIRE_MESSAGE(eventually([&] { return str(setup.account("gx-1").at("state")) != "stopped"; }, 10s), daemon.log());
    CHECK(setup.ws.number("SELECT sent FROM campaign_status WHERE campaign = 'fix'") == 0);  // no send cleared it
    ProcessResult status = setup.cli({"status"});
    CHECK(status.exit_code == 0);
    CHECK_MESSAGE(status.out.find("401") == std::string::npos, status.out);
    CHECK_MESSAGE(status.out.find("auth_token") == std::string::npos, status.out);
    REQUIRE(setup.cli({"resume", "fix"}).exit_code == 0);
  }
};

}  // namespace

TEST_CASE("a stopped account whose credentials a reload fixed no longer shows its last error") {
  StoppedAccount s;
  auto daemon = s.start_and_stop();
  s.fix();
  daemon->signal(SIGHUP);
  s.check_error_gone(*daemon);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a stopped account whose credentials were fixed before a restart no longer shows its last error") {
  StoppedAccount s;
  auto daemon = s.start_and_stop();
  REQUIRE(daemon->stop(SIGTERM).exit_code == 0);
  CHECK(str(s.setup.account("gx-1").at("state")) == "stopped");
  s.fix();
  auto restarted = s.setup.start();
  REQUIRE_MESSAGE(restarted, s.setup.last_log);
  s.check_error_gone(*restarted);
  CHECK(restarted->stop(SIGTERM).exit_code == 0);
}
