// process_campaign_file against a real database: a campaign or recipients_csv still being
// written, or rewritten between the validation and the import pass, is left in the watch
// directory for later (README.md#the-watch-directory) — never imported from what was read so far,
// nor rejected for being incomplete.
#include <doctest/doctest.h>

#include <atomic>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/runtime/campaign_intake.hpp"
#include "support/log_capture.hpp"
#include "support/open_for_writing.hpp"
#include "storage/accounts.hpp"
#include "tests/storage/support.hpp"

using namespace outreach;
using namespace outreach::test;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir dir;
  Database db = open_db(dir);
  fs::path watch = dir.path() / "campaigns";
  AccountNames accounts{"gx-1"};

  Fixture() {
    fs::create_directories(watch);
    add_accounts(db, {"gx-1"});
  }

  IntakeResult process(std::string const& name, IntakeProgress const& progress = {}) {
    IntakeControl control;
    control.progress = progress;
    return process_campaign_file(db, watch / name, watch, accounts, at(0), control);
  }
  std::int64_t campaigns() { return query_int(db, "SELECT count(*) FROM campaigns"); }
};

using Writer = outreach::testing::OpenForWriting;

using outreach::testing::LogCapture;

void write_file(fs::path const& path, std::string const& text) { std::ofstream(path, std::ios::binary) << text; }

const std::string kCsvCampaign =
    R"({"name": "from-csv", "accounts": ["gx-1"], "message": "Hi {{first}}", "recipients_csv": "people.csv"})";

int count_lines(std::string const& text, std::string const& prefix) {
  int n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a campaign file still open for writing is left alone until it is closed") {
  Fixture f;
  const std::string json = R"({"name": "half", "accounts": ["gx-1"], "message": "Hi {{username}}",
    "recipients": [{"username": "alice"}, {"username": "bob"}]})";
  Writer writer(f.watch / "half.json");
  writer.write(json.substr(0, json.size() / 2));

  IntakeResult waiting = f.process("half.json");
  CHECK(waiting.waiting == IntakeWait::writer);
  CHECK_FALSE(waiting.accepted);
  CHECK(waiting.summary == "half.json: still open for writing; it stays in the watch directory until it is closed");
  CHECK(fs::exists(f.watch / "half.json"));
  CHECK_FALSE(fs::exists(f.watch / "rejected"));

  writer.write(json.substr(json.size() / 2));
  writer.close();
  IntakeResult done = f.process("half.json");
  CHECK_MESSAGE(done.accepted, done.summary);
  CHECK(done.waiting == IntakeWait::none);
  CHECK(done.recipients == 2);
  CHECK(fs::exists(f.watch / "accepted" / "half.json"));
}

TEST_CASE("a recipients_csv still open for writing keeps its campaign waiting, then it is imported whole") {
  Fixture f;
  Writer csv(f.watch / "people.csv");
  csv.write("username,first\nalice,Alice\nbob,Bob\ncarol,Caro");
  write_file(f.watch / "from-csv.json", kCsvCampaign);

  IntakeResult waiting = f.process("from-csv.json");
  CHECK(waiting.waiting == IntakeWait::csv_writer);
  CHECK_FALSE(waiting.accepted);
  CHECK(waiting.summary ==
        "from-csv.json: waits for its recipients_csv people.csv, still open for writing; nothing is imported until it "
        "is closed");
  CHECK(f.campaigns() == 0);
  CHECK(fs::exists(f.watch / "from-csv.json"));
  CHECK_FALSE(fs::exists(f.watch / "rejected"));

  csv.write("line\ndave,Dave\nerin,Erin\n");
  csv.close();
  IntakeResult done = f.process("from-csv.json");
  CHECK_MESSAGE(done.accepted, done.summary);
  CHECK(done.recipients == 5);
  CHECK(query_text(f.db, "SELECT text FROM recipients WHERE username = 'carol'").value_or("") == "Hi Caroline");
}

TEST_CASE("a recipients_csv that changes between the validation and the import pass is read again, not imported") {
  Fixture f;
  // Over kIntakeProgressBytes, so the validation pass reports progress while rows remain to read.
  const std::string notes(200'000, 'n');
  std::string text = "username,first,notes\n";
  const auto alice_at = static_cast<off_t>(text.size() + std::string("alice,").size());
  for (std::string const who : {"alice", "bob", "carol", "dave", "erin", "frank"})
    text += who + "," + static_cast<char>(std::toupper(who[0])) + who.substr(1) + "," + notes + "\n";
  REQUIRE(text.size() > static_cast<std::size_t>(kIntakeProgressBytes));
  write_file(f.watch / "people.csv", text);
  write_file(f.watch / "from-csv.json", kCsvCampaign);

  // Another process rewrites a row the validation pass has already read.
  bool rewritten = false;
  IntakeResult changed = f.process("from-csv.json", [&](IntakePass pass, std::int64_t) {
    if (pass != IntakePass::validating || rewritten) return;
    const int fd = ::open((f.watch / "people.csv").c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "Alize", 5, alice_at) == 5);
    ::close(fd);
    rewritten = true;
  });
  REQUIRE(rewritten);
  CHECK(changed.waiting == IntakeWait::changed);
  CHECK_FALSE(changed.accepted);
  CHECK(f.campaigns() == 0);
  CHECK(fs::exists(f.watch / "from-csv.json"));
  CHECK_FALSE(fs::exists(f.watch / "rejected"));

  IntakeResult done = f.process("from-csv.json");
  CHECK_MESSAGE(done.accepted, done.summary);
  CHECK(done.recipients == 6);
  CHECK(query_text(f.db, "SELECT text FROM recipients WHERE username = 'alice'").value_or("") == "Hi Alize");
}

TEST_CASE("a stop asked for during the import pass leaves the file in place and no campaign; the next start imports it") {
  Fixture f;
  const std::string notes(200'000, 'n');
  std::string text = "username,first,notes\n";
  for (int i = 0; i < 12; ++i) text += "user" + std::to_string(i) + ",U" + std::to_string(i) + "," + notes + "\n";
  REQUIRE(text.size() > 2 * static_cast<std::size_t>(kIntakeProgressBytes));
  write_file(f.watch / "people.csv", text);
  write_file(f.watch / "from-csv.json", kCsvCampaign);

  std::atomic<bool> stop{false};
  IntakeControl control;
  control.stop = &stop;
  control.import.rows_per_transaction = 2;  // some chunks are committed before the stop
  control.progress = [&](IntakePass pass, std::int64_t) {
    if (pass == IntakePass::importing) stop = true;
  };
  IntakeResult stopped = process_campaign_file(f.db, f.watch / "from-csv.json", f.watch, f.accounts, at(0), control);
  CHECK(stopped.interrupted);
  CHECK_FALSE(stopped.accepted);
  CHECK(stopped.summary.find("imported at the next start") != std::string::npos);
  CHECK(query_int(f.db, "SELECT count(*) FROM recipients") > 0);  // chunks left for the next import to delete
  CHECK(query_int(f.db, "SELECT count(*) FROM campaign_status") == 0);
  CHECK(fs::exists(f.watch / "from-csv.json"));
  CHECK_FALSE(fs::exists(f.watch / "rejected"));

  IntakeResult done = f.process("from-csv.json");
  CHECK_MESSAGE(done.accepted, done.summary);
  CHECK(done.recipients == 12);
  CHECK(query_int(f.db, "SELECT count(*) FROM recipients") == 12);
  CHECK(query_int(f.db, "SELECT total FROM campaign_status") == 12);
}

TEST_CASE("the waitlist logs a waiting file once per reason, a closed file frees only campaigns waiting on another") {
  LogCapture log;
  IntakeWaitlist list;
  IntakeResult csv_wait;
  csv_wait.waiting = IntakeWait::csv_writer;
  csv_wait.waiting_for = "/w/people.csv";
  csv_wait.summary = "a.json: waits for its recipients_csv";
  IntakeResult blocked;
  blocked.waiting = IntakeWait::destination;
  blocked.waiting_for = "cannot move b.json into rejected/";
  blocked.summary = "b.json: rejected, but cannot move it";
  CHECK(list.report("/w/a.json", csv_wait));
  CHECK(list.report("/w/a.json", csv_wait));  // still waits: offered again, but not logged again
  CHECK(list.report("/w/b.json", blocked));
  CHECK(list.report("/w/b.json", blocked));
  CHECK(log.text() ==
        "info a.json: waits for its recipients_csv\n"
        "debug a.json: waits for its recipients_csv\n"
        "error b.json: rejected, but cannot move it\n"
        "debug b.json: rejected, but cannot move it\n");
  CHECK(list.waiting_on_other_files() == std::vector<fs::path>{"/w/a.json"});

  IntakeResult done;
  done.accepted = true;
  done.summary = "campaign a imported";
  CHECK_FALSE(list.report("/w/a.json", done));
  CHECK(list.waiting_on_other_files().empty());
  CHECK(list.report("/w/a.json", csv_wait));  // waits again later: news again
  CHECK(count_lines(log.text(), "info a.json: waits") == 2);
  list.forget_missing();  // neither /w/a.json nor /w/b.json exists
  CHECK(list.empty());
}
