// README.md#the-watch-directory: an invalid campaign file is moved to watch_dir/rejected/ with a
// rejected/<file>.error beside it that names each problem and where it is (field, recipient
// index, CSV line); the daemon keeps running and sends the valid campaign dropped after them.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

struct BadFile {
  std::string file;
  std::string content;
  std::vector<std::string> error_mentions;  ///< each must appear in the .error text
};

std::vector<BadFile> bad_files() {
  return {
      {"bad-json.json", R"({"name": "bj", "accounts": ["gx-1"], "message": "hi", "recipients": [{"username": "a"},]})",
       {"line 1 column", "invalid JSON"}},
      {"missing-fields.json", R"({"accounts": ["gx-1"], "recipients": [{"username": "alice"}]})",
       {"name: is required", "message: is required"}},
      {"unknown-account.json",
       R"({"name": "ua", "accounts": ["gx-1", "nobody"], "message": "hi", "recipients": [{"username": "alice"}]})",
       {"accounts[1]", "\"nobody\" is not configured"}},
      {"missing-var.json", R"({"name": "mv", "accounts": ["gx-1"], "message": "Hi {{first}}",
         "recipients": [{"username": "alice", "vars": {"first": "Alice"}}, {"username": "bob"}]})",
       {"recipients[1]", "{{first}}"}},
      {"too-long.json",
       R"({"name": "tl", "accounts": ["gx-1"], "message": ")" + std::string(10'001, 'x') +
           R"(", "recipients": [{"username": "alice"}]})",
       {"recipients[0]", "10001", "10000"}},
      {"numeric-id.json", R"({"name": "ni", "accounts": ["gx-1"], "message": "hi",
         "recipients": [{"username": "alice"}, {"user_id": 44196397}]})",
       {"recipients[1].user_id", "\"44196397\""}},
      {"csv-line.json", R"({"name": "cl", "accounts": ["gx-1"], "message": "Hi {{first}}", "recipients_csv": "people.csv"})",
       {"people.csv line 3", "{{first}}"}},
  };
}

}  // namespace

TEST_CASE("malformed campaigns land in rejected/ with a useful .error, and the daemon keeps sending") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  // A recipients_csv is not a campaign: it is left where it is.
  write_text(setup.ws.watch / "people.csv", "username,first\nalice,Alice\nbob,\n");

  for (auto const& bad : bad_files()) setup.ws.drop(bad.file, bad.content);
  setup.ws.drop("good.json", R"({"name": "good", "accounts": ["gx-1"], "message": "Hello {{username}}",
    "recipients": [{"username": "alice"}, {"username": "bob"}, {"username": "carol"}]})");

  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("good"); }), daemon->log());
  CHECK(setup.campaign("good").at("sent").as_int64() == 3);
  CHECK(setup.sim.messages().size() == 3);
  CHECK(fs::exists(setup.ws.watch / "accepted" / "good.json"));

  for (auto const& bad : bad_files()) {
    CAPTURE(bad.file);
    const fs::path rejected = setup.ws.watch / "rejected" / bad.file;
    const fs::path error = setup.ws.watch / "rejected" / (bad.file + ".error");
    REQUIRE(eventually([&] { return fs::exists(rejected) && fs::exists(error); }, 5s));
    CHECK(!fs::exists(setup.ws.watch / bad.file));
    CHECK(read_text(rejected) == bad.content);  // moved as it was
    const std::string text = read_text(error);
    CAPTURE(text);
    CHECK(text.find(bad.file) != std::string::npos);
    for (auto const& mention : bad.error_mentions) CHECK_MESSAGE(text.find(mention) != std::string::npos, mention);
  }
  CHECK(fs::exists(setup.ws.watch / "people.csv"));
  // Nothing of the rejected files reached the database.
  CHECK(setup.ws.number("SELECT count(*) FROM campaign_status") == 1);

  // A different campaign under an existing name is rejected too; the same file again is a no-op.
  setup.ws.drop("good-again.json", R"({"name": "good", "accounts": ["gx-1"], "message": "Other text",
    "recipients": [{"username": "carol"}]})");
  REQUIRE(eventually([&] { return fs::exists(setup.ws.watch / "rejected" / "good-again.json.error"); }, 5s));
  CHECK(read_text(setup.ws.watch / "rejected" / "good-again.json.error").find("good") != std::string::npos);
  setup.ws.drop("good.json", read_text(setup.ws.watch / "accepted" / "good.json"));
  REQUIRE(eventually([&] { return fs::exists(setup.ws.watch / "accepted" / "good.1.json"); }, 5s));
  CHECK(!fs::exists(setup.ws.watch / "good.json"));
  CHECK(!fs::exists(setup.ws.watch / "rejected" / "good.json"));
  CHECK(setup.ws.number("SELECT total FROM campaign_status WHERE campaign = 'good'") == 3);
  std::this_thread::sleep_for(300ms);
  CHECK(setup.sim.messages().size() == 3);

  CHECK(!daemon->exited());
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a campaign's identity covers its recipients_csv: a changed CSV under the same JSON is not 'imported before'") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice", "bob", "carol"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  const std::string json = R"({"name": "from-csv", "accounts": ["gx-1"], "message": "Hi {{first}}",
    "recipients_csv": "people.csv"})";
  write_text(setup.ws.watch / "people.csv", "username,first\nalice,Alice\nbob,Bob\n");
  setup.ws.drop("from-csv.json", json);
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("from-csv"); }), daemon->log());
  CHECK(setup.campaign("from-csv").at("total").as_int64() == 2);

  // The same JSON and the same CSV again: a no-op that still moves the file to accepted/.
  setup.ws.drop("from-csv.json", json);
  REQUIRE(eventually([&] { return fs::exists(setup.ws.watch / "accepted" / "from-csv.1.json"); }, 5s));

  // The same JSON with a CSV that gained carol: another campaign under an existing name, refused
  // with a reason, rather than silently dropping carol as "imported before".
  write_text(setup.ws.watch / "people.csv", "username,first\nalice,Alice\nbob,Bob\ncarol,Carol\n");
  setup.ws.drop("from-csv.json", json);
  const fs::path error = setup.ws.watch / "rejected" / "from-csv.json.error";
  REQUIRE_MESSAGE(eventually([&] { return fs::exists(error); }, 5s), daemon->log());
  CHECK(read_text(error).find("already exists") != std::string::npos);
  CHECK(setup.ws.number("SELECT total FROM campaign_status WHERE campaign = 'from-csv'") == 2);
  CHECK(setup.sim.messages().size() == 2);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
