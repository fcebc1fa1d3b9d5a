// README.md#command-line: `outreachd forget USER...` deletes the stored replies (and their text) of
// users, given as ids or usernames (with or without @), whether the daemon runs or not. The fact of
// a reply stays: recipient_status.replied_at and campaign_status.replied are untouched.
//
// The replies are real ones: the simulator's scripted answers, read from the account's inbox by the
// running daemon (docs/simulator.md#users), so the rows forget deletes are the ones a daemon stores.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

/// A users array entry with scripted replies.
std::string user_with_replies(std::string const& name, int i, std::string const& replies) {
  return R"({"username": ")" + name + R"(", "id": ")" + user_id(i) + R"(", "replies": )" + replies + "}";
}

std::int64_t replies_of(Setup const& setup, std::string const& username) {
  return setup.ws.number("SELECT count(*) FROM replies WHERE username = '" + username + "'");
}

}  // namespace

TEST_CASE("forget deletes a user's stored replies, by username or id, and keeps the fact that they replied") {
  std::string const users = "[" + user_with_replies("alice", 0, R"([{"after": "1s", "text": "thanks!"}])") + ",\n" +
                            user_with_replies("bob", 1, R"([{"after": "1s", "text": "tell me more"}])") + ",\n" +
                            R"({"username": "carol", "id": ")" + user_id(2) + R"("}])";
  Setup setup({{"gx-1", "getxapi"}}, users);
  setup.inbox = std::string(kTestInbox) + "\npoll_interval = \"1s\"";
  setup.write_config();
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  setup.ws.drop("thanks.json", campaign_json("thanks", {"gx-1"}, {"alice", "bob", "carol"}));
  REQUIRE_MESSAGE(eventually([&] { return setup.ws.number("SELECT count(*) FROM replies") == 2; }, 30s), daemon->log());
  REQUIRE(str(setup.ws.sql("SELECT text FROM replies WHERE username = 'alice'").at(0).at("text")) == "thanks!");
  REQUIRE(setup.recipient("thanks", "alice").at("replied_at").is_string());
  std::string const alice_replied_at = str(setup.recipient("thanks", "alice").at("replied_at"));
  REQUIRE(setup.campaign("thanks").at("replied").as_int64() == 2);

  // The status table counts the replies.
  auto table = setup.cli({"status"});
  REQUIRE(table.exit_code == 0);
  CHECK_MESSAGE(contains(table.out, "REPLIED"), table.out);
  CHECK_MESSAGE(contains(table.out, "(2 recipients replied: the replies view"), table.out);

  // Usage and input errors change nothing.
  auto none = setup.cli({"forget"});
  CHECK(none.exit_code == 2);
  CHECK_MESSAGE(contains(none.err, "missing USER"), none.err);
  auto bad = setup.cli({"forget", "al ice"});
  CHECK(bad.exit_code == 1);
  CHECK_MESSAGE(contains(bad.err, "'al ice' is not a username or user id"), bad.err);
  CHECK(bad.out.empty());
  CHECK(setup.ws.number("SELECT count(*) FROM replies") == 2);

  // By username, with @ and in any case, while the daemon runs.
  auto alice = setup.cli({"forget", "@Alice"});
  INFO(alice.err);
  CHECK(alice.exit_code == 0);
  CHECK(contains(alice.out, "1 replies forgotten"));
  CHECK(replies_of(setup, "alice") == 0);
  CHECK(replies_of(setup, "bob") == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM replies_kept WHERE text = 'thanks!'") == 0);  // the text is gone
  // The fact stays: alice replied (so no follow-up goes to her), and the campaign counts her.
  CHECK(str(setup.recipient("thanks", "alice").at("replied_at")) == alice_replied_at);
  CHECK(setup.campaign("thanks").at("replied").as_int64() == 2);

  // Forgotten stays forgotten: the daemon's next reads do not store the message again.
  std::string const synced = str(setup.account("gx-1").at("inbox_synced_at"));
  REQUIRE_MESSAGE(eventually([&] { return str(setup.account("gx-1").at("inbox_synced_at")) != synced; }, 10s),
                  daemon->log());
  CHECK(replies_of(setup, "alice") == 0);

  // Nothing stored for this user (any more, or ever): 0, and exit 0.
  auto again = setup.cli({"forget", "alice", "nobody"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "0 replies forgotten"));
  CHECK(replies_of(setup, "bob") == 1);

  // By user id, with no daemon running (--db alone, as for the other database commands).
  REQUIRE(daemon->stop(SIGTERM).exit_code == 0);
  auto bob = run_process({outreachd_bin(), "forget", user_id(1), "--db", setup.ws.db.string()}, setup.secrets());
  INFO(bob.err);
  CHECK(bob.exit_code == 0);
  CHECK(contains(bob.out, "1 replies forgotten"));
  CHECK(setup.ws.number("SELECT count(*) FROM replies") == 0);
  CHECK(setup.ws.number("SELECT count(*) FROM replies_kept") == 0);
  CHECK(setup.recipient("thanks", "bob").at("replied_at").is_string());

  // `status --json` still counts both replies.
  auto status = run_process({outreachd_bin(), "status", "--json", "--db", setup.ws.db.string()}, setup.secrets());
  REQUIRE(status.exit_code == 0);
  CHECK(json::parse(status.out).at("campaigns").at(0).at("replied") == 2);
}

TEST_CASE("forget on a database that does not exist is one clear error") {
  outreach::testing::TempDir temp;
  auto r = run_process({outreachd_bin(), "forget", "alice", "--db", (temp.path() / "missing.db").string()});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "missing.db"));
  CHECK(r.out.empty());
}
