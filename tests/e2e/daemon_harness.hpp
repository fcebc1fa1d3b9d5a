#pragma once
// End-to-end harness: the real `outreachd run` against the real `outreachd simulate`, each a child
// process, in a temp directory, over 127.0.0.1 only. State is read the way an operator reads it —
// `sqlite3 -json outreachd.db 'SELECT …'` on the status views — and the simulator's JSON Lines log
// proves what was actually delivered. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/process.hpp"
#include "support/daemon_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace outreach::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

inline void write_text(fs::path const& path, std::string const& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

inline std::string read_text(fs::path const& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; returns whether it held.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

/// `outreachd simulate` on an ephemeral loopback port with a scenario and a message log.
class Simulator {
 public:
  Simulator(fs::path const& dir, std::string const& scenario_json)
      : scenario_(dir / "scenario.json"), log_(dir / "sim-messages.jsonl") {
    write_text(scenario_, scenario_json);
    process_.emplace(std::vector<std::string>{outreachd_bin(), "simulate", "--listen", "127.0.0.1:0", "--scenario",
                                              scenario_.string(), "--log", log_.string()});
    const bool up = eventually([&] { return process_->out().find("listening on ") != std::string::npos; }, 10s);
    if (!up) throw std::runtime_error("simulator did not start: " + process_->err());
    const std::string out = process_->out();
    const auto start = out.find("http://");
    base_url_ = out.substr(start, out.find('\n', start) - start);
  }
  ~Simulator() {
    process_->send_signal(SIGTERM);
    (void)process_->wait(5s);
  }

  std::string const& base_url() const { return base_url_; }
  /// The body of a GET on the simulator (e.g. "/_sim/stats"); throws when it does not answer.
  std::string get(std::string const& path) const;
  /// `GET /_sim/stats` (docs/simulator.md): requests, deliveries, duplicates, fault counts.
  json::object stats() const { return json::parse(get("/_sim/stats")).as_object(); }
  /// Every DM the simulator accepted, in order.
  std::vector<json::object> messages() const {
    std::vector<json::object> out;
    std::istringstream lines(read_text(log_));
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) out.push_back(json::parse(line).as_object());
    return out;
  }

 private:
  fs::path scenario_;
  fs::path log_;
  std::optional<Process> process_;
  std::string base_url_;
};

/// A state dir, a watch dir and a config file for one daemon.
struct Workspace {
  outreach::testing::TempDir temp;
  fs::path state = temp.path() / "state";
  fs::path watch = temp.path() / "campaigns";
  fs::path config = temp.path() / "outreachd.toml";
  fs::path db = state / "outreachd.db";

  Workspace() {
    fs::create_directories(state);
    fs::create_directories(watch);
  }

  /// Writes the config: the common part plus `body` (provider tables and accounts).
  void write_config(std::string const& body, std::string const& pacing = "min_delay = \"100ms\"\nmax_delay = \"300ms\"",
                    std::string const& retry = "base_delay = \"200ms\"\nmax_delay = \"1s\"\nmax_attempts = 3",
                    std::string const& inbox = kTestInbox) const {
    write_text(config, config_text(state.string(), watch.string(), body, pacing, retry, inbox));
  }

  /// Drops a campaign the way README.md#the-watch-directory recommends: written under a temporary
  /// name, then renamed in.
  void drop(std::string const& name, std::string const& content) const {
    const fs::path tmp = watch / ("." + name + ".tmp");
    write_text(tmp, content);
    fs::rename(tmp, watch / name);
  }

  /// Rows of a query on the database, through the sqlite3 CLI; empty on no rows or no database.
  json::array sql(std::string const& query) const {
    if (!fs::exists(db)) return {};
    auto r = run_process({"sqlite3", "-json", "-cmd", ".timeout 5000", db.string(), query}, {}, 10s);
    if (r.exit_code != 0) throw std::runtime_error("sqlite3 failed: " + r.err);
    if (r.out.find_first_not_of(" \n") == std::string::npos) return {};
    return json::parse(r.out).as_array();
  }

  /// One integer from a query such as "SELECT sent FROM campaign_status WHERE …"; -1 when no row.
  std::int64_t number(std::string const& query) const {
    auto rows = sql(query);
    if (rows.empty()) return -1;
    auto const& row = rows.front().as_object();
    auto const& v = row.begin()->value();
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.as_uint64());
    return -1;
  }
};

/// `outreachd run` on a workspace.
class Daemon {
 public:
  explicit Daemon(Workspace const& ws, ProcessOptions options = {}) {
    process_.emplace(std::vector<std::string>{outreachd_bin(), "run", "--config", ws.config.string()},
                     std::move(options));
  }
  ~Daemon() {
    if (!done_) {
      process_->send_signal(SIGKILL);
      (void)process_->wait(5s);
    }
  }
  bool wait_ready(std::chrono::milliseconds timeout = 10s) {
    return eventually([&] { return process_->err().find("outreachd ready") != std::string::npos || exited(); },
                      timeout) &&
           !exited();
  }
  /// Whether the process has ended (read from /proc without reaping it, so wait() still works).
  bool exited() const {
    std::ifstream stat("/proc/" + std::to_string(process_->pid()) + "/stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state)) return true;
    return state == "Z" || state == "X";
  }
  pid_t pid() const { return process_->pid(); }
  void signal(int sig) { process_->send_signal(sig); }
  ProcessResult stop(int sig = SIGTERM, std::chrono::milliseconds timeout = 15s) {
    process_->send_signal(sig);
    done_ = true;
    return process_->wait(timeout);
  }
  std::string log() const { return process_->err(); }

 private:
  std::optional<Process> process_;
  bool done_ = false;
};


// ---- Shared fixtures for the test_daemon_*.cpp files ---------------------------------------------

/// A minimal HTTP/1.1 GET over loopback (Connection: close, so the body is whatever follows the
/// headers until the server closes). Enough for the simulator's own `/_sim/*` endpoints.
inline std::string Simulator::get(std::string const& path) const {
  const auto colon = base_url_.rfind(':');
  const int port = std::stoi(base_url_.substr(colon + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to the simulator");
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) throw std::runtime_error("the simulator gave no answer to GET " + path);
  return response.substr(body + 4);
}








/// A workspace, a simulator whose scenario holds `accounts`, and the matching daemon config.
class Setup {
 public:
  /// `scenario_extra`: more top-level scenario members, e.g. R"("faults": [...])" (no leading comma);
  /// `x_api_settings`: the scenario's providers.x_api object.
  Setup(std::vector<TestAccount> accounts_in, std::string const& users, std::string const& scenario_extra = {},
        std::string const& x_api_settings = R"({"client_id": "demo-client-id"})")
      : accounts(std::move(accounts_in)), sim(ws.temp.path(), scenario(users, scenario_extra, x_api_settings)) {
    write_config();
  }

  Workspace ws;
  std::vector<TestAccount> accounts;
  Simulator sim;
  std::string pacing = "min_delay = \"100ms\"\nmax_delay = \"300ms\"";
  std::string retry = "base_delay = \"200ms\"\nmax_delay = \"1s\"\nmax_attempts = 3";
  std::string inbox = kTestInbox;  ///< the [inbox] table's lines

  /// (Re)writes the config from `accounts`, `pacing`, `retry` and `inbox` (change them, then call this).
  void write_config() const {
    write_text(ws.config, config_text(ws.state.string(), ws.watch.string(), config_body(accounts, sim.base_url()),
                                      pacing, retry, inbox));
  }

  /// Every secret the config refers to, for the daemon's (and the CLI's) environment.
  ProcessOptions secrets() const {
    ProcessOptions o;
    o.env = secret_vars(accounts);
    return o;
  }

  /// A daemon on this setup; nullptr when it did not become ready (its log is in `last_log`).
  std::unique_ptr<Daemon> start() {
    auto daemon = std::make_unique<Daemon>(ws, secrets());
    if (!daemon->wait_ready()) {
      last_log = daemon->log();
      return nullptr;
    }
    return daemon;
  }

  /// `outreachd ARGS... --config CONFIG`, run to completion.
  ProcessResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), outreachd_bin());
    args.push_back("--config");
    args.push_back(ws.config.string());
    return run_process(args, secrets(), std::chrono::seconds{20});
  }

  /// The campaign_status row of `campaign` (empty object when there is none).
  json::object campaign(std::string const& campaign) const {
    auto rows = ws.sql("SELECT * FROM campaign_status WHERE campaign = '" + campaign + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  /// The account_status row of `account` (empty object when there is none).
  json::object account(std::string const& account) const {
    auto rows = ws.sql("SELECT * FROM account_status WHERE account = '" + account + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  /// The recipient_status row of a username (empty object when there is none).
  json::object recipient(std::string const& campaign, std::string const& username) const {
    auto rows = ws.sql("SELECT * FROM recipient_status WHERE campaign = '" + campaign + "' AND username = '" +
                       username + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  /// How many of the campaign's recipients are claimed with a request out (0 before the import).
  std::int64_t sending(std::string const& campaign) const {
    return ws.number("SELECT coalesce(sum(sending), 0) FROM campaign_status WHERE campaign = '" + campaign + "'");
  }

  bool campaign_done(std::string const& campaign) const {
    return ws.number("SELECT count(*) FROM campaign_status WHERE state = 'done' AND campaign = '" + campaign + "'") == 1;
  }

  std::string last_log;

  static std::string sender_id(std::size_t i) { return outreach::test::sender_id(i); }

 private:
  std::string scenario(std::string const& users, std::string const& extra, std::string const& x_api) const {
    return scenario_json(accounts, users, extra, x_api);
  }
};

}  // namespace outreach::test
