#pragma once
// In-process daemon tests: the real Runtime (workers, group-committed claims, provider sessions,
// intake, watch directory, control socket) against the real simulator behind the real HTTP server
// on 127.0.0.1:0, all in one io_context, on a ManualClock. Time moves only through advance() and
// run_until(), one timer deadline at a time, and only once no HTTP request is out: a 24-hour cap
// or a provider's reset is reached in milliseconds, and events happen in the order of their
// deadlines, whatever the machine's load. What needs a real process (signals, kill -9, systemd,
// the CLI, the real clock) stays in tests/e2e/.
#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/runtime/clock.hpp"
#include "daemon/runtime/runtime.hpp"
#include "daemon/runtime/worker_registry.hpp"
#include "daemon/sim/simulator.hpp"
#include "support/daemon_fixture.hpp"
#include "support/log_capture.hpp"
#include "support/temp_dir.hpp"

namespace outreach::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

/// Where a test's clock starts: a fixed instant, so logged and stored times are reproducible.
inline TimePoint const kTestStart{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours{9}};

/// The status views compute "now" with SQLite's julianday('now'), which reads the VFS's clock. The
/// test's own connection uses a copy of the default VFS whose clock is the test's ManualClock, so
/// the views see the same time as the daemon (the daemon's own statements take `now` as a value).
class ViewClock {
 public:
  static char const* vfs_name(TimePoint now) {
    now_ms() = now.time_since_epoch().count();
    static bool const registered = [] {
      static sqlite3_vfs vfs = *sqlite3_vfs_find(nullptr);
      vfs.zName = "outreachd-test-clock";
      vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
        *out = now_ms() + kJulianEpochMs;
        return SQLITE_OK;
      };
      vfs.xCurrentTime = [](sqlite3_vfs*, double* out) {
        *out = static_cast<double>(now_ms() + kJulianEpochMs) / 86400000.0;
        return SQLITE_OK;
      };
      return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
    }();
    return registered ? "outreachd-test-clock" : nullptr;
  }

 private:
  static constexpr sqlite3_int64 kJulianEpochMs = 210866760000000LL;  // 1970-01-01 as a Julian day, in ms
  static sqlite3_int64& now_ms() {
    static sqlite3_int64 ms = 0;
    return ms;
  }
};

using outreach::testing::LogCapture;

class InProcessSetup {
 public:
  /// The same accounts, scenario and config text as the subprocess harness's Setup.
  InProcessSetup(std::vector<TestAccount> accounts_in, std::string const& users, std::string const& scenario_extra = {},
                 std::string const& x_api_settings = R"({"client_id": "demo-client-id"})")
      : accounts(std::move(accounts_in)),
        sim(parse_scenario_or_throw(scenario_json(accounts, users, scenario_extra, x_api_settings)),
            [this] { return clock.now(); }),
        server(io, "127.0.0.1", 0, [this](HttpRequest const& request) { return sim.handle(request); }) {
    fs::create_directories(state);
    fs::create_directories(watch);
    write_config();
  }

  ~InProcessSetup() {
    if (runtime_ && !runtime_->stopped()) stop();
    runtime_.reset();
    daemon_state_.reset();
  }

  LogCapture log_capture;  // first: the runtime logs until it is destroyed
  outreach::testing::TempDir temp;
  fs::path state = temp.path() / "state";
  fs::path watch = temp.path() / "campaigns";
  fs::path config_path = temp.path() / "outreachd.toml";
  std::vector<TestAccount> accounts;
  std::string pacing = "min_delay = \"100ms\"\nmax_delay = \"300ms\"";
  std::string retry = "base_delay = \"200ms\"\nmax_delay = \"1s\"\nmax_attempts = 3";
  std::string inbox = kTestInbox;  ///< the [inbox] table's lines
  mutable ManualClock clock{kTestStart};  // mutable: reading it (for the views) is not a change
  boost::asio::io_context io;
  Simulator sim;
  HttpServer server;
  std::string last_error;  ///< why start() failed

  /// (Re)writes the config from `accounts`, `pacing` and `retry` (change them, then call this).
  void write_config() const {
    std::ofstream(config_path) << config_text(state.string(), watch.string(), config_body(accounts, server.base_url()),
                                              pacing, retry, inbox);
  }

  SecretEnvironment secrets() const { return SecretEnvironment::from_map(secret_vars(accounts)); }

  /// What `outreachd run` does, in process: load the config, lock and recover the state, start
  /// the runtime, and run its start-up (the watch directory's first scan included).
  bool start() {
    ConfigLoad load = load_config_file(config_path.string(), secrets());
    if (!load.config) {
      last_error = load.errors.empty() ? "config refused" : load.errors.front();
      return false;
    }
    auto opened = open_daemon_state(*load.config, clock.now());
    if (!opened) {
      last_error = opened.error().message;
      return false;
    }
    daemon_state_.emplace(std::move(*opened));
    RuntimeOptions options;
    options.config_path = config_path.string();
    options.handle_signals = false;
    options.seed = 7;
    options.secrets = secrets();
    runtime_ = std::make_unique<Runtime>(io, std::move(*load.config), options, daemon_state_->db, clock);
    runtime_->start();
    settle();
    return true;
  }

  /// SIGTERM's path: in-flight sends finish and are recorded; returns once the runtime stopped.
  void stop() {
    runtime_->shutdown("SIGTERM");
    if (!run_until([&] { return runtime_->stopped(); }, 1h))
      throw std::runtime_error("the runtime did not stop within its grace period");
    (void)checkpoint(daemon_state_->db);
    runtime_.reset();
    daemon_state_.reset();  // the locks go with it, as when the process exits
  }

  /// A restart: stop, then start on the same state directory.
  bool restart() {
    stop();
    return start();
  }

  /// SIGHUP's path, after write_config().
  ReloadOutcome reload() {
    ReloadOutcome out = runtime_->reload();
    settle();
    return out;
  }

  /// What `outreachd pause|resume|retry|suppress` tell a running daemon.
  void notify() {
    runtime_->wake_all();
    settle();
  }

  Runtime& runtime() { return *runtime_; }
  Database& db() { return daemon_state_->db; }
  AccountWorker const& worker(std::string const& account) const {
    auto const* w = runtime_->workers().find(account);
    if (w == nullptr) throw std::runtime_error("no worker for " + account);
    return *w;
  }

  /// Runs the loop, moving the clock to the next timer deadline whenever nothing else can happen,
  /// until `done` holds; false if it still does not once `limit` of clock time has passed (or
  /// nothing is left to happen).
  bool run_until(std::function<bool()> const& done, Duration limit = 1h) {
    TimePoint const end = clock.now() + limit;
    settle();
    while (!done()) {
      auto next = clock.next_deadline();
      if (!next || *next > end) return done();
      clock.advance_to(*next);
      settle();
    }
    return true;
  }

  /// Like run_until(), but looks at `done` after every single handler and leaves the HTTP answers
  /// still out when it holds: for a test that acts (reloads, stops) while a request is out. Once
  /// `done` sees the simulator's answer to a request (sim stats), the daemon has not read it yet.
  bool step_until(std::function<bool()> const& done, Duration limit = 1h) {
    TimePoint const end = clock.now() + limit;
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
      io.restart();
      if (io.poll_one() > 0) {
        give_up = std::chrono::steady_clock::now() + 20s;
        continue;
      }
      if (waiting_for_other_threads()) {
        if (std::chrono::steady_clock::now() > give_up)
          throw std::runtime_error("an HTTP request or an import never finished");
        io.run_one_for(50ms);
        continue;
      }
      auto next = clock.next_deadline();
      if (!next || *next > end) return done();
      clock.advance_to(*next);
    }
    return true;
  }

  /// Lets `span` of clock time pass, every timer due meanwhile ending at its own deadline.
  void advance(Duration span) {
    TimePoint const end = clock.now() + span;
    settle();
    for (auto next = clock.next_deadline(); next && *next <= end; next = clock.next_deadline()) {
      clock.advance_to(*next);
      settle();
    }
    clock.advance_to(end);
    settle();
  }

  /// Runs every handler that is ready, waiting (in real time, bounded) for HTTP answers and for
  /// the import thread's results.
  void settle() {
    auto const give_up = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      io.restart();
      if (io.poll() > 0) continue;
      if (!waiting_for_other_threads()) return;
      if (std::chrono::steady_clock::now() > give_up)
        throw std::runtime_error("an HTTP request or an import never finished");
      io.run_one_for(50ms);
    }
  }

  /// An HTTP answer (the simulator serves on this loop, but the socket is real) or an import's
  /// result (posted from the import thread) is still to come.
  bool waiting_for_other_threads() const {
    return runtime_ && (runtime_->requests_in_flight() > 0 || runtime_->imports_in_progress() > 0);
  }

  /// Drops a campaign as an operator does (written under a temporary name, then renamed in), and
  /// lets the daemon see it.
  void drop(std::string const& name, std::string const& content) {
    place(name, content);
    settle();
  }

  /// Drops a campaign as drop() does, but runs nothing: for a test that steps the loop itself.
  void place(std::string const& name, std::string const& content) const {
    fs::path const tmp = watch / ("." + name + ".tmp");
    std::ofstream(tmp) << content;
    fs::rename(tmp, watch / name);
  }

  /// Rows of a query on the database, through a connection of its own (as an operator's sqlite3).
  json::array sql(std::string const& query) const {
    sqlite3* conn = nullptr;
    std::string const path = (state / "outreachd.db").string();
    if (sqlite3_open_v2(path.c_str(), &conn, SQLITE_OPEN_READONLY, ViewClock::vfs_name(clock.now())) != SQLITE_OK) {
      sqlite3_close(conn);
      return {};
    }
    sqlite3_busy_timeout(conn, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(conn, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      std::string const error = sqlite3_errmsg(conn);
      sqlite3_close(conn);
      throw std::runtime_error("bad query: " + error);
    }
    json::array rows;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      json::object row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        char const* name = sqlite3_column_name(stmt, i);
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER: row[name] = sqlite3_column_int64(stmt, i); break;
          case SQLITE_FLOAT: row[name] = sqlite3_column_double(stmt, i); break;
          case SQLITE_NULL: row[name] = nullptr; break;
          default: row[name] = reinterpret_cast<char const*>(sqlite3_column_text(stmt, i)); break;
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(conn);
    return rows;
  }

  /// One integer from a query such as "SELECT sent FROM campaign_status WHERE …"; -1 when no row.
  std::int64_t number(std::string const& query) const {
    auto rows = sql(query);
    if (rows.empty()) return -1;
    auto const& v = rows.front().as_object().begin()->value();
    return v.is_int64() ? v.as_int64() : -1;
  }

  json::object campaign(std::string const& name) const {
    auto rows = sql("SELECT * FROM campaign_status WHERE campaign = '" + name + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  json::object account(std::string const& name) const {
    auto rows = sql("SELECT * FROM account_status WHERE account = '" + name + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  json::object recipient(std::string const& campaign, std::string const& username) const {
    auto rows = sql("SELECT * FROM recipient_status WHERE campaign = '" + campaign + "' AND username = '" +
                    username + "'");
    return rows.empty() ? json::object{} : rows.front().as_object();
  }
  /// How many of the campaign's recipients are claimed with a request out (0 before the import).
  std::int64_t sending(std::string const& campaign) const {
    return number("SELECT coalesce(sum(sending), 0) FROM campaign_status WHERE campaign = '" + campaign + "'");
  }
  bool campaign_done(std::string const& name) const {
    return number("SELECT count(*) FROM campaign_status WHERE state = 'done' AND campaign = '" + name + "'") == 1;
  }

  /// Every DM the simulator accepted, in order, as the subprocess harness reads them.
  std::vector<json::object> messages() const {
    std::vector<json::object> out;
    for (auto const& m : sim.messages()) out.push_back(json::parse(to_json(m)).as_object());
    return out;
  }

  std::string log() const { return log_capture.text(); }

 private:
  static Scenario parse_scenario_or_throw(std::string const& text) {
    auto scenario = parse_scenario(text);
    if (!scenario) throw std::runtime_error("bad scenario: " + scenario.error().message);
    return std::move(*scenario);
  }

  std::optional<DaemonState> daemon_state_;
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace outreach::test
