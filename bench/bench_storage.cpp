// bench_storage: the storage figures of the closing note, each beside the limit it is measured
// against in the same run, on the same disk:
//   1. import of 1,000,000 recipients (rows/s, peak RSS) vs the sqlite3 CLI's .import of the same
//      rows as CSV into a table with the same columns and indexes (indexes built after the load);
//   2. claim + record cycles/s on a 10,000-row and a 1,000,000-row queue vs the disk's raw rate of
//      tiny synchronous=FULL commits (the fsync-bound limit of a durable claim);
//   3. SELECT * FROM campaign_status over 1,000,000 recipients.
// Everything happens in a temp dir that is removed at the end. Not a pass/fail test.
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/campaign.hpp"
#include "storage/accounts.hpp"
#include "storage/database.hpp"
#include "storage/import.hpp"
#include "storage/queue.hpp"
#include "storage/status.hpp"

using namespace outreach;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kBigQueue = 1'000'000;
constexpr std::int64_t kSmallQueue = 10'000;
constexpr int kCycles = 2'000;  ///< per queue, over all rounds
constexpr int kRounds = 5;
constexpr int kRawCommits = 2'000;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

[[noreturn]] void die(std::string const& message) {
  std::fprintf(stderr, "bench_storage: %s\n", message.c_str());
  std::exit(1);
}

template <class T>
T must(Result<T>&& r, char const* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Row i of the synthetic campaign: random-order usernames and ids (as in a real export), all
/// distinct (splitmix64 is a bijection), and a rendered message of a realistic length.
ValidRecipient row(std::int64_t i) {
  char name[24];
  std::snprintf(name, sizeof name, "u%014" PRIx64, splitmix64(static_cast<std::uint64_t>(i)) >> 8);
  std::string id = std::to_string(splitmix64(static_cast<std::uint64_t>(i) ^ 0x5deece66dULL) >> 1);
  std::string text = std::string("Hi ") + name + ", we just shipped our new app. Want an early look?";
  return ValidRecipient{name, std::move(id), std::move(text)};
}

TimePoint wall_now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

/// a1 claims alone; g1..g16 claim in groups, as the daemon's accounts do when they are ready in
/// the same turn of its event loop.
constexpr int kMaxGroup = 16;

std::vector<std::string> account_names() {
  std::vector<std::string> names{"a1"};
  for (int i = 1; i <= kMaxGroup; ++i) names.push_back("g" + std::to_string(i));
  return names;
}

CampaignHeader header(std::string name) {
  CampaignHeader h;
  h.name = std::move(name);
  h.accounts = account_names();
  h.message = "Hi {{username}}, we just shipped our new app. Want an early look?";
  return h;
}

Database open_with_account(std::string const& path) {
  auto db = must(Database::open(path), "opening the database");
  std::vector<ConfiguredAccount> accounts;
  for (auto const& name : account_names()) accounts.push_back({name, ProviderKind::getxapi, 1'000'000'000});
  must(sync_accounts(db, accounts), "adding the accounts");
  return db;
}

/// The import, as the daemon runs it: one session fed row by row. Returns seconds.
double import_rows(std::string const& path, std::string const& campaign, std::int64_t n) {
  auto db = open_with_account(path);
  auto const start = Clock::now();
  auto session = must(begin_import(db, header(campaign), campaign + ".json", "hash-" + campaign, wall_now()),
                      "starting the import");
  for (std::int64_t i = 0; i < n; ++i) must(session.add(row(i)), "adding a recipient");
  auto summary = must(session.commit(), "committing the import");
  double const elapsed = seconds_since(start);
  if (summary.total != n)
    die("the import stored " + std::to_string(summary.total) + " rows, expected " + std::to_string(n));
  return elapsed;
}

struct ChildRun {
  double seconds = 0;    ///< wall time measured by the parent
  long peak_rss_kb = 0;  ///< ru_maxrss of the child
  std::string output;    ///< what it printed on stdout
};

/// Runs argv as a child process (stdin from `stdin_path` if given) and measures it.
ChildRun run_child(std::vector<std::string> const& argv, std::string const& stdin_path = {}) {
  int out[2];
  if (::pipe(out) != 0) die("pipe failed");
  auto const start = Clock::now();
  pid_t const pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    if (!stdin_path.empty()) {
      if (std::freopen(stdin_path.c_str(), "r", stdin) == nullptr) ::_exit(127);
    }
    std::vector<char*> args;
    for (auto const& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ChildRun run;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) run.output.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) != pid) die("wait4 failed");
  run.seconds = seconds_since(start);
  run.peak_rss_kb = usage.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child " + argv[0] + " failed (status " + std::to_string(status) + "): " + run.output);
  return run;
}

/// Writes the same rows as CSV for the sqlite3 CLI (no header: .import into an existing table).
void write_csv(std::string const& path, std::int64_t n) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) die("cannot write " + path);
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  for (std::int64_t i = 0; i < n; ++i) {
    auto r = row(i);
    std::fprintf(f, "1,%s,%s,\"%s\",pending\n", r.username.c_str(), r.user_id.c_str(), r.text.c_str());
  }
  std::fclose(f);
}

/// The disk's limit for durable claims: tiny one-row commits at synchronous=FULL in WAL mode,
/// through the same SQLite library, on the same disk.
class RawCommits {
 public:
  explicit RawCommits(std::string const& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) die("cannot open " + path);
    sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x INTEGER)", nullptr, nullptr,
                 nullptr);
    sqlite3_prepare_v2(db_, "INSERT INTO t VALUES (?1)", -1, &insert_, nullptr);
  }
  ~RawCommits() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  RawCommits(RawCommits const&) = delete;
  RawCommits& operator=(RawCommits const&) = delete;

  /// Commits per second over n commits.
  double run(int n) {
    auto const start = Clock::now();
    for (int i = 0; i < n; ++i) {
      sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
      sqlite3_bind_int(insert_, 1, i);
      sqlite3_step(insert_);
      sqlite3_reset(insert_);
      if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) die("raw commit failed");
    }
    return n / seconds_since(start);
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

double cpu_seconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  auto const tv = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

struct CycleRate {
  double per_second = 0;
  double cpu_us = 0;  ///< CPU time per cycle: what the queue's size could change, free of fsync waits
};

/// Claim + record(sent) cycles on one database's queue, as the daemon runs them (minus the
/// network): a durable claim, then record_outcome for each claimed recipient.
class Cycles {
 public:
  explicit Cycles(std::string const& path) : db_(must(Database::open(path), "opening the database")) {}

  /// `group` accounts per durable claim transaction (claim_batch; 1 = claim_next for a1 alone).
  CycleRate run(int n, int group) {
    std::vector<std::string> accounts;
    for (int i = 1; i <= group; ++i) accounts.push_back("g" + std::to_string(i));
    double const cpu_start = cpu_seconds();
    auto const start = Clock::now();
    int done = 0;
    while (done < n) {
      now_ += Duration{1};
      std::vector<std::optional<ClaimedRecipient>> claims;
      if (group == 1)
        claims.push_back(must(claim_next(db_, "a1", now_), "claiming"));
      else
        claims = must(claim_batch(db_, accounts, now_), "claiming a group");
      for (auto const& claim : claims) {
        if (!claim) die("the queue ran dry");
        must(record_outcome(db_, *claim, Outcome::sent("dm-" + std::to_string(claim->recipient_id), 200), now_),
             "recording");
        ++done;
      }
    }
    return {done / seconds_since(start), (cpu_seconds() - cpu_start) * 1e6 / done};
  }

 private:
  Database db_;
  TimePoint now_ = wall_now();
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timing {
  double median_ms = 0;
  double max_ms = 0;
};

Timing campaign_status_time(std::string const& path) {
  auto db = must(Database::open(path), "opening the database");
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    auto const start = Clock::now();
    auto rows = must(read_campaign_status(db), "reading campaign_status");
    ms.push_back(seconds_since(start) * 1000);
    if (rows.empty()) die("campaign_status is empty");
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

std::string self_path() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

int import_child(std::string const& path, std::int64_t n) {
  double const seconds = import_rows(path, "big", n);
  std::printf("%.6f\n", seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Child mode: the 1M import in a process of its own, so its peak RSS is the import's alone.
  if (argc == 4 && std::strcmp(argv[1], "--import-child") == 0) return import_child(argv[2], std::stoll(argv[3]));

  char tmpl[] = "/tmp/bench_storage-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
  std::string const dir = tmpl;
  std::string const big_db = dir + "/big.db";
  std::string const small_db = dir + "/small.db";
  std::string const cli_db = dir + "/cli.db";
  std::string const csv = dir + "/rows.csv";
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::printf("storage benchmark in %s (SQLite %s; load average %s)\n\n", dir.c_str(), sqlite3_libversion(),
              load.c_str());

  // 1. Import of 1M recipients, ours vs the sqlite3 CLI.
  auto const ours = run_child({self_path(), "--import-child", big_db, std::to_string(kBigQueue)});
  double const ours_seconds = std::stod(ours.output);
  write_csv(csv, kBigQueue);
  {
    std::ofstream script(dir + "/import.sql");
    script << "PRAGMA journal_mode=WAL;\n"
              "CREATE TABLE recipients (campaign_id INTEGER NOT NULL, username TEXT COLLATE NOCASE, user_id TEXT, "
              "text TEXT NOT NULL, state TEXT NOT NULL);\n"
              ".import --csv "
           << csv
           << " recipients\n"
              // The index our import fills (the table's other indexes are partial and stay empty).
              "CREATE INDEX recipients_pending ON recipients (campaign_id) WHERE state = 'pending';\n"
              "SELECT count(*) FROM recipients;\n";
  }
  auto const cli = run_child({"sqlite3", cli_db}, dir + "/import.sql");
  if (cli.output.find(std::to_string(kBigQueue)) == std::string::npos) die("sqlite3 .import stored: " + cli.output);
  double const ours_rate = kBigQueue / ours_seconds;
  double const cli_rate = kBigQueue / cli.seconds;
  std::printf("import of %" PRId64 " recipients\n", kBigQueue);
  std::printf("  outreachd import session   %9.0f rows/s  (%.2f s)  peak RSS %5.1f MB\n", ours_rate, ours_seconds,
              static_cast<double>(ours.peak_rss_kb) / 1024.0);
  std::printf("  sqlite3 CLI .import + index %8.0f rows/s  (%.2f s)  peak RSS %5.1f MB\n", cli_rate, cli.seconds,
              static_cast<double>(cli.peak_rss_kb) / 1024.0);
  std::printf("  ratio ours / CLI            %8.2fx   (target >= 0.5x, peak RSS < 100 MB)\n", ours_rate / cli_rate);
  std::printf("  (same rows and indexes; ours also collapses duplicates and checks the suppression list)\n\n");
  std::filesystem::remove(csv);
  std::filesystem::remove(cli_db);

  // 3. campaign_status over the 1M recipients (before the claims change anything).
  auto const status = campaign_status_time(big_db);
  std::printf("SELECT * FROM campaign_status over %" PRId64 " recipients\n", kBigQueue);
  std::printf("  median %.3f ms, max %.3f ms over 21 runs   (target < 50 ms)\n\n", status.median_ms, status.max_ms);

  // 2. Claim + record cycles, small and big queue, beside the disk's raw durable-commit rate. fsync
  // cost drifts with whatever else the machine does, so everything is measured in interleaved
  // rounds and each ratio is the median of the per-round ratios.
  import_rows(small_db, "small", kSmallQueue);
  {
    RawCommits raw(dir + "/raw.db");
    Cycles small(small_db);
    Cycles big(big_db);
    constexpr int kGroups[] = {1, 4, kMaxGroup};
    struct Series {
      std::vector<double> rate, cpu, ratio;
    };
    std::vector<double> raw_rates;
    Series small_s[3], big_s[3];
    for (int round = 0; round < kRounds; ++round) {
      double const r = raw.run(kRawCommits / kRounds);
      raw_rates.push_back(r);
      for (int g = 0; g < 3; ++g) {
        for (auto [cycles, series] : {std::pair{&small, &small_s[g]}, std::pair{&big, &big_s[g]}}) {
          auto const c = cycles->run(kCycles / kRounds * (kGroups[g] == 1 ? 1 : 2), kGroups[g]);
          series->rate.push_back(c.per_second);
          series->cpu.push_back(c.cpu_us);
          series->ratio.push_back(c.per_second / r);
        }
      }
    }
    std::printf("claim + record cycles (claims commit synchronous=FULL, records NORMAL), medians of %d rounds\n",
                kRounds);
    std::printf("  raw durable commits (1-row, FULL, same disk)  %6.0f /s: one claim per commit cannot beat this\n",
                median(raw_rates));
    std::printf("  %-34s %-32s %-32s %s\n", "accounts per durable claim commit", "queue of 10,000 rows",
                "queue of 1,000,000 rows", "1M vs 10k");
    for (int g = 0; g < 3; ++g) {
      char label[64];
      std::snprintf(label, sizeof label, "%2d%s", kGroups[g],
                    kGroups[g] == 1 ? " (one account alone)" : " (group commit)");
      auto const cell = [](Series const& x) {
        char out[64];
        std::snprintf(out, sizeof out, "%6.0f cycles/s %4.2fx raw %3.0f us", median(x.rate), median(x.ratio),
                      median(x.cpu));
        return std::string(out);
      };
      std::printf("  %-34s %-32s %-32s %.2fx\n", label, cell(small_s[g]).c_str(), cell(big_s[g]).c_str(),
                  median(big_s[g].ratio) / median(small_s[g].ratio));
    }
    std::printf("  (\"us\" is CPU per cycle; \"1M vs 10k\" compares the rates relative to the raw rate of their round)\n");
    std::printf(
        "  what ships: the daemon commits the claims of every account that is ready in the same turn of its\n"
        "  event loop together (ClaimCoalescer), so at load one fsync covers many claims; bench_daemon prints\n"
        "  the group sizes it reaches. Target >= 2000 cycles/s on the 1M queue, no slow-down from 10k to 1M.\n");
    double const one = median(big_s[0].rate), grouped = median(big_s[1].rate);
    std::printf("  1M queue: %.0f cycles/s alone (%.2fx the target), %.0f cycles/s in groups of 4 (%.2fx the target)\n",
                one, one / 2000, grouped, grouped / 2000);
  }

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
