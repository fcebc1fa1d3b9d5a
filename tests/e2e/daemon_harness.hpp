#pragma once
// End-to-end harness: the real `outreachd run` against the real `outreachd simulate`, each a child
// process, in a temp directory, over 127.0.0.1 only. State is read the way an operator reads it —
// `sqlite3 -json outreachd.db 'SELECT …'` on the SPEC §5 views — and the simulator's JSON Lines log
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
#include "support/temp_dir.hpp"

namespace outreach::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

inline std::string outreachd_bin() {
  const char* bin = std::getenv("OUTREACHD_BIN");
  if (bin == nullptr) throw std::runtime_error("OUTREACHD_BIN is not set (run through ctest)");
  return bin;
}

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
                    std::string const& retry = "base_delay = \"200ms\"\nmax_delay = \"1s\"\nmax_attempts = 3") const {
    write_text(config, "state_dir = \"" + state.string() + "\"\nwatch_dir = \"" + watch.string() +
                           "\"\nlog_level = \"debug\"\n\n[pacing]\n" + pacing + "\n\n[retry]\n" + retry +
                           "\n\n[http]\nconnect_timeout = \"1s\"\nrequest_timeout = \"2s\"\n\n" + body);
  }

  /// Drops a campaign the way SPEC §3 recommends: written under a temporary name, then renamed in.
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

/// A JSON value as text for comparisons: strings as they are, null as "<null>", numbers in decimal.
inline std::string str(json::value const& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "<null>";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  return json::serialize(v);
}

/// Milliseconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.mmm]Z".
inline std::int64_t iso_ms(std::string_view iso) {
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(iso.substr(pos, len))); };
  const std::chrono::year_month_day date{std::chrono::year{num(0, 4)}, std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(num(8, 2))}};
  std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::sys_days{date}.time_since_epoch())
                        .count();
  ms += ((num(11, 2) * 60 + num(14, 2)) * 60 + num(17, 2)) * 1000LL;
  if (iso.size() > 20 && iso[19] == '.') ms += num(20, 3);
  return ms;
}

/// One sending account, configured in both the scenario and the daemon's config. Its secrets are
/// derived from its name (session-NAME, access-NAME, refresh-NAME) and reach the daemon through
/// environment variables, as in production.
struct TestAccount {
  std::string name;
  std::string provider;   ///< getxapi | twitterapi_io | tweetapi | x_api
  std::string toml = {};  ///< extra lines for its [[accounts]] entry, e.g. "daily_cap = 3\n"
  std::string json = {};  ///< extra members for its scenario entry, e.g. R"("state": "expired")"
};

inline std::string env_key(std::string prefix, std::string const& name) {
  for (char c : name) prefix.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_');
  return prefix;
}

/// A scenario users array: open users, users with DMs closed, users that do not exist. Ids are
/// 1000000000000000001 … in the order given (open first, then closed).
inline std::string users_json(std::vector<std::string> const& open, std::vector<std::string> const& closed = {},
                              std::vector<std::string> const& missing = {}) {
  std::string out = "[";
  int n = 0;
  auto add = [&](std::string const& entry) { out += (out.size() > 1 ? ",\n    " : "\n    ") + entry; };
  for (auto const& u : open) add(R"({"username": ")" + u + R"(", "id": ")" + std::to_string(1000000000000000001LL + n++) + "\"}");
  for (auto const& u : closed)
    add(R"({"username": ")" + u + R"(", "id": ")" + std::to_string(1000000000000000001LL + n++) + R"(", "can_dm": false})");
  for (auto const& u : missing) add(R"({"username": ")" + u + R"(", "exists": false})");
  return out + "\n  ]";
}

/// The id users_json gives the i-th user (0-based).
inline std::string user_id(int i) { return std::to_string(1000000000000000001LL + i); }

/// How many times `part` occurs in `text` (e.g. a log line).
inline int count_of(std::string const& text, std::string const& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
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

  /// (Re)writes the config from `accounts`, `pacing` and `retry` (change them, then call this).
  void write_config() const {
    std::string body;
    auto base = [&](std::string const& p) { return "base_url = \"" + sim.base_url() + "/" + p + "\"\n\n"; };
    body += "[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\n" + base("getxapi");
    body += "[providers.twitterapi_io]\napi_key = { env = \"TIO_KEY\" }\n" + base("twitterapi_io");
    body += "[providers.tweetapi]\napi_key = { env = \"TWEET_KEY\" }\n" + base("tweetapi");
    body += "[providers.x_api]\nclient_id = \"demo-client-id\"\n" + base("x_api");
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      auto const& a = accounts[i];
      body += "[[accounts]]\nname = \"" + a.name + "\"\nprovider = \"" + a.provider + "\"\ntier = \"new\"\n";
      if (a.provider == "x_api") {
        body += "access_token = { env = \"" + env_key("ACCESS_", a.name) + "\" }\nrefresh_token = { env = \"" +
                env_key("REFRESH_", a.name) + "\" }\n";
      } else {
        body += "auth_token = { env = \"" + env_key("SESSION_", a.name) + "\" }\n";
      }
      if (a.provider == "twitterapi_io" || a.provider == "tweetapi") body += "proxy = \"http://user:pw@127.0.0.1:9\"\n";
      if (a.provider == "tweetapi" && a.toml.find("user_id") == std::string::npos)
        body += "user_id = \"" + sender_id(i) + "\"\n";
      body += a.toml + "\n";
    }
    ws.write_config(body, pacing, retry);
  }

  /// Every secret the config refers to, for the daemon's (and the CLI's) environment.
  ProcessOptions secrets() const {
    ProcessOptions o;
    o.env = {{"GX_KEY", "gx-key"}, {"TIO_KEY", "tio-key"}, {"TWEET_KEY", "tweet-key"}};
    for (auto const& a : accounts) {
      o.env[env_key("SESSION_", a.name)] = "session-" + a.name;
      o.env[env_key("ACCESS_", a.name)] = "access-" + a.name;
      o.env[env_key("REFRESH_", a.name)] = "refresh-" + a.name;
    }
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

  static std::string sender_id(std::size_t i) { return std::to_string(1858475867762270001LL + static_cast<long long>(i)); }

 private:
  std::string scenario(std::string const& users, std::string const& extra, std::string const& x_api) const {
    std::string s = "{\n  \"seed\": 7,\n  \"users\": " + users + ",\n  \"accounts\": [";
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      auto const& a = accounts[i];
      s += std::string(i ? ",\n" : "\n") + "    {\"name\": \"" + a.name + "\", \"provider\": \"" + a.provider +
           "\", \"user_id\": \"" + sender_id(i) + "\"";
      if (a.provider == "x_api") s += ", \"access_token\": \"access-" + a.name + "\", \"refresh_token\": \"refresh-" + a.name + "\"";
      else s += ", \"token\": \"session-" + a.name + "\"";
      if (!a.json.empty()) s += ", " + a.json;
      s += "}";
    }
    s += "\n  ],\n  \"providers\": {\"getxapi\": {\"api_keys\": [\"gx-key\"]}, \"twitterapi_io\": {\"api_keys\": [\"tio-key\"]}, "
         "\"tweetapi\": {\"api_keys\": [\"tweet-key\"]}, \"x_api\": " + x_api + "}";
    if (!extra.empty()) s += ",\n  " + extra;
    return s + "\n}\n";
  }
};

}  // namespace outreach::test
