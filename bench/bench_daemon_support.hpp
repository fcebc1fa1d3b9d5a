#pragma once
// bench_daemon's plumbing: the real `outreachd simulate` and `outreachd run` as child processes
// (through the e2e tests' Process, so output goes to unlinked files and every wait is bounded), a
// temp directory, read-only SQL on the daemon's database, /proc readings (CPU time, RSS) and a
// minimal loopback HTTP GET for the simulator's /_sim endpoints. Header-only, bench-only.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace outreach::bench
