// systemd integration without systemd running: the unit file passes `systemd-analyze verify` and
// rates 2.0 or better in `systemd-analyze security --offline`, and `outreachd run` speaks the
// sd_notify protocol (READY=1, STATUS=, WATCHDOG=1, STOPPING=1) to a datagram socket this test
// owns, the way systemd's manager would see it.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include "e2e/daemon_harness.hpp"

using namespace outreach::test;

namespace {

fs::path source_root() { return outreach::test::source_dir(); }

/// The unit as shipped, with ExecStart= pointing at the freshly built binary (verify checks that
/// the executable exists), written to `dir` under its real name.
fs::path unit_for_build(fs::path const& dir) {
  std::string unit = read_text(source_root() / "systemd" / "outreachd.service");
  REQUIRE(unit.find("/usr/bin/outreachd") != std::string::npos);
  unit = std::regex_replace(unit, std::regex("/usr/bin/outreachd"), outreachd_bin());
  const fs::path path = dir / "outreachd.service";
  write_text(path, unit);
  return path;
}

/// `Key=value` lines of the [Service] section (comments skipped; repeated keys kept in order).
std::vector<std::pair<std::string, std::string>> service_settings(std::string const& unit) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(unit);
  bool in_service = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      in_service = line == "[Service]";
      continue;
    }
    const auto eq = line.find('=');
    if (in_service && eq != std::string::npos) out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

/// The systemd manager's end of NOTIFY_SOCKET: a datagram socket bound in a temp directory.
class NotifySocket {
 public:
  explicit NotifySocket(fs::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = path_.string();
    REQUIRE(p.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(NotifySocket const&) = delete;
  NotifySocket& operator=(NotifySocket const&) = delete;

  std::string path_text() const { return path_.string(); }

  /// Receives datagrams until one satisfies `match` or `timeout` passes; every datagram received
  /// is kept in messages(). Returns the matching one, or nullopt.
  template <class Match>
  std::optional<std::string> wait_for(Match match, std::chrono::milliseconds timeout = 10s) {
    for (std::size_t i = 0; i < messages_.size(); ++i)
      if (!consumed_.count(i) && match(messages_[i])) {
        consumed_.insert(i);
        return messages_[i];
      }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      messages_.emplace_back(buffer, static_cast<std::size_t>(n));
      if (match(messages_.back())) {
        consumed_.insert(messages_.size() - 1);
        return messages_.back();
      }
    }
  }

  std::vector<std::string> const& messages() const { return messages_; }
  std::string all() const {
    std::string out;
    for (auto const& m : messages_) out += m + " | ";
    return out;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
  std::set<std::size_t> consumed_;
};

bool starts_with(std::string const& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

const std::string kScenario = R"({
  "seed": 3,
  "users": [
    {"username": "alice", "id": "1000000000000000001"},
    {"username": "bob", "id": "1000000000000000002"}
  ],
  "accounts": [{"name": "sales-1", "provider": "getxapi", "token": "gx-session-1"}],
  "providers": {"getxapi": {"api_keys": ["gx-key"]}}
})";

/// One getxapi account against the simulator; its secrets come from under_systemd()'s environment.
void write_one_account_config(Workspace& ws, Simulator const& sim) {
  ws.write_config("[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\nbase_url = \"" + sim.base_url() +
                  "/getxapi\"\n\n[[accounts]]\nname = \"sales-1\"\nprovider = \"getxapi\"\ntier = \"new\"\n"
                  "auth_token = { env = \"SALES1\" }\n");
}

/// The environment systemd gives a Type=notify service with WatchdogSec=200ms.
ProcessOptions under_systemd(NotifySocket const& manager) {
  ProcessOptions options;
  options.env = {{"GX_KEY", "gx-key"},
                 {"SALES1", "gx-session-1"},
                 {"NOTIFY_SOCKET", manager.path_text()},
                 {"WATCHDOG_USEC", "200000"}};
  options.unset_env = {"WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"};
  return options;
}

}  // namespace

TEST_CASE("the unit file passes systemd-analyze verify") {
  outreach::testing::TempDir temp;
  const fs::path unit = unit_for_build(temp.path());
  auto r = run_process({"systemd-analyze", "verify", "--man=no", unit.string()}, {}, 60s);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE_MESSAGE(r.exit_code != 127, "systemd-analyze is missing: scripts/bootstrap installs the systemd package");
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());  // warnings (unknown keys, bad values) are printed but do not change the exit code
}

TEST_CASE("the unit file rates 2.0 or better in systemd-analyze security --offline") {
  outreach::testing::TempDir temp;
  const fs::path unit = unit_for_build(temp.path());
  // --threshold is the exposure level times ten: 20 means "fail above 2.0".
  ProcessOptions no_colors;
  no_colors.env = {{"SYSTEMD_COLORS", "0"}};
  auto r = run_process(
      {"systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", unit.string()}, no_colors, 60s);
  std::smatch m;
  const bool rated = std::regex_search(r.out, m, std::regex(R"(Overall exposure level for outreachd\.service: ([0-9.]+))"));
  REQUIRE_MESSAGE(rated, "no rating in: " << r.out << r.err);
  const double exposure = std::stod(m[1].str());
  MESSAGE("offline exposure level: " << exposure);
  CHECK(exposure <= 2.0);
  CHECK(r.exit_code == 0);
}

TEST_CASE("the unit file has the settings the README and the service need") {
  const std::string unit = read_text(source_root() / "systemd" / "outreachd.service");
  auto settings = service_settings(unit);
  auto value = [&](std::string const& key) -> std::string {
    std::string found;
    for (auto const& [k, v] : settings)
      if (k == key) found = v;
    return found;
  };
  CHECK(value("Type") == "notify");
  CHECK(!value("WatchdogSec").empty());
  CHECK(value("Restart") == "on-failure");
  // `outreachd reload` reports a refused config as a failed `systemctl reload` (and needs no procps).
  CHECK(value("ExecReload").find("/usr/bin/outreachd reload") != std::string::npos);
  CHECK(value("User") == "outreachd");
  CHECK(value("StateDirectory") == "outreachd");
  CHECK(value("ConfigurationDirectory") == "outreachd");
  CHECK(value("UMask") == "0077");
  CHECK(value("LimitCORE") == "0");  // a core dump would hold every secret (README.md#the-unit)
  CHECK(value("ExecStart").find("outreachd run") != std::string::npos);
  // What the daemon itself needs must stay allowed: inet for the providers, unix for sd_notify and
  // the control socket.
  const std::string families = value("RestrictAddressFamilies");
  for (std::string family : {"AF_INET", "AF_INET6", "AF_UNIX"}) CHECK_MESSAGE(families.find(family) != std::string::npos, family);
  // The shipped sysusers file creates the user the unit runs as.
  CHECK(read_text(source_root() / "systemd" / "outreachd.sysusers").find("u outreachd") != std::string::npos);
}

TEST_CASE("the sysusers and tmpfiles files create the user and private directories in a scratch root") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to chown inside the scratch root");
    return;
  }
  outreach::testing::TempDir root;
  fs::create_directories(root.path() / "etc");
  for (char const* f : {"passwd", "group", "shadow", "gshadow"}) write_text(root.path() / "etc" / f, "");
  auto users = run_process({"systemd-sysusers", "--root=" + root.path().string(),
                            (source_root() / "systemd" / "outreachd.sysusers").string()}, {}, 30s);
  INFO("sysusers: " << users.out << users.err);
  REQUIRE(users.exit_code == 0);
  const std::string passwd = read_text(root.path() / "etc" / "passwd");
  CHECK(passwd.find("outreachd:x:") != std::string::npos);
  CHECK(passwd.find("/usr/sbin/nologin") != std::string::npos);

  auto dirs = run_process({"systemd-tmpfiles", "--root=" + root.path().string(), "--create",
                           (source_root() / "systemd" / "outreachd.tmpfiles").string()}, {}, 30s);
  INFO("tmpfiles: " << dirs.out << dirs.err);
  REQUIRE(dirs.exit_code == 0);
  auto mode = [&](char const* rel) { return fs::status(root.path() / rel).permissions(); };
  using fs::perms;
  CHECK(mode("var/lib/outreachd") == perms::owner_all);
  CHECK(mode("var/lib/outreachd/campaigns") == perms::owner_all);
  CHECK(mode("etc/outreachd/credentials") == perms::owner_all);
  CHECK(mode("etc/outreachd") == (perms::owner_all | perms::group_read | perms::group_exec));
}

TEST_CASE("outreachd run tells systemd READY=1 after the start-up scan, then STATUS=, WATCHDOG=1 and STOPPING=1") {
  Workspace ws;
  Simulator sim(ws.temp.path(), kScenario);
  write_one_account_config(ws, sim);
  // A campaign already waiting when the daemon starts: READY=1 means it has been taken in.
  ws.drop("early.json", R"({"name": "early", "accounts": ["sales-1"], "message": "Hi {{username}}",
                           "recipients": [{"username": "alice"}, {"username": "bob"}]})");
  NotifySocket manager(ws.temp.path() / "notify.sock");
  Daemon daemon(ws, under_systemd(manager));

  auto ready = manager.wait_for([](std::string const& m) { return m == "READY=1"; });
  REQUIRE_MESSAGE(ready, "no READY=1; got: " << manager.all() << "\nlog: " << daemon.log());
  CHECK(fs::exists(ws.watch / "accepted" / "early.json"));
  CHECK(ws.number("SELECT total FROM campaign_status WHERE campaign = 'early'") == 2);

  // The watchdog interval is half of WATCHDOG_USEC, so keep-alives keep coming while it runs.
  for (int i = 0; i < 3; ++i)
    CHECK_MESSAGE(manager.wait_for([](std::string const& m) { return m == "WATCHDOG=1"; }, 5s),
                  "WATCHDOG=1 #" << i << "; got: " << manager.all());

  auto first_status = manager.wait_for([](std::string const& m) { return starts_with(m, "STATUS="); });
  REQUIRE_MESSAGE(first_status, "no STATUS=; got: " << manager.all());
  CHECK(first_status->find("campaign") != std::string::npos);
  // STATUS= is kept current: once both DMs went out it says so.
  auto done = manager.wait_for(
      [](std::string const& m) { return starts_with(m, "STATUS=") && m.find("2 sent") != std::string::npos; }, 20s);
  CHECK_MESSAGE(done, "STATUS= never reported 2 sent; got: " << manager.all() << "\nlog: " << daemon.log());

  auto stopped = daemon.stop(SIGTERM);
  CHECK(stopped.exit_code == 0);
  CHECK_MESSAGE(manager.wait_for([](std::string const& m) { return m == "STOPPING=1"; }, 2s),
                "no STOPPING=1; got: " << manager.all());
  // Nothing after STOPPING=1 claims readiness again.
  const auto& all = manager.messages();
  auto stopping = std::find(all.begin(), all.end(), "STOPPING=1");
  CHECK(std::find(stopping, all.end(), "READY=1") == all.end());
}

TEST_CASE("a big campaign in the start-up scan keeps systemd informed: STATUS= progress, EXTEND_TIMEOUT_USEC=, WATCHDOG=1") {
  Workspace ws;
  Simulator sim(ws.temp.path(), kScenario);
  write_one_account_config(ws, sim);
  // About 2.5 MiB of CSV: more than two progress reports (one per MiB) in each pass. start_at in
  // the future, so nothing is sent: this is about the import alone.
  std::string csv = "username,note\n";
  const std::string note(100, 'n');
  for (int i = 0; i < 24'000; ++i) csv += "user" + std::to_string(i) + "," + note + "\n";
  write_text(ws.watch / "big.csv", csv);
  ws.drop("big.json", R"({"name": "big", "accounts": ["sales-1"], "message": "Hi {{username}} {{note}}",
                         "recipients_csv": "big.csv", "start_at": "2099-01-01T00:00:00Z"})");
  NotifySocket manager(ws.temp.path() / "notify.sock");
  Daemon daemon(ws, under_systemd(manager));

  auto ready = manager.wait_for([](std::string const& m) { return m == "READY=1"; }, 60s);
  REQUIRE_MESSAGE(ready, "no READY=1; got: " << manager.all() << "\nlog: " << daemon.log());
  CHECK(ws.number("SELECT total FROM campaign_status WHERE campaign = 'big'") == 24'000);
  // Everything before READY=1 came from the import itself: the watchdog timer starts only after it.
  const auto& all = manager.messages();
  const auto ready_at = std::find(all.begin(), all.end(), "READY=1");
  auto count = [&](std::string const& prefix) {
    return std::count_if(all.begin(), ready_at, [&](std::string const& m) { return starts_with(m, prefix); });
  };
  INFO("before READY=1: " << manager.all());
  CHECK(count("STATUS=validating big.json: ") >= 2);
  CHECK(count("STATUS=importing big.json: ") >= 2);
  CHECK(count("WATCHDOG=1") >= 4);
  CHECK(count("EXTEND_TIMEOUT_USEC=30000000") >= 4);
  CHECK(daemon.stop(SIGTERM).exit_code == 0);
}

TEST_CASE("without NOTIFY_SOCKET (outside systemd) outreachd run starts and stops cleanly") {
  Workspace ws;
  ws.write_config("");
  ProcessOptions options;
  options.unset_env = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
  Daemon daemon(ws, options);
  REQUIRE_MESSAGE(daemon.wait_ready(), daemon.log());
  CHECK(daemon.stop(SIGTERM).exit_code == 0);
}
