// Caps and waits hold in real elapsed time when the wall clock is stepped under a running daemon
// (docs/send-rules.md#clock-steps): libfaketime moves the daemon's CLOCK_REALTIME through a file
// while CLOCK_BOOTTIME and CLOCK_MONOTONIC stay real (FAKETIME_DONT_FAKE_MONOTONIC), as an NTP step
// after a suspended VM does.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

/// Debian's libfaketime (scripts/bootstrap installs the `faketime` package).
std::string libfaketime() {
  for (char const* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"}) {
    fs::path const lib = fs::path(dir) / "faketime" / "libfaketime.so.1";
    if (fs::exists(lib)) return lib.string();
  }
  return {};
}

/// A daemon whose wall clock is the real one plus the offset written in `offset_file` ("+0", "+1d",
/// "-2h"), re-read at every reading.
std::unique_ptr<Daemon> start_with_movable_clock(Setup& setup, fs::path const& offset_file) {
  std::string const lib = libfaketime();
  REQUIRE_MESSAGE(!lib.empty(), "libfaketime.so.1 not found: install Debian's faketime package (make bootstrap)");
  write_text(offset_file, "+0\n");
  ProcessOptions options = setup.secrets();
  options.env["LD_PRELOAD"] = lib;
  options.env["FAKETIME_TIMESTAMP_FILE"] = offset_file.string();
  options.env["FAKETIME_NO_CACHE"] = "1";
  options.env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
  // Under the sanitizer build ASan insists on being first in the preload list; libfaketime's
  // clock_gettime forwards to whatever follows it, ASan's interceptor included.
  char const* asan = std::getenv("ASAN_OPTIONS");
  options.env["ASAN_OPTIONS"] = std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "verify_asan_link_order=0";
  auto daemon = std::make_unique<Daemon>(setup.ws, options);
  REQUIRE_MESSAGE(daemon->wait_ready(), daemon->log());
  return daemon;
}

}  // namespace

TEST_CASE("a forward step of the wall clock frees no cap and prunes no history") {
  Setup setup({{"gx-1", "getxapi", "daily_cap = 5\n"}}, users_json(user_names(10, "u")));
  setup.pacing = "min_delay = \"10ms\"\nmax_delay = \"20ms\"";
  setup.write_config();
  fs::path const offset = setup.ws.temp.path() / "clock-offset";
  auto daemon = start_with_movable_clock(setup, offset);

  setup.ws.drop("first.json", campaign_json("first", {"gx-1"}, user_names(10, "u")));
  REQUIRE_MESSAGE(eventually([&] { return setup.sim.messages().size() == 5 &&
                                          str(setup.account("gx-1").at("state")) == "capped"; }, 20s),
                  daemon->log());

  // A day forwards within a second of real time; the new campaign wakes the capped account.
  write_text(offset, "+1d\n");
  setup.ws.drop("second.json", campaign_json("second", {"gx-1"}, user_names(3, "u")));
  REQUIRE_MESSAGE(eventually([&] { return daemon->log().find("the wall clock stepped forwards by 86") !=
                                          std::string::npos; }, 20s),
                  daemon->log());
  REQUIRE(eventually([&] { return setup.ws.number("SELECT count(*) FROM campaigns") == 2; }, 10s));
  // Before the fix: five more DMs within milliseconds of the wake, the first five pruned away.
  std::this_thread::sleep_for(1500ms);
  CHECK(setup.sim.messages().size() == 5);
  CHECK(setup.ws.number("SELECT count(*) FROM send_ledger") == 5);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}

TEST_CASE("a backward step of the wall clock does not stall the account by the step") {
  Setup setup({{"gx-1", "getxapi"}}, users_json(user_names(10, "u")));
  setup.pacing = "min_delay = \"200ms\"\nmax_delay = \"200ms\"";
  setup.write_config();
  fs::path const offset = setup.ws.temp.path() / "clock-offset";
  auto daemon = start_with_movable_clock(setup, offset);

  setup.ws.drop("late.json", campaign_json("late", {"gx-1"}, user_names(10, "u")));
  REQUIRE_MESSAGE(eventually([&] { return setup.sim.messages().size() >= 2; }, 20s), daemon->log());
  write_text(offset, "-2h\n");  // set back two hours mid-campaign
  // Before the fix: the 200 ms pacing gap, a wall-clock time, ended two hours away.
  REQUIRE_MESSAGE(eventually([&] { return setup.campaign_done("late"); }, 20s), daemon->log());
  CHECK(setup.sim.messages().size() == 10);
  CHECK(daemon->log().find("the wall clock stepped backwards by 7") != std::string::npos);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
