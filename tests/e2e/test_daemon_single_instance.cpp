// One daemon per state directory and per watch directory (docs/send-rules.md#single-instance): the
// lock is a flock on the directory itself, so deleting a file cannot let a second daemon in, and a
// record that can never land (the row is no longer ours) ends its retry instead of freezing the
// account.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

std::string one_gx_account(Setup const& setup) {
  return "[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\nbase_url = \"" + setup.sim.base_url() +
         "/getxapi\"\n\n[[accounts]]\nname = \"gx-1\"\nprovider = \"getxapi\"\ntier = \"new\"\n"
         "auth_token = { env = \"SESSION_GX_1\" }\n";
}

}  // namespace

TEST_CASE("deleting the lock file lets no second daemon onto the same state directory") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  auto first = setup.start();
  REQUIRE_MESSAGE(first, setup.last_log);
  fs::remove(setup.ws.state / "outreachd.lock");

  Daemon second(setup.ws, setup.secrets());
  auto const result = second.stop(0, 10s);  // signal 0: just wait for it to exit on its own
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("another outreachd is already running with state directory") != std::string::npos);
  CHECK(result.err.find("(pid " + std::to_string(first->pid()) + ")") != std::string::npos);
  CHECK_FALSE(first->exited());
  CHECK(first->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a second daemon with its own state directory but the same watch directory exits naming the first") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}));
  auto first = setup.start();
  REQUIRE_MESSAGE(first, setup.last_log);

  // Same watch directory, another state directory: before, both imported every file.
  outreach::testing::TempDir other;
  fs::path const other_state = other.path() / "state";
  fs::path const other_config = other.path() / "outreachd.toml";
  write_text(other_config, "state_dir = \"" + other_state.string() + "\"\nwatch_dir = \"" + setup.ws.watch.string() +
                               "\"\n\n" + one_gx_account(setup));
  auto const result =
      run_process({outreachd_bin(), "run", "--config", other_config.string()}, setup.secrets(), 10s);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("another outreachd is already running with watch directory " + setup.ws.watch.string()) !=
        std::string::npos);
  CHECK(result.err.find("(pid " + std::to_string(first->pid()) + ")") != std::string::npos);

  setup.ws.drop("once.json", R"({"name": "once", "accounts": ["gx-1"], "message": "Hi",
                                 "recipients": [{"username": "alice"}, {"username": "bob"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("once"); }, 20s), first->log());
  CHECK(setup.sim.messages().size() == 2);
  CHECK(first->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a record that can never land is logged once and the account goes on") {
  // alice's send takes 2 s to answer: time for another process to take her row away.
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}),
              R"("faults": [{"kind": "slow", "endpoint": "send", "recipient": "alice", "delay": "2s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("taken.json", R"({"name": "taken", "accounts": ["gx-1"], "message": "Hi",
                                  "recipients": [{"username": "alice"}, {"username": "bob"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("taken") == 1; }, 10s), daemon->log());
  // What a second daemon's start-up recovery did before the lock held: the row is no longer `sending`.
  setup.ws.sql("UPDATE recipients SET state = 'unknown', reason = 'in_doubt' WHERE state = 'sending'");

  // bob is still sent: the account did not freeze retrying alice's impossible record.
  REQUIRE_MESSAGE(eventually([&] { return str(setup.recipient("taken", "bob").at("state")) == "sent"; }, 20s),
                  daemon->log());
  CHECK(count_of(daemon->log(), "giving up on this record") == 1);
  CHECK(daemon->log().find("trying again") == std::string::npos);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
