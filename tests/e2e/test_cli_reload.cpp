// `outreachd reload` (README.md#command-line): asks the running daemon over its control socket and
// reports the outcome — exit 0 when the new config is in force, 1 with the problems when it was
// refused (the daemon keeps the previous one), 2 when no daemon runs. The unit's ExecReload= uses
// it, so a broken config makes `systemctl reload` fail instead of only logging.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

TEST_CASE("outreachd reload: 0 with the new config in force, 1 with the problems of a refused one, 2 without a daemon") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob"}));
  {
    auto none = setup.cli({"reload"});
    CHECK(none.exit_code == 2);
    CHECK(none.err.find("no outreachd is running with state directory " + setup.ws.state.string()) !=
          std::string::npos);
  }
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);

  // A good config: another daily cap.
  setup.accounts[0].toml = "daily_cap = 7\n";
  setup.write_config();
  auto good = setup.cli({"reload"});
  CHECK_MESSAGE(good.exit_code == 0, good.err);
  CHECK(good.out.find("configuration reloaded: 1 accounts") != std::string::npos);
  CHECK(eventually([&] { return setup.account("gx-1").at("daily_cap").as_int64() == 7; }, 5s));

  // A broken config: refused, named, and the daemon runs on with the previous one.
  std::string const working = read_text(setup.ws.config);
  write_text(setup.ws.config, working + "\nbogus_key = 1\n");
  auto bad = setup.cli({"reload"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("bogus_key") != std::string::npos);
  CHECK(bad.err.find("keeps running with its previous configuration") != std::string::npos);
  CHECK_FALSE(daemon->exited());
  write_text(setup.ws.config, working);
  setup.ws.drop("after.json", R"({"name": "after", "accounts": ["gx-1"], "message": "Hi",
                                  "recipients": [{"username": "alice"}, {"username": "bob"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("after"); }, 20s), daemon->log());
  CHECK(setup.sim.messages().size() == 2);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a watch directory the daemon cannot write refuses the start, naming the ReadWritePaths= drop-in") {
  // What ProtectSystem=strict does to a watch_dir outside /var/lib/outreachd: a read-only mount.
  // Before, the daemon started, imported and sent, and could never move the file away.
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  std::string const watch = setup.ws.watch.string();
  std::string const command = "mount --bind '" + watch + "' '" + watch + "' && mount -o remount,ro,bind '" + watch +
                              "' && exec '" + outreachd_bin() + "' run --config '" + setup.ws.config.string() + "'";
  auto r = run_process({"unshare", "-m", "sh", "-c", command}, setup.secrets(), 20s);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("watch_dir " + watch + ": " + watch + " is not writable by the daemon (Read-only file system)") !=
        std::string::npos);
  CHECK(r.err.find("ReadWritePaths=" + watch) != std::string::npos);
  CHECK_FALSE(fs::exists(setup.ws.db));  // refused before anything was created
}
