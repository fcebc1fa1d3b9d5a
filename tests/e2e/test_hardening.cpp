// End to end: hardening that only the real process shows — it is not dumpable
// (README.md#the-unit), and a state_dir too long for the control socket is refused before anything
// is created.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

/// The "Uid:" line of /proc/PID/status: real, effective, saved and filesystem uid.
std::string uid_line(pid_t pid) {
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Uid:", 0) == 0) return line;
  return {};
}

}  // namespace

TEST_CASE("outreachd run is not dumpable: its /proc/PID entries belong to root although it runs as another user") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to start the daemon as another user");
    return;
  }
  constexpr uid_t kNobody = 65534;
  Workspace ws;
  ws.write_config("");  // no providers or accounts: the daemon idles, waiting for campaigns
  // mkdtemp made the workspace 0700 root: the daemon's user must reach its config and own its dirs.
  fs::permissions(ws.temp.path(), fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  REQUIRE(::chown(ws.state.c_str(), kNobody, kNobody) == 0);
  REQUIRE(::chown(ws.watch.c_str(), kNobody, kNobody) == 0);

  Process daemon({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", outreachd_bin(), "run", "--config",
                  ws.config.string()});
  const bool ready = eventually([&] { return contains(daemon.err(), "outreachd ready"); }, 10s);
  REQUIRE_MESSAGE(ready, daemon.err());
  // It really runs as 65534 (setpriv execs it in place, so the pid is the daemon's)...
  CHECK(uid_line(daemon.pid()) == "Uid:\t65534\t65534\t65534\t65534");
  // ...yet the kernel gives the entries under a non-dumpable process's /proc/PID to root (the
  // directory itself keeps the process's uid), so its memory, environment and open files are out
  // of reach of its own user. Dumpable, they would belong to 65534.
  for (char const* entry : {"environ", "mem", "fd", "status"}) {
    CAPTURE(entry);
    struct stat st {};
    REQUIRE(::stat(("/proc/" + std::to_string(daemon.pid()) + "/" + entry).c_str(), &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
  }

  daemon.send_signal(SIGTERM);
  const auto result = daemon.wait(15s);
  CHECK(result.exit_code == 0);
}

TEST_CASE("a state_dir too long for the control socket: run and check-config exit 1 naming it, nothing is created") {
  Workspace ws;
  const fs::path state = ws.temp.path() / std::string(100, 's');
  fs::create_directories(state);
  write_text(ws.config, "state_dir = \"" + state.string() + "\"\nwatch_dir = \"" + ws.watch.string() + "\"\n");
  const std::string socket = state.string() + "/outreachd.ctl";
  const std::string expected = ws.config.string() + ":1: state_dir: is too long: the daemon's control socket " + socket +
                               " would be " + std::to_string(socket.size()) +
                               " bytes, over the 107-byte limit of a Unix socket path (sockaddr_un.sun_path); use a "
                               "shorter state_dir";

  auto run = run_process({outreachd_bin(), "run", "--config", ws.config.string()}, {}, 20s);
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(contains(run.err, expected), run.err);
  CHECK_MESSAGE(fs::is_empty(state), "the daemon created files in state_dir before refusing it");
  CHECK(fs::is_empty(ws.watch));

  auto check = run_process({outreachd_bin(), "check-config", "--config", ws.config.string()}, {}, 20s);
  CHECK(check.exit_code == 1);
  CHECK_MESSAGE(contains(check.err, expected), check.err);
}
