// README.md#the-watch-directory, with the real binary: a campaign file or recipients_csv that
// another process still has open for writing is left alone until it is closed, however the daemon
// found it (start-up scan, SIGHUP rescan, another file's close), and then imported whole; a file
// named `rejected` keeps a bad campaign waiting in the watch directory, with one error, until the
// operator removes it and sends SIGHUP — no restart.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <string>

#include "e2e/daemon_harness.hpp"
#include "support/open_for_writing.hpp"

using namespace outreach::test;

using outreach::testing::OpenForWriting;

TEST_CASE("a campaign still being written is left alone by the start-up scan and a SIGHUP rescan, then imported") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol", "dave"}));
  const std::string json = R"({"name": "slow", "accounts": ["gx-1"], "message": "Hello {{username}}",
    "recipients": [{"username": "alice"}, {"username": "bob"}, {"username": "carol"}, {"username": "dave"}]})";
  OpenForWriting writer(setup.ws.watch / "slow.json");
  writer.write(json.substr(0, json.size() / 2));

  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  const std::string waiting = "slow.json: still open for writing; it stays in the watch directory until it is closed";
  CHECK_MESSAGE(count_of(daemon->log(), "info " + waiting) == 1, daemon->log());  // the start-up scan

  // SIGHUP rescans the waiting file: still left alone, and said again only at debug.
  daemon->signal(SIGHUP);
  REQUIRE_MESSAGE(eventually([&] { return count_of(daemon->log(), "debug " + waiting) >= 1; }, 10s), daemon->log());
  CHECK(count_of(daemon->log(), "info " + waiting) == 1);
  CHECK(fs::exists(setup.ws.watch / "slow.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "rejected"));
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status") <= 0);

  writer.write(json.substr(json.size() / 2));
  writer.close();  // IN_CLOSE_WRITE brings it back
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("slow"); }), daemon->log());
  CHECK(setup.campaign("slow").at("total").as_int64() == 4);
  CHECK(setup.campaign("slow").at("sent").as_int64() == 4);
  CHECK(fs::exists(setup.ws.watch / "accepted" / "slow.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "rejected"));
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a campaign whose recipients_csv is still being written waits for it, then is imported with every row") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol", "dave", "erin"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);

  OpenForWriting csv(setup.ws.watch / "people.csv");
  csv.write("username,first\nalice,Alice\nbob,Bob\ncarol,Caro");
  setup.ws.drop("from-csv.json", R"({"name": "from-csv", "accounts": ["gx-1"], "message": "Hi {{first}}",
    "recipients_csv": "people.csv"})");
  const std::string waiting =
      "from-csv.json: waits for its recipients_csv people.csv, still open for writing; nothing is imported until it "
      "is closed";
  REQUIRE_MESSAGE(eventually([&] { return count_of(daemon->log(), "info " + waiting) == 1; }, 10s), daemon->log());
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status") <= 0);

  // Another file closed in the watch directory offers the waiting campaign again: it still waits,
  // and the log does not repeat itself above debug.
  write_text(setup.ws.watch / "notes.txt", "unrelated");
  REQUIRE_MESSAGE(eventually([&] { return count_of(daemon->log(), "debug " + waiting) >= 1; }, 10s), daemon->log());
  CHECK(count_of(daemon->log(), "info " + waiting) == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status") <= 0);
  CHECK(fs::exists(setup.ws.watch / "from-csv.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "rejected"));

  csv.write("line\ndave,Dave\nerin,Erin\n");
  csv.close();  // the CSV's close frees the campaign
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("from-csv"); }), daemon->log());
  CHECK(setup.campaign("from-csv").at("total").as_int64() == 5);
  std::set<std::string> texts;
  for (auto const& m : setup.sim.messages()) texts.insert(std::string(m.at("text").as_string()));
  CHECK(texts == std::set<std::string>{"Hi Alice", "Hi Bob", "Hi Caroline", "Hi Dave", "Hi Erin"});
  CHECK(fs::exists(setup.ws.watch / "accepted" / "from-csv.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "rejected"));
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a file named rejected keeps a bad campaign waiting with one error until it is removed and SIGHUP sent") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  write_text(setup.ws.watch / "rejected", "not a directory");
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);

  setup.ws.drop("bad.json", R"({"name": "bad", "accounts": ["nobody"], "message": "hi",
    "recipients": [{"username": "alice"}]})");
  const std::string blocked = "error bad.json: rejected, 1 problem, but cannot move bad.json into rejected/: " +
                              (setup.ws.watch / "rejected").string() +
                              " is a file, not a directory; remove or rename it (bad.json stays in the watch "
                              "directory and is tried again within a minute, or at once on SIGHUP)";
  REQUIRE_MESSAGE(eventually([&] { return count_of(daemon->log(), blocked) == 1; }, 10s), daemon->log());

  // The daemon goes on with the other files.
  setup.ws.drop("good.json", R"({"name": "good", "accounts": ["gx-1"], "message": "hi",
    "recipients": [{"username": "alice"}]})");
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("good"); }), daemon->log());

  // Tried again while the blocking file is still there: the error is not repeated.
  daemon->signal(SIGHUP);
  const std::string again = "debug bad.json: rejected, 1 problem, but";
  REQUIRE_MESSAGE(eventually([&] { return count_of(daemon->log(), again) >= 1; }, 10s), daemon->log());
  CHECK(count_of(daemon->log(), "error bad.json") == 1);
  CHECK(fs::exists(setup.ws.watch / "bad.json"));

  fs::remove(setup.ws.watch / "rejected");
  daemon->signal(SIGHUP);
  const fs::path error = setup.ws.watch / "rejected" / "bad.json.error";
  REQUIRE_MESSAGE(eventually([&] { return fs::exists(error); }, 10s), daemon->log());
  CHECK(read_text(error).find("\"nobody\" is not configured") != std::string::npos);
  CHECK(fs::exists(setup.ws.watch / "rejected" / "bad.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "bad.json"));
  CHECK(count_of(daemon->log(), "error bad.json") == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status WHERE campaign = 'bad'") == 0);
  CHECK_FALSE(daemon->exited());
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
