// "A full disk loses nothing": the running daemon's file-size limit is lowered (prlimit on its
// pid, RLIMIT_FSIZE) so that the database cannot grow, exactly like a disk with no room left.
// A campaign dropped then is not imported and not rejected either (the file is fine): it stays in
// the watch directory, the log says why, and once there is room a SIGHUP imports it.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

void set_file_size_limit(pid_t pid, rlim_t bytes) {
  rlimit limit{};
  REQUIRE(::prlimit(pid, RLIMIT_FSIZE, nullptr, &limit) == 0);
  limit.rlim_cur = bytes;  // the soft limit only: raising it back needs no privilege
  REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
}

std::uintmax_t size_or_zero(fs::path const& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

std::string scheduled_campaign(int recipients) {
  std::string people;
  for (int i = 0; i < recipients; ++i)
    people += std::string(i ? ", " : "") + R"({"user_id": ")" + std::to_string(7000000000000000000LL + i) + "\"}";
  // Scheduled far ahead: this test is about the import, so nothing is sent meanwhile.
  return R"({"name": "big", "accounts": ["gx-1"], "start_at": "2099-01-01T00:00:00Z",
             "message": "Hello, this campaign is long enough to need room on the disk.", "recipients": [)" +
         people + "]}";
}

}  // namespace

TEST_CASE("no room on the disk: the campaign file is kept, not rejected, and imported once there is room") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);

  const fs::path db = setup.ws.db;
  const auto room = std::max(size_or_zero(db), size_or_zero(fs::path(db.string() + "-wal"))) + 8192;
  set_file_size_limit(daemon->pid(), room);
  setup.ws.drop("big.json", scheduled_campaign(3000));

  REQUIRE_MESSAGE(eventually([&] { return daemon->log().find("not imported") != std::string::npos; }, 10s),
                  daemon->log());
  const std::string log = daemon->log();
  CHECK(log.find("campaign big from big.json not imported") != std::string::npos);
  CHECK(log.find("the file stays in the watch directory") != std::string::npos);
  CHECK(fs::exists(setup.ws.watch / "big.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "rejected" / "big.json"));
  CHECK(setup.ws.number("SELECT count(*) FROM campaigns WHERE name = 'big'") == 0);
  CHECK(setup.ws.number("SELECT count(*) FROM recipients") == 0);

  // Room again; the operator reloads (else the daemon tries again within a minute).
  set_file_size_limit(daemon->pid(), RLIM_INFINITY);
  daemon->signal(SIGHUP);
  REQUIRE_MESSAGE(eventually([&] { return setup.ws.number("SELECT total FROM campaign_status WHERE campaign = 'big'") == 3000; }, 15s),
                  daemon->log());
  CHECK(fs::exists(setup.ws.watch / "accepted" / "big.json"));
  CHECK_FALSE(fs::exists(setup.ws.watch / "big.json"));
  CHECK(setup.ws.number("SELECT pending FROM campaign_status WHERE campaign = 'big'") == 3000);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
