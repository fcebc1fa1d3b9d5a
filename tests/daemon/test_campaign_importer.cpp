// The daemon's import thread (daemon/runtime/campaign_importer.hpp) against a real database: files
// are imported one at a time off the event loop, each result is delivered on the loop, a file
// offered twice is imported once, and what a killed import left behind is deleted first.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <stdexcept>

#include "daemon/runtime/campaign_importer.hpp"
#include "storage/sqlite.hpp"
#include "support/log_capture.hpp"
#include "tests/storage/support.hpp"

using namespace outreach;
using namespace outreach::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  TempDir dir;
  Database db = open_db(dir);
  fs::path watch = dir.path() / "campaigns";
  boost::asio::io_context io;
  std::map<std::string, IntakeResult> results;  ///< by file name, as delivered on the loop
  std::vector<std::string> order;
  std::shared_ptr<sql::WriteTurns> turns = std::make_shared<sql::WriteTurns>();

  Fixture() {
    fs::create_directories(watch);
    add_accounts(db, {"gx-1"});
    db.connection().share_write_turns(turns);
  }

  std::unique_ptr<CampaignImporter> importer() {
    return std::make_unique<CampaignImporter>(
        io.get_executor(), db.path(), turns,
        [this](fs::path const& file, IntakeResult const& result) {
          results[file.filename().string()] = result;
          order.push_back(file.filename().string());
        },
        CampaignImporter::Progress{}, ImportOptions{3});
  }

  fs::path write(std::string const& name, std::string const& text) {
    std::ofstream(watch / name) << text;
    return watch / name;
  }

  /// Runs the loop until the importer has delivered everything offered (bounded in real time).
  void drain(CampaignImporter const& importer) {
    auto const give_up = std::chrono::steady_clock::now() + 20s;
    while (importer.busy() > 0) {
      if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("the import thread never answered");
      io.restart();
      io.run_one_for(50ms);
    }
  }
};

std::string campaign(std::string const& name, int recipients) {
  std::string list;
  for (int i = 0; i < recipients; ++i) list += (i ? "," : "") + std::string(R"({"username": "u)") + std::to_string(i) + "\"}";
  return R"({"name": ")" + name + R"(", "accounts": ["gx-1"], "message": "Hi", "recipients": [)" + list + "]}";
}

}  // namespace

TEST_CASE("campaign importer: files are imported in the order offered, each once, results delivered on the loop") {
  Fixture f;
  auto importer = f.importer();
  auto a = f.write("a.json", campaign("a", 10));
  auto bad = f.write("bad.json", R"({"name": "bad"})");
  auto b = f.write("b.json", campaign("b", 4));
  for (auto const& file : {a, bad, a, b}) importer->offer({file, f.watch, {"gx-1"}, at(0)});
  CHECK(importer->busy() == 3);  // a.json offered twice counts once
  CHECK(f.results.empty());      // nothing is delivered until the loop runs
  f.drain(*importer);
  CHECK(f.order == std::vector<std::string>{"a.json", "bad.json", "b.json"});
  CHECK(f.results["a.json"].accepted);
  CHECK(f.results["a.json"].recipients == 10);
  CHECK_FALSE(f.results["bad.json"].accepted);
  CHECK(fs::exists(f.watch / "rejected" / "bad.json"));
  CHECK(f.results["b.json"].accepted);
  CHECK(query_rows(f.db, "SELECT campaign, total FROM campaign_status") ==
        std::vector<std::vector<std::string>>{{"a", "10"}, {"b", "4"}});
  // Delivered, so offered again it is imported again: the same file is then a no-op.
  f.write("a.json", campaign("a", 10));
  importer->offer({f.watch / "a.json", f.watch, {"gx-1"}, at(0)});
  f.drain(*importer);
  CHECK(f.results["a.json"].already_imported);
}

TEST_CASE("campaign importer: an import a kill left unfinished is deleted before the first file") {
  Fixture f;
  {
    auto session = REQUIRE_OK(begin_import(f.db, header_of({.name = "killed", .accounts = {"gx-1"}}), "killed.json",
                                           "h", at(0), ImportOptions{2}));
    for (int i = 0; i < 7; ++i) REQUIRE_OK(session.add(rec("k" + std::to_string(i))));
    session.abandon();
  }
  REQUIRE(query_int(f.db, "SELECT count(*) FROM recipients") == 6);
  outreach::testing::LogCapture log;
  auto importer = f.importer();
  importer->offer({f.write("a.json", campaign("a", 2)), f.watch, {"gx-1"}, at(0)});
  f.drain(*importer);
  CHECK(f.results["a.json"].accepted);
  CHECK(query_int(f.db, "SELECT count(*) FROM recipients") == 2);
  CHECK(query_int(f.db, "SELECT count(*) FROM campaigns") == 1);
  CHECK(log.text().find("deleted 1 unfinished import left by an earlier stop") != std::string::npos);
}

TEST_CASE("campaign importer: after request_stop nothing more is imported or delivered") {
  Fixture f;
  auto importer = f.importer();
  importer->request_stop();
  importer->offer({f.write("a.json", campaign("a", 2)), f.watch, {"gx-1"}, at(0)});
  CHECK(importer->busy() == 0);
  importer.reset();  // joins the thread
  f.io.restart();
  f.io.poll();
  CHECK(f.results.empty());
  CHECK(query_int(f.db, "SELECT count(*) FROM campaigns") == 0);
  CHECK(fs::exists(f.watch / "a.json"));
}
