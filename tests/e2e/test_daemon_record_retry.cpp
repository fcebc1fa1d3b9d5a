// A record that cannot be written (here: another process holds the database's write lock longer
// than busy_timeout, 5 s; a full disk fails the same way) is retried, not dropped. Dropped, the
// row would stay `sending` for the daemon's whole life, its attempt missing from the cap ledger
// and the delivered DM's message id lost.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

TEST_CASE("a record blocked past busy_timeout is retried until it lands: sent, counted, nothing left sending") {
  // The send takes 1 s to answer: time to take the write lock while it is out.
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}),
              R"("faults": [{"kind": "slow", "endpoint": "send", "delay": "1s"}])");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("held.json", R"({"name": "held", "accounts": ["gx-1"], "message": "Hi {{username}}",
                                 "recipients": [{"username": "alice"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.sending("held") == 1; }, 10s), daemon->log());

  // Another writer holds the lock for 6.5 s: the record, which begins within the send's 1 s,
  // waits out its 5 s busy_timeout and fails; its retry a second later lands once the lock goes.
  const fs::path locked = setup.ws.temp.path() / "locked";
  ProcessOptions hold;
  hold.stdin_data = "BEGIN IMMEDIATE;\n.system touch " + locked.string() + "\n.system sleep 6.5\nCOMMIT;\n";
  Process holder({"sqlite3", setup.ws.db.string()}, hold);
  REQUIRE(eventually([&] { return fs::exists(locked); }, 5s));

  REQUIRE_MESSAGE(eventually([&] { return daemon->log().find("cannot record outcome") != std::string::npos; }, 10s),
                  daemon->log());
  CHECK(daemon->log().find("trying again") != std::string::npos);
  CHECK(holder.wait(15s).exit_code == 0);

  // Still the same daemon, no restart: the retried record landed.
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("held"); }, 40s), daemon->log());
  auto c = setup.campaign("held");
  CHECK(c.at("sent").as_int64() == 1);
  CHECK(c.at("sending").as_int64() == 0);
  CHECK(setup.sim.messages().size() == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM attempts WHERE message_id IS NOT NULL") == 1);
  CHECK(str(setup.recipient("held", "alice").at("state")) == "sent");
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
