#pragma once
// The daemon benchmarks' plumbing (bench_daemon, bench_import): their command line and summary
// table, the real `outreachd simulate` and `outreachd run` as child processes (through the e2e
// tests' Process, so output goes to unlinked files and every wait is bounded), a temp directory,
// read-only SQL on the daemon's database, /proc readings (CPU time, RSS), a minimal loopback HTTP
// GET for the simulator's /_sim endpoints, and a fleet of accounts on the simulator with
// bench_daemon's pacing method. Header-only, bench-only.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/iso_time.hpp"
#include "tests/e2e/process.hpp"

namespace outreach::bench {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using outreach::test::Process;
using outreach::test::ProcessOptions;

/// Every failure of the bench itself: main prints it and exits 1 (temp dir and children cleaned up
/// by the destructors on the way out).
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] inline void fail(std::string const& message) { throw BenchFailure(message); }

inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void write_text(fs::path const& path, std::string const& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) fail("cannot write " + path.string());
}

/// Polls `done` every `every` until it holds or `timeout` passes; returns whether it held.
template <class Pred>
bool wait_for(Pred done, std::chrono::milliseconds timeout, std::chrono::milliseconds every = 20ms) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/bench_daemon-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) fail("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  /// Leave the directory behind (for inspection) instead of removing it.
  void keep() { keep_ = true; }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  fs::path const& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_ = false;
};

// ---------------------------------------------------------------- command line

/// A daemon benchmark's command line, read left to right: `while (args.next())`, is() to tell the
/// option and value() / positive_number() to take its value. A malformed one ends the process:
/// usage to stderr and exit 2. The flags every daemon benchmark takes, --quick and --keep, it reads
/// itself: quick() and keep().
class CommandLine {
 public:
  using Usage = void (*)(std::FILE*);
  /// `program` prefixes the messages ("bench_daemon: --x needs a positive number").
  CommandLine(char const* program, int argc, char** argv, Usage usage)
      : program_(program), argc_(argc), argv_(argv), usage_(usage) {}

  /// Moves to the next argument other than --quick and --keep; false past the last.
  bool next() {
    while (++i_ < argc_) {
      if (is("--quick"))
        quick_ = true;
      else if (is("--keep"))
        keep_ = true;
      else
        return true;
    }
    return false;
  }
  /// --quick: a short smoke run.
  bool quick() const { return quick_; }
  /// --keep: leave the temp dir for inspection.
  bool keep() const { return keep_; }

  /// Whether the current argument is `option`.
  bool is(char const* option) const { return std::strcmp(argv_[i_], option) == 0; }

  /// The argument after the current option.
  std::string value() {
    if (i_ + 1 >= argc_) bad_usage();
    return argv_[++i_];
  }
  /// The argument after the current option as a whole number > 0 (one above `at_most` reads as
  /// `at_most`); anything else is an error.
  std::int64_t positive_number(std::int64_t at_most = std::numeric_limits<std::int64_t>::max()) {
    const std::string text = value();
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (v <= 0 || end == text.c_str() || *end != '\0') {
      std::fprintf(stderr, "%s: %s needs a positive number\n", program_, argv_[i_ - 1]);
      std::exit(2);
    }
    return std::min<std::int64_t>(v, at_most);
  }

  /// For an argument no option matched: --help and -h print the usage and exit 0; anything else is
  /// an error.
  [[noreturn]] void not_an_option() const {
    if (is("--help") || is("-h")) {
      usage_(stdout);
      std::exit(0);
    }
    bad_usage();
  }
  [[noreturn]] void bad_usage() const {
    usage_(stderr);
    std::exit(2);
  }

 private:
  char const* program_;
  int argc_;
  char** argv_;
  Usage usage_;
  int i_ = 0;
  bool quick_ = false, keep_ = false;
};

// ---------------------------------------------------------------- /proc

/// CPU time of a process as the kernel accounts it.
struct CpuReading {
  double stat_seconds = 0;    ///< utime + stime from /proc/PID/stat (clock ticks: 10 ms steps)
  double sched_seconds = 0;   ///< on a CPU: sum over threads of /proc/PID/task/*/schedstat (ns resolution)
  double queued_seconds = 0;  ///< runnable but waiting for a CPU (schedstat's second field)
  std::int64_t switches = 0;  ///< context switches over all threads (≈ wake-ups)
};

inline std::string read_file(fs::path const& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline CpuReading read_cpu(pid_t pid) {
  CpuReading r;
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string stat = read_file(base + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) fail("cannot read " + base + "/stat (has the process exited?)");
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;) f.push_back(x);
  if (f.size() < 13) fail("unexpected " + base + "/stat");
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  r.stat_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
  if (DIR* d = ::opendir((base + "/task").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string task = base + "/task/" + e->d_name;
      std::istringstream sched(read_file(task + "/schedstat"));
      std::uint64_t ns = 0, waited = 0;
      if (sched >> ns >> waited) {
        r.sched_seconds += static_cast<double>(ns) / 1e9;
        r.queued_seconds += static_cast<double>(waited) / 1e9;
      }
      std::istringstream status(read_file(task + "/status"));
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
          r.switches += std::stoll(line.substr(line.find(':') + 1));
      }
    }
    ::closedir(d);
  }
  return r;
}

/// A "VmHWM"/"VmRSS"-style line of /proc/PID/status, in kB; -1 when absent.
inline std::int64_t status_kb(pid_t pid, std::string const& key) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return -1;
}

/// The load average, and the CPU pressure (PSI: share of the last 60 s in which some runnable task
/// waited for a CPU) when the kernel reports it: other work on the machine skews every figure here.
inline std::string load_average() {
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::string pressure;
  std::getline(std::ifstream("/proc/pressure/cpu"), pressure);
  if (const auto at = pressure.find("avg60="); at != std::string::npos)
    load += "; CPU pressure (some, avg60) " + pressure.substr(at + 6, pressure.find(' ', at) - at - 6) + "%";
  return load;
}

// ---------------------------------------------------------------- summary

/// One line of the table a benchmark ends with.
struct SummaryLine {
  std::string what, measured, reference, target, status;
};

/// The closing table: the run's length, the load average and `lines` under a header, the first
/// column `what_width` wide.
inline void print_summary(std::vector<SummaryLine> const& lines, SteadyClock::time_point start, int what_width) {
  std::printf("summary (%.0f s; load average now %s)\n", seconds_since(start), load_average().c_str());
  std::printf("  %-*s %-26s %-46s %-18s %s\n", what_width, "figure", "measured", "reference (same run)", "target", "");
  for (auto const& s : lines)
    std::printf("  %-*s %-26s %-46s %-18s %s\n", what_width, s.what.c_str(), s.measured.c_str(), s.reference.c_str(),
                s.target.c_str(), s.status.c_str());
}

// ---------------------------------------------------------------- SQL

/// A read-only connection to the daemon's database (WAL: it never blocks the daemon's writer).
class SqlReader {
 public:
  explicit SqlReader(fs::path const& db) {
    if (sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      fail("cannot open " + db.string() + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqlReader() { sqlite3_close(db_); }
  SqlReader(SqlReader const&) = delete;
  SqlReader& operator=(SqlReader const&) = delete;

  /// A row as text columns (NULL → nullopt).
  using Row = std::vector<std::optional<std::string>>;

  /// Runs `query` with `params` bound as text to ?1, ?2, … and calls `on_row` for every row.
  void each(std::string const& query, std::vector<std::string> const& params,
            std::function<void(Row const&)> const& on_row) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      fail("SQL error in \"" + query + "\": " + sqlite3_errmsg(db_));
    for (std::size_t i = 0; i < params.size(); ++i)
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    Row row;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      row.assign(static_cast<std::size_t>(sqlite3_column_count(stmt)), std::nullopt);
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) continue;
        row[static_cast<std::size_t>(i)] = reinterpret_cast<char const*>(sqlite3_column_text(stmt, i));
      }
      on_row(row);
    }
    const std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (!error.empty()) fail("SQL error in \"" + query + "\": " + error);
  }
  void each(std::string const& query, std::function<void(Row const&)> const& on_row) { each(query, {}, on_row); }

  /// The first column of the first row as an integer; `none` when there is no row or it is NULL.
  std::int64_t number(std::string const& query, std::int64_t none = -1) {
    std::int64_t out = none;
    bool first = true;
    each(query, [&](Row const& row) {
      if (first && !row.empty() && row[0]) out = std::stoll(*row[0]);
      first = false;
    });
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

/// Counts of one campaign (campaign_status), all -1 until it exists.
struct CampaignCounts {
  std::int64_t total = -1, queued = -1, sent = -1, failed = -1, skipped = -1, unknown = -1;
  bool exists() const { return total >= 0; }
};

inline CampaignCounts campaign_counts(fs::path const& db, std::string const& campaign) {
  CampaignCounts c;
  if (!fs::exists(db)) return c;
  SqlReader sql(db);
  sql.each(
      "SELECT total, pending + retrying + sending, sent, failed, skipped, unknown FROM campaign_status "
      "WHERE campaign = ?1",
      {campaign}, [&](SqlReader::Row const& r) {
        c.total = std::stoll(r[0].value_or("0"));
        c.queued = std::stoll(r[1].value_or("0"));
        c.sent = std::stoll(r[2].value_or("0"));
        c.failed = std::stoll(r[3].value_or("0"));
        c.skipped = std::stoll(r[4].value_or("0"));
        c.unknown = std::stoll(r[5].value_or("0"));
      });
  return c;
}

// ---------------------------------------------------------------- HTTP

/// GET http://127.0.0.1:port/path over a fresh connection; the body. Bounded by 10 s.
inline std::string http_get(std::uint16_t port, std::string const& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket failed");
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    fail("cannot connect to the simulator on port " + std::to_string(port));
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    fail("cannot send a request to the simulator");
  }
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos)
    fail("the simulator answered " + path + " with: " + response.substr(0, 200));
  return response.substr(body + 4);
}

// ---------------------------------------------------------------- the binaries

/// `outreachd`: $OUTREACHD_BIN, else ../daemon/outreachd next to this executable in the build tree.
inline std::string outreachd_path() {
  if (char const* bin = std::getenv("OUTREACHD_BIN")) return bin;
  const fs::path self = fs::read_symlink("/proc/self/exe");
  const fs::path bin = self.parent_path().parent_path() / "daemon" / "outreachd";
  if (!fs::exists(bin)) fail("cannot find outreachd at " + bin.string() + "; set OUTREACHD_BIN");
  return bin.string();
}

/// `outreachd simulate` on an ephemeral loopback port.
class SimulatorProcess {
 public:
  SimulatorProcess(std::string const& bin, fs::path const& scenario, std::optional<fs::path> const& log = {}) {
    std::vector<std::string> argv{bin, "simulate", "--listen", "127.0.0.1:0", "--scenario", scenario.string()};
    if (log) {
      argv.push_back("--log");
      argv.push_back(log->string());
    }
    process_.emplace(argv);
    if (!wait_for([&] { return process_->out().find("listening on ") != std::string::npos; }, 15s))
      fail("the simulator did not start: " + process_->err());
    const std::string out = process_->out();
    const auto start = out.find("http://");
    base_url_ = out.substr(start, out.find('\n', start) - start);
    port_ = static_cast<std::uint16_t>(std::stoi(base_url_.substr(base_url_.rfind(':') + 1)));
  }
  ~SimulatorProcess() {
    process_->send_signal(SIGTERM);
    (void)process_->wait(10s);
  }
  SimulatorProcess(SimulatorProcess const&) = delete;
  SimulatorProcess& operator=(SimulatorProcess const&) = delete;

  std::string const& base_url() const { return base_url_; }
  pid_t pid() const { return process_->pid(); }
  json::object stats() const { return json::parse(http_get(port_, "/_sim/stats")).as_object(); }

 private:
  std::optional<Process> process_;
  std::string base_url_;
  std::uint16_t port_ = 0;
};

/// `outreachd run --config FILE`; its log (stderr) is copied to outreachd.log beside the config
/// when it ends.
class DaemonProcess {
 public:
  DaemonProcess(std::string const& bin, fs::path const& config, ProcessOptions options)
      : log_copy_(config.parent_path() / "outreachd.log") {
    process_.emplace(std::vector<std::string>{bin, "run", "--config", config.string()}, std::move(options));
  }
  ~DaemonProcess() {
    if (!stopped_) {
      process_->send_signal(SIGKILL);
      (void)process_->wait(10s);
      save_log(process_->err());
    }
  }
  DaemonProcess(DaemonProcess const&) = delete;
  DaemonProcess& operator=(DaemonProcess const&) = delete;

  void wait_ready(std::chrono::milliseconds timeout = 60s) {
    const bool ready = wait_for(
        [&] { return exited() || process_->err().find("outreachd ready") != std::string::npos; }, timeout, 50ms);
    if (!ready || exited()) fail("outreachd did not become ready:\n" + tail(process_->err()));
  }
  bool exited() const {
    std::ifstream stat("/proc/" + std::to_string(process_->pid()) + "/stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state)) return true;
    return state == "Z" || state == "X";
  }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return process_->err(); }

  /// SIGTERM and wait; fails unless it exits 0 in time. Returns its whole log.
  std::string stop(std::chrono::milliseconds timeout = 60s) {
    process_->send_signal(SIGTERM);
    stopped_ = true;
    auto result = process_->wait(timeout);
    save_log(result.err);
    if (result.exit_code != 0)
      fail("outreachd did not stop cleanly (exit " + std::to_string(result.exit_code) + ", signal " +
           std::to_string(result.term_signal) + "):\n" + tail(result.err));
    return result.err;
  }

  static std::string tail(std::string const& text, std::size_t lines = 15) {
    std::size_t pos = text.size();
    for (std::size_t i = 0; i < lines && pos > 0; ++i) {
      pos = text.rfind('\n', pos - 1);
      if (pos == std::string::npos) return text;
    }
    return text.substr(pos + 1);
  }

 private:
  void save_log(std::string const& text) const {
    std::ofstream out(log_copy_, std::ios::trunc);
    out << text;
  }

  fs::path log_copy_;
  std::optional<Process> process_;
  bool stopped_ = false;
};

// ---------------------------------------------------------------- numbers

/// The q-quantile (0..1) of `v` by nearest rank (the p99 of 100 values is the 99th); 0 when empty.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(q * static_cast<double>(v.size()));
  const auto index = rank < 1 ? std::size_t{0} : static_cast<std::size_t>(rank) - 1;
  return v[std::min(index, v.size() - 1)];
}

// ---------------------------------------------------------------- a fleet on the simulator
// The daemon benchmarks' set-up and bench_daemon's pacing method, so that every daemon benchmark
// (bench_daemon, bench_import) measures the same way: n getxapi accounts acct-0001… on the
// simulator's load users, a workspace (state dir, watch dir, config), campaign files, the machine's
// timer and disk references, and the matching of each account's stored next_send_at with its next
// claim and with the moment the simulator received that DM.

inline constexpr std::uint64_t kFirstUserId = 5'000'000'000'000'000'000ULL;  ///< the simulator's `load0`
inline constexpr char const* kApiKey = "bench-gx-key";
inline constexpr char const* kMessage = "Hi {{user_id}}, this is a benchmark message from outreachd.";

inline std::string numbered(char const* format, int i) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, i);
  return buffer;
}
inline std::string account_name(int i) { return numbered("acct-%04d", i); }
inline std::string session_token(int i) { return numbered("session-%04d", i); }
inline std::string session_env(int i) { return numbered("BENCH_SESSION_%04d", i); }
inline std::string sender_id(int i) {
  return std::to_string(std::uint64_t{1858475867700000000} + static_cast<std::uint64_t>(i));
}

/// acct-0001 … acct-000n.
inline std::vector<std::string> account_names(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i) names.push_back(account_name(i));
  return names;
}

/// The simulator's scenario: n getxapi accounts with caps that never bind, and the generated load
/// users (all open).
inline std::string scenario_json(int n) {
  std::string s = R"({"seed": 1,
 "user_ranges": [{"prefix": "load", "count": 1000000, "first_id": "5000000000000000000"}],
 "providers": {"getxapi": {"api_keys": [")" +
                  std::string(kApiKey) + R"("]}},
 "accounts": [
)";
  for (int i = 1; i <= n; ++i) {
    s += R"(  {"name": ")" + account_name(i) + R"(", "provider": "getxapi", "token": ")" + session_token(i) +
         R"(", "user_id": ")" + sender_id(i) + R"(", "daily_cap": 100000000})";
    s += i < n ? ",\n" : "\n";
  }
  return s + "]}\n";
}

/// The API key and every account's session, by environment variable (as an operator would).
inline ProcessOptions secrets(int n) {
  ProcessOptions o;
  o.env["BENCH_GX_KEY"] = kApiKey;
  for (int i = 1; i <= n; ++i) o.env[session_env(i)] = session_token(i);
  return o;
}

/// One daemon's directories and files under `dir`.
struct Workspace {
  fs::path dir, state, watch, config, db;
  explicit Workspace(fs::path d)
      : dir(std::move(d)),
        state(dir / "state"),
        watch(dir / "campaigns"),
        config(dir / "outreachd.toml"),
        db(state / "outreachd.db") {
    fs::create_directories(state);
    fs::create_directories(watch);
  }
};

struct PacingWindowText {
  std::string min, max;
};

/// The daemon's config: n getxapi accounts of `tier` (optionally a lower daily_cap) on the simulator.
inline void write_config(Workspace const& ws, std::string const& base_url, int n, PacingWindowText const& pacing,
                         std::string const& tier, std::optional<int> daily_cap = std::nullopt) {
  std::string c = "state_dir = \"" + ws.state.string() + "\"\nwatch_dir = \"" + ws.watch.string() +
                  "\"\nlog_level = \"info\"\n\n[pacing]\nmin_delay = \"" + pacing.min + "\"\nmax_delay = \"" +
                  pacing.max +
                  "\"\n\n[http]\nconnect_timeout = \"5s\"\nrequest_timeout = \"10s\"\n\n"
                  "[providers.getxapi]\napi_key = { env = \"BENCH_GX_KEY\" }\nbase_url = \"" +
                  base_url + "/getxapi\"\n";
  for (int i = 1; i <= n; ++i) {
    c += "\n[[accounts]]\nname = \"" + account_name(i) + "\"\nprovider = \"getxapi\"\ntier = \"" + tier + "\"\n";
    if (daily_cap) c += "daily_cap = " + std::to_string(*daily_cap) + "\n";
    c += "auth_token = { env = \"" + session_env(i) + "\" }\n";
  }
  write_text(ws.config, c);
}

/// A campaign over accounts 1..n with `count` user_id recipients load<first>…, written as a stream.
inline void write_campaign(fs::path const& path, std::string const& name, int n, std::int64_t first,
                           std::int64_t count) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) fail("cannot write " + path.string());
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  std::fprintf(f, "{\"name\": \"%s\",\n \"accounts\": [", name.c_str());
  for (int i = 1; i <= n; ++i) std::fprintf(f, "%s\"%s\"", i > 1 ? ", " : "", account_name(i).c_str());
  std::fprintf(f, "],\n \"message\": \"%s\",\n \"recipients\": [\n", kMessage);
  for (std::int64_t i = 0; i < count; ++i)
    std::fprintf(f, "  {\"user_id\": \"%" PRIu64 "\"}%s\n", kFirstUserId + static_cast<std::uint64_t>(first + i),
                 i + 1 < count ? "," : "");
  std::fprintf(f, "]}\n");
  if (std::fclose(f) != 0) fail("cannot write " + path.string());
}

/// Writes the campaign under a hidden name in the watch dir, then renames it in
/// (README.md#the-watch-directory).
inline void drop_campaign(Workspace const& ws, std::string const& name, int n, std::int64_t count) {
  const fs::path tmp = ws.watch / ("." + name + ".json.tmp");
  write_campaign(tmp, name, n, 0, count);
  fs::rename(tmp, ws.watch / (name + ".json"));
}

/// Waits until campaign_status shows `name` with `total` recipients; fails (with the daemon's log)
/// if the daemon exits, rejects a file or takes longer than `timeout`.
inline void wait_imported(Workspace const& ws, DaemonProcess const& daemon, std::string const& name,
                          std::int64_t total, std::chrono::milliseconds timeout) {
  const bool ok = wait_for(
      [&] {
        if (daemon.exited()) return true;
        if (fs::exists(ws.watch / "rejected")) return true;
        return campaign_counts(ws.db, name).total == total;
      },
      timeout, 100ms);
  if (!ok || daemon.exited() || campaign_counts(ws.db, name).total != total)
    fail("campaign " + name + " was not imported (" + std::to_string(total) + " recipients):\n" +
         DaemonProcess::tail(daemon.log()));
}

inline std::string verdict(bool met) { return met ? "met" : "MISSED"; }

/// The machine's own timer noise, measured while the daemon runs: a thread sleeping to absolute
/// deadlines 20–100 ms apart records how late it wakes. No daemon can be more punctual than this.
class TimerNoise {
 public:
  TimerNoise() : thread_([this] { loop(); }) {}
  ~TimerNoise() { stop(); }
  TimerNoise(TimerNoise const&) = delete;
  TimerNoise& operator=(TimerNoise const&) = delete;

  std::vector<double> const& stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return late_ms_;
  }

 private:
  void loop() {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> gap(20, 100);
    while (!stop_) {
      const auto target = SteadyClock::now() + std::chrono::milliseconds(gap(rng));
      std::this_thread::sleep_until(target);
      late_ms_.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - target).count());
    }
  }
  std::atomic<bool> stop_{false};
  std::vector<double> late_ms_;
  std::thread thread_;
};

/// The disk's own durable-commit latency, measured while the daemon runs: a thread making a tiny
/// synchronous=FULL commit to a database of its own on the same disk every 200 ms. Every send
/// waits for one durable claim commit first (docs/send-rules.md#claim-before-send), so a slow fsync
/// here is a late send there.
class DiskSyncLatency {
 public:
  explicit DiskSyncLatency(fs::path const& db) : path_(db), thread_([this] { loop(); }) {}
  ~DiskSyncLatency() { stop(); }
  DiskSyncLatency(DiskSyncLatency const&) = delete;
  DiskSyncLatency& operator=(DiskSyncLatency const&) = delete;

  std::vector<double> const& stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return commit_ms_;
  }

 private:
  void loop() {
    sqlite3* db = nullptr;
    if (sqlite3_open(path_.c_str(), &db) != SQLITE_OK) return;  // no samples: printed as n=0
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE IF NOT EXISTS t (x INTEGER)",
                 nullptr, nullptr, nullptr);
    for (int i = 0; !stop_; ++i) {
      std::this_thread::sleep_for(200ms);
      const std::string sql = "INSERT INTO t VALUES (" + std::to_string(i) + ")";
      const auto start = SteadyClock::now();
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) break;
      commit_ms_.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
    }
    sqlite3_close(db);
  }
  fs::path path_;
  std::atomic<bool> stop_{false};
  std::vector<double> commit_ms_;
  std::thread thread_;
};

inline void print_distribution(char const* label, std::vector<double> const& v) {
  std::printf("   %-58s p50 %6.1f  p90 %6.1f  p99 %6.1f  max %7.1f ms  (n=%zu)\n", label, quantile(v, 0.5),
              quantile(v, 0.9), quantile(v, 0.99), v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), v.size());
}

/// bench_daemon's pacing method, step 1: after each send the daemon stores the account's next
/// allowed send time (end of the attempt + the drawn gap) in accounts.next_send_at; poll() reads
/// it (every 100 ms is enough: a gap is >= min_delay) and keeps every distinct value per account.
class ScheduleRecorder {
 public:
  void poll(SqlReader& sql) {
    sql.each("SELECT name, state, next_send_at FROM accounts", [&](SqlReader::Row const& r) {
      if (r[1] == std::optional<std::string>("pacing") && r[2]) schedules_[*r[0]].insert(std::stoll(*r[2]));
    });
  }
  std::map<std::string, std::set<std::int64_t>> const& schedules() const { return schedules_; }

 private:
  std::map<std::string, std::set<std::int64_t>> schedules_;
};

/// One gap that ended in a send: wall-clock milliseconds, the daemon's and the simulator's clocks
/// being the same machine clock.
struct PacedSend {
  std::string account;
  std::int64_t previous_end_ms = 0;  ///< the end (recipients.sent_at) of the send that started the gap
  std::int64_t scheduled_ms = 0;     ///< next_send_at: previous end + the drawn gap
  std::int64_t claimed_ms = 0;       ///< the next claim (recipients.claimed_at)
  std::int64_t dm_ms = -1;           ///< when the simulator received that DM; -1 if not in its log
  std::int64_t end_ms = 0;           ///< that send's end

  double wake_late_ms() const { return static_cast<double>(claimed_ms - scheduled_ms); }
  double dm_late_ms() const { return static_cast<double>(dm_ms - scheduled_ms); }
  double claim_to_dm_ms() const { return static_cast<double>(dm_ms - claimed_ms); }
};

/// Step 2, after the daemon stopped and the simulator flushed its log: each recorded schedule
/// matched with the send that started its gap and the next one.
struct PacingRecord {
  std::vector<PacedSend> sends;  ///< every schedule matched with its next send
  std::int64_t total_sends = 0;  ///< claimed and sent
  std::int64_t paced_sends = 0;  ///< sends after a gap (every one but an account's first)
  std::int64_t not_sent = 0;     ///< claimed but not (yet) sent
  std::int64_t bad_gap = 0;      ///< schedules whose gap from the previous end lies outside [min, max]
  std::string first_bad;         ///< the first of those, for the record
  std::int64_t gap_min = 0, gap_max = 0;  ///< drawn gaps of the matched schedules
  std::int64_t spacing_min = 0;  ///< smallest DM-to-DM spacing of an account at the simulator
  std::int64_t below_min = 0;    ///< DM-to-DM spacings below min_delay

  /// The matched sends whose schedule lies in [from_ms, to_ms).
  std::vector<PacedSend> scheduled_in(std::int64_t from_ms, std::int64_t to_ms) const {
    std::vector<PacedSend> out;
    for (auto const& s : sends)
      if (s.scheduled_ms >= from_ms && s.scheduled_ms < to_ms) out.push_back(s);
    return out;
  }
};

inline PacingRecord match_schedules(fs::path const& db, fs::path const& sim_log,
                                    std::map<std::string, std::set<std::int64_t>> const& schedules,
                                    std::int64_t min_ms, std::int64_t max_ms) {
  struct SendRow {
    std::int64_t claimed_at = 0;
    std::int64_t sent_at = 0;
    std::string user_id;
  };
  PacingRecord out;
  std::map<std::string, std::vector<SendRow>> sends;
  {
    SqlReader sql(db);
    sql.each(
        "SELECT a.name, r.claimed_at, r.sent_at, r.user_id, r.state FROM recipients r "
        "JOIN accounts a ON a.id = r.claimed_by WHERE r.claimed_at IS NOT NULL",
        [&](SqlReader::Row const& r) {
          if (r[4] != std::optional<std::string>("sent") || !r[2]) {
            ++out.not_sent;
            return;
          }
          sends[*r[0]].push_back({std::stoll(*r[1]), std::stoll(*r[2]), *r[3]});
        });
  }
  std::map<std::string, std::int64_t> received;  // recipient id → simulator receive time
  std::map<std::string, std::vector<std::int64_t>> received_by_account;
  {
    std::ifstream in(sim_log);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto m = json::parse(line).as_object();
      auto t = parse_iso8601(std::string(m.at("time").as_string()));
      if (!t) fail("bad time in the simulator log: " + line);
      const std::int64_t ms = t->time_since_epoch().count();
      received[std::string(m.at("recipient_id").as_string())] = ms;
      received_by_account[std::string(m.at("account").as_string())].push_back(ms);
    }
  }
  std::int64_t gap_min = INT64_MAX, gap_max = INT64_MIN;
  for (auto& [account, rows] : sends) {
    std::sort(rows.begin(), rows.end(), [](SendRow const& a, SendRow const& b) { return a.claimed_at < b.claimed_at; });
    out.total_sends += static_cast<std::int64_t>(rows.size());
    out.paced_sends += static_cast<std::int64_t>(rows.size()) - 1;
    const auto found = schedules.find(account);
    if (found == schedules.end()) continue;
    for (std::int64_t scheduled : found->second) {
      // The send whose end started this gap: the last one claimed before the schedule. (Not "ended
      // at or before it": a next send claimed, sent and recorded within the scheduled millisecond
      // itself would match instead, as a gap of 0.)
      std::size_t k = rows.size();
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].claimed_at < scheduled) k = i;
      if (k == rows.size()) continue;
      const std::int64_t gap = scheduled - rows[k].sent_at;
      if (gap < min_ms || gap > max_ms) {
        if (out.first_bad.empty())
          out.first_bad = account + ": scheduled " + std::to_string(scheduled) + " ms, previous end " +
                          std::to_string(rows[k].sent_at) + " ms";
        ++out.bad_gap;
        continue;
      }
      if (k + 1 >= rows.size()) continue;  // the run ended during this gap
      gap_min = std::min(gap_min, gap);
      gap_max = std::max(gap_max, gap);
      const SendRow& next = rows[k + 1];
      PacedSend s;
      s.account = account;
      s.previous_end_ms = rows[k].sent_at;
      s.scheduled_ms = scheduled;
      s.claimed_ms = next.claimed_at;
      s.end_ms = next.sent_at;
      if (auto it = received.find(next.user_id); it != received.end()) s.dm_ms = it->second;
      out.sends.push_back(std::move(s));
    }
  }
  out.gap_min = gap_min == INT64_MAX ? 0 : gap_min;
  out.gap_max = gap_max == INT64_MIN ? 0 : gap_max;
  std::int64_t spacing_min = INT64_MAX;
  for (auto& [account, times] : received_by_account) {
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i) {
      spacing_min = std::min(spacing_min, times[i] - times[i - 1]);
      if (times[i] - times[i - 1] < min_ms) ++out.below_min;
    }
  }
  out.spacing_min = spacing_min == INT64_MAX ? 0 : spacing_min;
  return out;
}

/// The lateness of matched sends, in milliseconds, one value per send.
struct Lateness {
  std::vector<double> dm;           ///< the DM at the simulator - scheduled (the sends in its log)
  std::vector<double> wake;         ///< the claim - scheduled: the daemon's wake-up (every send)
  std::vector<double> claim_to_dm;  ///< the DM at the simulator - the claim (the sends in its log)
};

inline Lateness lateness(std::vector<PacedSend> const& sends) {
  Lateness l;
  for (auto const& s : sends) {
    l.wake.push_back(s.wake_late_ms());
    if (s.dm_ms < 0) continue;
    l.dm.push_back(s.dm_late_ms());
    l.claim_to_dm.push_back(s.claim_to_dm_ms());
  }
  return l;
}

/// For --keep: one line per matched schedule.
inline void write_pacing_samples(fs::path const& path, std::vector<PacedSend> const& sends) {
  std::ofstream samples(path);
  samples << "account,previous_end_ms,scheduled_ms,claimed_ms,dm_received_ms,end_ms\n";
  for (auto const& s : sends)
    samples << s.account << ',' << s.previous_end_ms << ',' << s.scheduled_ms << ',' << s.claimed_ms << ',' << s.dm_ms
            << ',' << s.end_ms << '\n';
}

}  // namespace outreach::bench
