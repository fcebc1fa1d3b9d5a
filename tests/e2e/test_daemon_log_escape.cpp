// Values from outside (file names, usernames, provider texts) are logged with their control
// characters escaped: a file name holding a newline must not forge a log line of its own.
#include <doctest/doctest.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

TEST_CASE("a campaign file name holding a newline cannot forge a log line") {
  Setup setup({{"gx-1", "getxapi"}}, users_json({"alice"}));
  auto daemon = setup.start();
  REQUIRE_MESSAGE(daemon, setup.last_log);
  std::string const forged = "FORGED send campaign=x account=gx-1 recipient=@alice outcome=sent http=200";
  std::string const name = "evil\n" + forged + "\x1b[2K.json";
  setup.ws.drop(name, R"({"name": "evil", "accounts": ["gx-1"], "message": "Hi", "recipients": [{"username": "alice"}]})");
  REQUIRE_MESSAGE(eventually([&] { return fs::exists(setup.ws.watch / "accepted" / name); }, 10s), daemon->log());
  REQUIRE(eventually([&] { return daemon->log().find("FORGED") != std::string::npos; }, 5s));

  std::istringstream lines(daemon->log());
  int forged_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("FORGED", 0) == 0) ++forged_lines;
    CHECK(line.find('\x1b') == std::string::npos);  // no terminal escapes reach the log either
  }
  CHECK(forged_lines == 0);
  CHECK(daemon->log().find("evil\\nFORGED") != std::string::npos);
  CHECK(daemon->log().find("\\x1b[2K") != std::string::npos);
  CHECK(daemon->stop(SIGTERM).exit_code == 0);
}
