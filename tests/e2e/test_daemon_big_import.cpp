// Big imports never stall sends (README.md#importing-beside-running-campaigns), with the real
// binary: the import runs on a thread of its own in short chunks, invisible until its last one.
//   - kill -9 at random points of a big import (a seeded PRNG picks how many rows it has written):
//     the campaign is absent or whole, never a part, and the next start imports it whole;
//   - while a big file imports, a running campaign keeps sending, the control socket answers
//     (`outreachd reload`) and the CLI can write (`outreachd pause`).
#include <doctest/doctest.h>

#include <random>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

// Under the sanitizers the same import is several times slower; the rule is the same at any size.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::int64_t kBigRows = 200'000;
#else
constexpr std::int64_t kBigRows = 1'000'000;
#endif
constexpr int kKills = 5;
constexpr std::uint32_t kSeed = 20261205;

/// A campaign of `rows` users big0, big1, … from a CSV, for `account`; start_at far ahead, so it is
/// about the import alone.
void write_big_campaign(Workspace const& ws, std::string const& name, std::string const& account, std::int64_t rows) {
  std::string csv = "username,user_id\n";
  csv.reserve(static_cast<std::size_t>(rows) * 32);
  for (std::int64_t i = 0; i < rows; ++i)
    csv += "big" + std::to_string(i) + "," + std::to_string(6000000000000000000LL + i) + "\n";
  write_text(ws.watch / (name + ".csv"), csv);
  ws.drop(name + ".json", R"({"name": ")" + name + R"(", "accounts": [")" + account +
                              R"("], "message": "Hi {{username}}", "recipients_csv": ")" + name +
                              R"(.csv", "start_at": "2099-01-01T00:00:00Z"})");
}

//// Rows the import has committed so far, visible or not (the raw table, not a view).
std::int64_t rows_written(Workspace const& ws) {
  try {
    return ws.number("SELECT count(*) FROM recipients");
  } catch (std::exception const&) {
    return -1;  // no schema yet
  }
}

/// What the views show of campaign `name`: -1 when it is not there, else its total.
std::int64_t visible_total(Workspace const& ws, std::string const& name) {
  try {
    return ws.number("SELECT total FROM campaign_status WHERE campaign = '" + name + "'");
  } catch (std::exception const&) {
    return -1;
  }
}

}  // namespace

TEST_CASE("kill -9 at random points of a big import: the campaign is absent or whole, and the next start imports it") {
  Setup setup({{"gx-1", "getxapi"}}, "[]");
  write_big_campaign(setup.ws, "big", "gx-1", kBigRows);

  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<std::int64_t> kill_at_rows(1, kBigRows - 1);
  std::vector<std::int64_t> seen_at_kill;
  bool leftovers = false;  // rows of an unfinished import, which the next start deletes first
  for (int kill = 0; kill < kKills; ++kill) {
    // The file is in the watch directory at every start: the start-up scan imports it.
    Daemon daemon(setup.ws, setup.secrets());
    if (kill == 0) {
      // The first kill lands in the validation pass, before any row is written.
      REQUIRE_MESSAGE(eventually([&] { return daemon.log().find("validating big.json: 1 MiB") != std::string::npos ||
                                              daemon.exited(); }, 120s),
                      daemon.log());
    } else {
      const std::int64_t threshold = kill_at_rows(rng);
      auto const purged = [&] { return !leftovers || daemon.log().find("deleted 1 unfinished import") != std::string::npos; };
      REQUIRE_MESSAGE(
          eventually([&] { return (purged() && rows_written(setup.ws) >= threshold) || daemon.exited(); }, 120s),
          "the import never wrote " << threshold << " rows; log:\n" << daemon.log());
    }
    REQUIRE_MESSAGE(!daemon.exited(), daemon.log());
    REQUIRE(daemon.stop(SIGKILL, 5s).term_signal == SIGKILL);
    const std::int64_t written = rows_written(setup.ws);
    seen_at_kill.push_back(written);
    // Never a part: not in the views at all, or there whole.
    const std::int64_t total = visible_total(setup.ws, "big");
    CHECK_MESSAGE((total == -1 || total == kBigRows), "after kill " << kill << " the views show " << total);
    CHECK((total == -1 || setup.ws.number("SELECT count(*) FROM recipient_status") == kBigRows));
    CHECK_FALSE(fs::exists(setup.ws.watch / "rejected"));
    leftovers = total == -1 && written > 0;
  }
  MESSAGE("big import: " << kKills << " kills (seed " << kSeed << ") with this many rows written: "
                         << [&] {
                              std::string s;
                              for (auto n : seen_at_kill) s += std::to_string(n) + " ";
                              return s;
                            }());

  // The last start imports it whole and deletes what the kills left behind.
  Daemon last(setup.ws, setup.secrets());
  REQUIRE_MESSAGE(last.wait_ready(180s), last.log());
  CHECK(visible_total(setup.ws, "big") == kBigRows);
  CHECK(setup.ws.number("SELECT count(*) FROM recipients") == kBigRows);
  CHECK(setup.ws.number("SELECT count(*) FROM campaigns") == 1);
  CHECK(setup.ws.number("SELECT count(*) FROM recipient_status WHERE state = 'pending'") == kBigRows);
  CHECK(fs::exists(setup.ws.watch / "accepted" / "big.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "big.json"));
  CHECK(last.stop(SIGTERM).exit_code == 0);
}

TEST_CASE("while a big file imports, a running campaign keeps sending, the control socket answers and the CLI writes") {
  Setup setup({{"gx-1", "getxapi"}, {"gx-2", "getxapi"}}, "[]",
              R"("user_ranges": [{"prefix": "run", "count": 5000, "first_id": "5000000000000000000"}])");
  setup.pacing = "min_delay = \"20ms\"\nmax_delay = \"40ms\"";
  setup.write_config();
  std::string recipients;
  for (int i = 0; i < 5000; ++i) recipients += (i ? "," : "") + std::string(R"({"username": "run)") + std::to_string(i) + "\"}";
  setup.ws.drop("running.json",
                R"({"name": "running", "accounts": ["gx-1"], "message": "Hi", "recipients": [)" + recipients + "]}");
  Daemon daemon(setup.ws, setup.secrets());
  REQUIRE_MESSAGE(daemon.wait_ready(60s), daemon.log());
  REQUIRE(eventually([&] { return setup.sim.messages().size() >= 3; }, 20s));

  write_big_campaign(setup.ws, "big", "gx-2", kBigRows);
  REQUIRE_MESSAGE(eventually([&] { return rows_written(setup.ws) > 5000; }, 60s), daemon.log());
  const std::size_t sent_when_rows_appeared = setup.sim.messages().size();
  // A running campaign's sends go on between the import's chunks.
  REQUIRE(eventually([&] { return setup.sim.messages().size() >= sent_when_rows_appeared + 5; }, 20s));
  // The control socket answers: a reload is applied and reported.
  auto reload = setup.cli({"reload"});
  CHECK_MESSAGE(reload.exit_code == 0, reload.out << reload.err);
  // Another process can write: the pause is in the database at once.
  auto pause = setup.cli({"pause", "running"});
  CHECK_MESSAGE(pause.exit_code == 0, pause.out << pause.err);
  CHECK(str(setup.campaign("running").at("state")) == "paused");
  // All of that happened while the import was still going (else the file is too small to show it).
  REQUIRE_MESSAGE(visible_total(setup.ws, "big") == -1, "the import finished before the checks; make it bigger");

  REQUIRE_MESSAGE(eventually([&] { return visible_total(setup.ws, "big") == kBigRows; }, 180s), daemon.log());
  CHECK(daemon.stop(SIGTERM).exit_code == 0);
  CHECK(setup.sim.stats().at("duplicates").as_int64() == 0);
}
