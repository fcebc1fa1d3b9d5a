// bench_daemon: the daemon's end-to-end figures of the closing note, each measured on the real
// `outreachd run` against the real `outreachd simulate` (child processes, loopback only, a temp
// dir), and each printed beside a reference measured in the same run and its target:
//   1. throughput headroom: 1,000 accounts, pacing 0 — sustained sends/s vs the raw claim+record
//      rate of storage itself on a queue of the same shape (target >= 1,000 sends/s);
//   2. pacing fidelity: 100 accounts at 2–5 s — p99 lateness of sends against their scheduled
//      time vs this machine's own timer wake-up lateness (target < 20 ms);
//   3. idle cost: CPU used in 60 s by a daemon whose 50 accounts are capped, vs the idle simulator
//      (target < 0.05 s);
//   4. memory: peak RSS with 1,000,000 queued recipients vs storage's import alone (target < 50 MB).
// Not a pass/fail test: it prints, and says "MISSED" where a target is not met.
//
//   bench_daemon [--quick] [--only throughput|pacing|idle|memory] [--pacing-seconds N] [--idle-seconds N] [--keep]
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <limits>

#include "bench/bench_daemon_support.hpp"
#include "storage/accounts.hpp"
#include "storage/database.hpp"
#include "storage/import.hpp"
#include "storage/queue.hpp"
#include "storage/sqlite.hpp"

using namespace outreach;
using namespace outreach::bench;

namespace {

// ---------------------------------------------------------------- options

struct Options {
  bool quick = false;
  bool keep = false;  ///< leave the temp dir (databases, logs, samples) for inspection
  std::string only;   ///< "" = every phase

  int tput_accounts = 1000;
  std::int64_t tput_queue = 100'000;
  int tput_warm_seconds = 3;
  int tput_measure_seconds = 20;
  int raw_cycles = 2000;  ///< per raw-rate measurement (one before, one after the daemon run)

  int pacing_accounts = 100;
  int pacing_seconds = 120;

  int idle_accounts = 50;
  int idle_seconds = 60;

  std::int64_t mem_recipients = 1'000'000;
  int mem_accounts = 100;
  int mem_run_seconds = 15;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: bench_daemon [--quick] [--only throughput|pacing|idle|memory] [--pacing-seconds N] "
               "[--idle-seconds N] [--keep]\n"
               "  --quick             a ~45 s smoke run: 250 accounts for throughput, smaller queues, shorter windows\n"
               "  --only PHASE        run one phase\n"
               "  --pacing-seconds N  length of the pacing-fidelity run (default 120; quick 12)\n"
               "  --idle-seconds N    length of the idle-cost window (default 60; quick 8)\n"
               "  --keep              leave the temp dir: databases, outreachd.log, simulator logs, pacing samples\n"
               "outreachd is $OUTREACHD_BIN, else ../daemon/outreachd next to this executable.\n");
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::optional<int> pacing, idle;
  CommandLine args("bench_daemon", argc, argv, usage);
  while (args.next()) {
    if (args.is("--only")) {
      o.only = args.value();
      if (o.only != "throughput" && o.only != "pacing" && o.only != "idle" && o.only != "memory") args.bad_usage();
    } else if (args.is("--pacing-seconds")) {
      pacing = static_cast<int>(args.positive_number(std::numeric_limits<int>::max()));
    } else if (args.is("--idle-seconds")) {
      idle = static_cast<int>(args.positive_number(std::numeric_limits<int>::max()));
    } else {
      args.not_an_option();
    }
  }
  o.quick = args.quick();
  o.keep = args.keep();
  if (o.quick) {
    o.tput_accounts = 250;  // the ramp (one durable claim per account, serially) stays short
    o.tput_queue = 20'000;
    o.tput_warm_seconds = 1;
    o.tput_measure_seconds = 4;
    o.raw_cycles = 500;
    o.pacing_seconds = 12;
    o.idle_seconds = 8;
    o.mem_recipients = 100'000;
    o.mem_run_seconds = 3;
  }
  if (pacing) o.pacing_seconds = *pacing;
  if (idle) o.idle_seconds = *idle;
  return o;
}

// ---------------------------------------------------------------- storage in this process
// (the daemon's set-up, shared with bench_import, is in bench_daemon_support.hpp)

template <class T>
T must(Result<T>&& r, char const* what) {
  if (!r) fail(std::string(what) + ": " + r.error().message);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

TimePoint now_tp() { return std::chrono::floor<Duration>(std::chrono::system_clock::now()); }

std::vector<SummaryLine> g_summary;

// ---------------------------------------------------------------- 1. throughput

/// The reference: storage's own claim + record cycle, in this process, on a queue of the same
/// shape as the daemon's (same accounts, one campaign listing them all, same size), accounts taken
/// round-robin as the daemon's workers take turns. No HTTP, no event loop: the ceiling a daemon
/// with one claim transaction per send can approach.
class RawQueue {
 public:
  RawQueue(fs::path const& path, int n, std::int64_t rows)
      : db_(must(Database::open(path.string()), "opening the raw-rate database")), names_(account_names(n)) {
    std::vector<ConfiguredAccount> accounts;
    for (auto const& name : names_) accounts.push_back({name, ProviderKind::getxapi, 1500});
    must(sync_accounts(db_, accounts), "adding the accounts");
    CampaignHeader h;
    h.name = "raw";
    h.accounts = names_;
    h.message = kMessage;
    auto session = must(begin_import(db_, h, "raw.json", "raw-hash", now_tp() - std::chrono::seconds(1)),
                        "starting the raw import");
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::string id = std::to_string(kFirstUserId + static_cast<std::uint64_t>(i));
      must(session.add(ValidRecipient{"", id, "Hi " + id + ", this is a benchmark message from outreachd."}),
           "adding a raw recipient");
    }
    must(session.commit(), "committing the raw import");
  }

  /// The same with `batch` accounts claiming in one durable transaction (claim_batch): what a daemon
  /// that coalesced the claims of the accounts ready at the same moment could reach. Recipients/s.
  double run_batched(int cycles, std::size_t batch) {
    const auto start = SteadyClock::now();
    int done = 0;
    std::vector<std::string> accounts(batch);
    while (done < cycles) {
      for (auto& a : accounts) a = names_[next_++ % names_.size()];
      auto claims = must(claim_batch(db_, accounts, now_tp()), "claiming a batch");
      for (auto const& claim : claims) {
        if (!claim) fail("the raw queue ran dry");
        must(record_outcome(db_, *claim, Outcome::sent("7" + std::to_string(claim->recipient_id), 200), now_tp()),
             "recording");
        ++done;
      }
    }
    return done / seconds_since(start);
  }

  /// Cycles per second over `cycles` claim_next + record_outcome(sent) pairs.
  double run(int cycles) {
    const auto start = SteadyClock::now();
    for (int i = 0; i < cycles; ++i) {
      std::string const& account = names_[next_++ % names_.size()];
      auto claim = must(claim_next(db_, account, now_tp()), "claiming");
      if (!claim) fail("the raw queue ran dry");
      must(record_outcome(db_, *claim, Outcome::sent("7" + std::to_string(claim->recipient_id), 200), now_tp()),
           "recording");
    }
    return cycles / seconds_since(start);
  }

 private:
  Database db_;
  std::vector<std::string> names_;
  std::size_t next_ = 0;
};

void bench_throughput(Options const& o, std::string const& bin, fs::path const& root) {
  const int n = o.tput_accounts;
  std::printf("1. Throughput headroom: %d accounts, pacing 0, caps that never bind, %" PRId64 " user_id recipients\n",
              n, o.tput_queue);
  std::fflush(stdout);

  RawQueue raw(root / "raw.db", n, o.tput_queue);
  const double raw_before = raw.run(o.raw_cycles);

  Workspace ws(root / "throughput");
  write_text(ws.dir / "scenario.json", scenario_json(n));
  SimulatorProcess sim(bin, ws.dir / "scenario.json");
  write_config(ws, sim.base_url(), n, {"0s", "0s"}, "premium");
  DaemonProcess daemon(bin, ws.config, secrets(n));
  daemon.wait_ready();

  const auto dropped = SteadyClock::now();
  drop_campaign(ws, "throughput", n, o.tput_queue);
  wait_imported(ws, daemon, "throughput", o.tput_queue, 120s);
  const double import_seconds = seconds_since(dropped);
  // Warm-up: the window starts once every account has sent once (steady state), plus a little.
  const auto ramp_start = SteadyClock::now();
  if (!wait_for([&] { return daemon.exited() || campaign_counts(ws.db, "throughput").sent >= n; }, 120s, 100ms) ||
      daemon.exited())
    fail("the daemon did not reach " + std::to_string(n) + " sends within 120 s:\n" +
         DaemonProcess::tail(daemon.log()));
  const double ramp_seconds = seconds_since(ramp_start);
  std::this_thread::sleep_for(std::chrono::seconds(o.tput_warm_seconds));

  const CampaignCounts c0 = campaign_counts(ws.db, "throughput");
  const auto t0 = SteadyClock::now();
  const CpuReading d0 = read_cpu(daemon.pid());
  const CpuReading s0 = read_cpu(sim.pid());
  if (c0.queued <= 0) fail("the throughput queue ran dry during the warm-up; raise tput_queue");
  CampaignCounts c1 = c0;
  double elapsed = 0;
  bool ran_dry = false;
  CpuReading d1, s1;
  for (;;) {
    std::this_thread::sleep_for(250ms);
    c1 = campaign_counts(ws.db, "throughput");
    elapsed = seconds_since(t0);
    d1 = read_cpu(daemon.pid());
    s1 = read_cpu(sim.pid());
    if (c1.queued == 0) ran_dry = true;
    if (ran_dry || elapsed >= o.tput_measure_seconds) break;
  }
  const std::int64_t sends = c1.sent - c0.sent;
  const double rate = static_cast<double>(sends) / elapsed;
  const std::int64_t hwm_kb = status_kb(daemon.pid(), "VmHWM");
  const std::string log = daemon.stop();
  // The daemon's own account of its group commit, over its whole run (ramp included).
  std::string group_commit = "no claim statistics in the daemon's log";
  if (auto at = log.find("claims: "); at != std::string::npos)
    group_commit = log.substr(at, log.find('\n', at) - at);

  const CampaignCounts final_counts = campaign_counts(ws.db, "throughput");
  const json::object stats = sim.stats();
  const auto delivered = stats.at("delivered").as_object().at("total").to_number<std::int64_t>();
  const auto duplicates = stats.at("duplicates").to_number<std::int64_t>();
  const double raw_after = raw.run(o.raw_cycles);
  const double raw_rate = (raw_before + raw_after) / 2;
  constexpr std::size_t kBatch = 50;
  const double raw_batched = raw.run_batched(o.raw_cycles * 2, kBatch);

  const double daemon_cpu = d1.sched_seconds - d0.sched_seconds;
  const double sim_cpu = s1.sched_seconds - s0.sched_seconds;
  std::printf(
      "   import of the campaign file: %.2f s; every account's first send done %.1f s later; then %d s more;\n"
      "   measured over %.1f s%s\n",
      import_seconds, ramp_seconds, o.tput_warm_seconds, elapsed,
      ran_dry ? " (the queue ran dry: window cut short)" : "");
  std::printf("   end-to-end sends/s (claimed durably, sent, recorded)   %8.0f /s   (%" PRId64 " sends)\n", rate,
              sends);
  std::printf("   raw claim+record cycles/s, storage alone, same queue    %8.0f /s   (before %.0f, after %.0f)\n",
              raw_rate, raw_before, raw_after);
  std::printf("   ratio daemon / raw                                      %8.2fx\n", rate / raw_rate);
  std::printf("   daemon's group commit: %s\n", group_commit.c_str());
  std::printf(
      "   (storage alone with %zu accounts' claims per durable commit, claim_batch: %.0f /s, %.2fx the daemon)\n",
      kBatch, raw_batched, raw_batched / rate);
  std::printf("   target >= 1000 sends/s                                  %8.2fx the target: %s\n", rate / 1000,
              verdict(rate >= 1000).c_str());
  std::printf(
      "   CPU while measuring: daemon %.2f cores (%.0f us/send), simulator %.2f cores (%.0f us/send); %u CPUs\n",
      daemon_cpu / elapsed, sends > 0 ? daemon_cpu * 1e6 / static_cast<double>(sends) : 0.0, sim_cpu / elapsed,
      sends > 0 ? sim_cpu * 1e6 / static_cast<double>(sends) : 0.0, std::thread::hardware_concurrency());
  std::printf(
      "   time runnable but waiting for a CPU: daemon %.0f%%, simulator %.0f%% of the window; "
      "the rest of the daemon's time it is blocked (fsync, poll)\n",
      100 * (d1.queued_seconds - d0.queued_seconds) / elapsed, 100 * (s1.queued_seconds - s0.queued_seconds) / elapsed);
  std::printf("   daemon peak RSS %.1f MB; after SIGTERM: sent %" PRId64 ", delivered by the simulator %" PRId64
              ", duplicates %" PRId64 ", failed %" PRId64 ", unknown %" PRId64 "%s\n\n",
              static_cast<double>(hwm_kb) / 1024.0, final_counts.sent, delivered, duplicates, final_counts.failed,
              final_counts.unknown, delivered == final_counts.sent && duplicates == 0 ? "" : "   <-- MISMATCH");
  char m[64], r[96], t[64];
  std::snprintf(m, sizeof m, "%.0f sends/s", rate);
  std::snprintf(r, sizeof r, "raw claim+record %.0f/s (%.2fx)", raw_rate, rate / raw_rate);
  std::snprintf(t, sizeof t, ">= 1000 (%.2fx)", rate / 1000);
  g_summary.push_back({"throughput, " + std::to_string(n) + " accounts", m, r, t, verdict(rate >= 1000)});
}

// ---------------------------------------------------------------- 2. pacing fidelity

void bench_pacing(Options const& o, std::string const& bin, fs::path const& root) {
  const int n = o.pacing_accounts;
  constexpr std::int64_t kMin = 2000, kMax = 5000;
  std::printf("2. Pacing fidelity: %d accounts, pacing 2s-5s, %d s\n", n, o.pacing_seconds);
  std::printf(
      "   method: after each send the daemon stores the account's next allowed send time (end of the attempt\n"
      "   + the drawn gap) in accounts.next_send_at (account_status); the bench polls it every 100 ms (a gap is\n"
      "   >= 2 s, so none is missed) and matches it, after the run, with the account's next claim\n"
      "   (recipients.claimed_at, the daemon's clock) and with the time the simulator received that DM\n"
      "   (its message log, the same machine clock). Milliseconds on both sides.\n");
  std::fflush(stdout);

  Workspace ws(root / "pacing");
  write_text(ws.dir / "scenario.json", scenario_json(n));
  const fs::path sim_log = ws.dir / "sim-messages.jsonl";
  std::optional<SimulatorProcess> sim;
  sim.emplace(bin, ws.dir / "scenario.json", sim_log);
  write_config(ws, sim->base_url(), n, {"2s", "5s"}, "premium");
  DaemonProcess daemon(bin, ws.config, secrets(n));
  daemon.wait_ready();
  // Enough that no account runs dry: each sends at most once every 2 s.
  const std::int64_t queue = static_cast<std::int64_t>(n) * (o.pacing_seconds / 2 + 5);
  drop_campaign(ws, "pacing", n, queue);
  wait_imported(ws, daemon, "pacing", queue, 60s);

  ScheduleRecorder schedules;
  std::vector<double> noise, disk;
  {
    TimerNoise timer_noise;
    DiskSyncLatency disk_sync(ws.dir / "disk-probe.db");
    SqlReader sql(ws.db);
    const auto start = SteadyClock::now();
    while (seconds_since(start) < o.pacing_seconds) {
      schedules.poll(sql);
      std::this_thread::sleep_for(100ms);
    }
    noise = timer_noise.stop();
    disk = disk_sync.stop();
  }
  daemon.stop();
  sim.reset();  // flushes and closes its log

  const PacingRecord record = match_schedules(ws.db, sim_log, schedules.schedules(), kMin, kMax);
  write_pacing_samples(ws.dir / "pacing-samples.csv", record.sends);
  const Lateness late = lateness(record.sends);

  std::printf("   sends: %" PRId64 " (%" PRId64
              " after a pacing gap); schedules matched: %zu (%.1f%%); "
              "drawn gaps %" PRId64 "..%" PRId64 " ms; inconsistent: %" PRId64 "; not sent: %" PRId64 "\n",
              record.total_sends, record.paced_sends, record.sends.size(),
              record.paced_sends > 0
                  ? 100.0 * static_cast<double>(record.sends.size()) / static_cast<double>(record.paced_sends)
                  : 0.0,
              record.gap_min, record.gap_max, record.bad_gap, record.not_sent);
  if (!record.first_bad.empty()) std::printf("   first inconsistent schedule: %s\n", record.first_bad.c_str());
  print_distribution("lateness of the DM at the provider (receive - scheduled)", late.dm);
  print_distribution("  of which the wake-up (claim time - scheduled)", late.wake);
  print_distribution("  and claim -> DM (durable claim, canDm lookup, send)", late.claim_to_dm);
  print_distribution("reference: this machine's timer wake-up lateness", noise);
  print_distribution("reference: the disk's durable commit (1 row, FULL)", disk);
  const auto over_20 = std::count_if(disk.begin(), disk.end(), [](double ms) { return ms > 20; });
  std::printf("   (a send waits for its durable claim commit: %zd of %zu probe commits took over 20 ms; such a stall\n"
              "   delays every account due during it, which is what the lateness tail above is made of)\n",
              static_cast<std::ptrdiff_t>(over_20), disk.size());
  const double p99 = quantile(late.dm, 0.99);
  std::printf("   target p99 < 20 ms: p99 is %.2fx the target: %s\n", p99 / 20,
              verdict(!late.dm.empty() && p99 < 20).c_str());
  std::printf("   simulator-only check: smallest DM-to-DM spacing of an account %" PRId64
              " ms; spacings below min_delay: %" PRId64 "\n\n",
              record.spacing_min, record.below_min);
  char m[64], r[96], t[64];
  std::snprintf(m, sizeof m, "p99 %.0f ms (wake-up %.0f)", p99, quantile(late.wake, 0.99));
  std::snprintf(r, sizeof r, "timer p99 %.1f, disk commit p99 %.0f max %.0f ms", quantile(noise, 0.99),
                quantile(disk, 0.99), disk.empty() ? 0.0 : *std::max_element(disk.begin(), disk.end()));
  std::snprintf(t, sizeof t, "< 20 ms (%.2fx)", p99 / 20);
  g_summary.push_back(
      {"pacing lateness, " + std::to_string(n) + " accounts", m, r, t, verdict(!late.dm.empty() && p99 < 20)});
}

// ---------------------------------------------------------------- 3. idle cost

/// A database whose `n` accounts have each used their cap of `cap` within the last hours, with
/// recipients still queued: the daemon starts with every account capped for ~22 h.
void prepare_capped(fs::path const& db_path, int n, int cap) {
  auto db = must(Database::open(db_path.string()), "opening the idle database");
  std::vector<ConfiguredAccount> accounts;
  for (int i = 1; i <= n; ++i) accounts.push_back({account_name(i), ProviderKind::getxapi, cap});
  must(sync_accounts(db, accounts), "adding the accounts");
  CampaignHeader h;
  h.name = "idle";
  h.accounts = account_names(n);
  h.message = kMessage;
  const TimePoint created = now_tp() - std::chrono::hours(3);
  auto session = must(begin_import(db, h, "idle.json", "idle-hash", created), "starting the idle import");
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n) * cap * 5; ++i) {
    const std::string id = std::to_string(kFirstUserId + static_cast<std::uint64_t>(i));
    must(session.add(ValidRecipient{"", id, "Hi " + id}), "adding an idle recipient");
  }
  must(session.commit(), "committing the idle import");
  TimePoint t = now_tp() - std::chrono::hours(2);
  for (int round = 0; round < cap; ++round) {
    for (auto const& a : accounts) {
      t += Duration{10};
      auto claim = must(claim_next(db, a.name, t), "claiming");
      if (!claim) fail("the idle queue ran dry");
      must(record_outcome(db, *claim, Outcome::sent("7" + std::to_string(claim->recipient_id), 200), t), "recording");
    }
  }
}

void bench_idle(Options const& o, std::string const& bin, fs::path const& root) {
  const int n = o.idle_accounts;
  constexpr int kCap = 2;
  std::printf("3. Idle cost: %d accounts, each capped (daily_cap %d used up 2 h ago), work still queued; %d s\n", n,
              kCap, o.idle_seconds);
  std::fflush(stdout);
  Workspace ws(root / "idle");
  prepare_capped(ws.db, n, kCap);
  write_text(ws.dir / "scenario.json", scenario_json(n));
  SimulatorProcess sim(bin, ws.dir / "scenario.json");
  write_config(ws, sim.base_url(), n, {"2s", "5s"}, "new", kCap);
  DaemonProcess daemon(bin, ws.config, secrets(n));
  daemon.wait_ready();
  std::this_thread::sleep_for(2s);  // start-up writes (each account's capped state) settle

  const CpuReading d0 = read_cpu(daemon.pid());
  const CpuReading s0 = read_cpu(sim.pid());
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_seconds));
  const CpuReading d1 = read_cpu(daemon.pid());
  const CpuReading s1 = read_cpu(sim.pid());

  std::int64_t capped = 0;
  {
    SqlReader sql(ws.db);
    capped = sql.number("SELECT count(*) FROM accounts WHERE state = 'capped'");
  }
  const CampaignCounts counts = campaign_counts(ws.db, "idle");
  const json::object stats = sim.stats();
  const auto provider_requests =
      stats.at("requests").as_object().at("getxapi").as_object().at("total").to_number<std::int64_t>();
  daemon.stop();

  const double stat_cpu = d1.stat_seconds - d0.stat_seconds;
  const double sched_cpu = d1.sched_seconds - d0.sched_seconds;
  const double scale = 60.0 / o.idle_seconds;  // the target is per 60 s
  std::printf("   accounts capped: %" PRId64 " of %d; sent %" PRId64 " (the %d prepared), provider requests %" PRId64
              "\n",
              capped, n, counts.sent, n * kCap, provider_requests);
  std::printf("   daemon CPU over %d s: %.3f s (utime+stime, 10 ms ticks); %.6f s (schedstat); %" PRId64
              " context switches\n",
              o.idle_seconds, stat_cpu, sched_cpu, d1.switches - d0.switches);
  std::printf(
      "   reference: the idle simulator over the same window: %.3f s (utime+stime); %.6f s (schedstat); %" PRId64
      " context switches\n",
      s1.stat_seconds - s0.stat_seconds, s1.sched_seconds - s0.sched_seconds, s1.switches - s0.switches);
  const double per_minute = std::max(stat_cpu, sched_cpu) * scale;
  std::printf("   target < 0.05 s per 60 s: %.4f s per 60 s, %.3fx the target: %s\n\n", per_minute, per_minute / 0.05,
              verdict(per_minute < 0.05 && capped == n).c_str());
  char m[64], r[96], t[64];
  std::snprintf(m, sizeof m, "%.4f s CPU / 60 s", per_minute);
  std::snprintf(r, sizeof r, "idle simulator %.4f s", (s1.sched_seconds - s0.sched_seconds) * scale);
  std::snprintf(t, sizeof t, "< 0.05 s (%.3fx)", per_minute / 0.05);
  g_summary.push_back(
      {"idle CPU, " + std::to_string(n) + " capped accounts", m, r, t, verdict(per_minute < 0.05 && capped == n)});
}

// ---------------------------------------------------------------- 4. memory

/// Child mode: storage's import of the same rows in a process of its own (the reference RSS).
/// `cache_kb` > 0 sets SQLite's page cache (the database opens with 4 MB), to show its share.
int import_child(std::string const& db_path, std::int64_t rows, int n, int cache_kb) {
  try {
    auto db = must(Database::open(db_path), "opening the import database");
    if (cache_kb > 0)
      must(db.connection().exec("PRAGMA cache_size = -" + std::to_string(cache_kb), "capping the page cache"),
           "capping the page cache");
    std::vector<ConfiguredAccount> accounts;
    for (auto const& name : account_names(n)) accounts.push_back({name, ProviderKind::getxapi, 1500});
    must(sync_accounts(db, accounts), "adding the accounts");
    CampaignHeader h;
    h.name = "memory";
    h.accounts = account_names(n);
    h.message = kMessage;
    auto session = must(begin_import(db, h, "memory.json", "memory-hash", now_tp()), "starting the import");
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::string id = std::to_string(kFirstUserId + static_cast<std::uint64_t>(i));
      must(session.add(ValidRecipient{"", id, "Hi " + id + ", this is a benchmark message from outreachd."}),
           "adding a recipient");
    }
    must(session.commit(), "committing the import");
    return 0;
  } catch (std::exception const& e) {
    std::fprintf(stderr, "bench_daemon import child: %s\n", e.what());
    return 1;
  }
}

/// Runs this executable in --import-child mode; its peak RSS in kB (wait4's rusage).
long storage_import_rss_kb(fs::path const& db_path, std::int64_t rows, int n, int cache_kb = 0) {
  std::vector<std::string> args{fs::read_symlink("/proc/self/exe").string(),
                                "--import-child",
                                db_path.string(),
                                std::to_string(rows),
                                std::to_string(n),
                                std::to_string(cache_kb)};
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    ::execv(argp[0], argp.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) fail("wait4 on the import child failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("the storage import child failed");
  return usage.ru_maxrss;
}

void bench_memory(Options const& o, std::string const& bin, fs::path const& root) {
  const int n = o.mem_accounts;
  std::printf("4. Memory: %" PRId64 " queued recipients (one campaign file dropped in), %d accounts paced 2s-5s\n",
              o.mem_recipients, n);
  std::fflush(stdout);
  const long reference_kb = storage_import_rss_kb(root / "import-reference.db", o.mem_recipients, n);
  fs::remove(root / "import-reference.db");
  const long big_cache_kb = storage_import_rss_kb(root / "import-big-cache.db", o.mem_recipients, n, 16384);
  fs::remove(root / "import-big-cache.db");

  Workspace ws(root / "memory");
  write_text(ws.dir / "scenario.json", scenario_json(n));
  SimulatorProcess sim(bin, ws.dir / "scenario.json");
  write_config(ws, sim.base_url(), n, {"2s", "5s"}, "premium");
  DaemonProcess daemon(bin, ws.config, secrets(n));
  daemon.wait_ready();
  const std::int64_t ready_kb = status_kb(daemon.pid(), "VmRSS");

  const fs::path tmp = ws.watch / ".memory.json.tmp";
  write_campaign(tmp, "memory", n, 0, o.mem_recipients);
  const auto file_bytes = fs::file_size(tmp);
  const auto dropped = SteadyClock::now();
  fs::rename(tmp, ws.watch / "memory.json");
  wait_imported(ws, daemon, "memory", o.mem_recipients, 600s);
  const double import_seconds = seconds_since(dropped);
  const std::int64_t after_import_hwm = status_kb(daemon.pid(), "VmHWM");
  std::this_thread::sleep_for(std::chrono::seconds(o.mem_run_seconds));
  const CampaignCounts counts = campaign_counts(ws.db, "memory");
  const std::int64_t rss_kb = status_kb(daemon.pid(), "VmRSS");
  const std::int64_t hwm_kb = status_kb(daemon.pid(), "VmHWM");
  daemon.stop();

  auto mb = [](double kb) { return kb / 1024.0; };
  std::printf("   campaign file %.1f MB, imported in %.1f s (%.0f rows/s); then ran %d s: %" PRId64 " sent, %" PRId64
              " queued\n",
              static_cast<double>(file_bytes) / 1e6, import_seconds,
              static_cast<double>(o.mem_recipients) / import_seconds, o.mem_run_seconds, counts.sent, counts.queued);
  std::printf("   daemon RSS: at ready %.1f MB, peak after import %.1f MB, now %.1f MB\n",
              mb(static_cast<double>(ready_kb)), mb(static_cast<double>(after_import_hwm)),
              mb(static_cast<double>(rss_kb)));
  std::printf("   daemon peak RSS (VmHWM)                                 %6.1f MB\n", mb(static_cast<double>(hwm_kb)));
  std::printf("   reference: storage's import of the same rows alone     %6.1f MB (ratio %.2fx)\n",
              mb(static_cast<double>(reference_kb)), static_cast<double>(hwm_kb) / static_cast<double>(reference_kb));
  std::printf("   (storage's import alone with a 16 MB page cache instead of the 4 MB one: %.1f MB)\n",
              mb(static_cast<double>(big_cache_kb)));
  std::printf("   target < 50 MB: %.2fx the target: %s\n\n", mb(static_cast<double>(hwm_kb)) / 50,
              verdict(mb(static_cast<double>(hwm_kb)) < 50).c_str());
  char m[64], r[96], t[64];
  std::snprintf(m, sizeof m, "%.1f MB peak", mb(static_cast<double>(hwm_kb)));
  std::snprintf(r, sizeof r, "storage import alone %.1f MB", mb(static_cast<double>(reference_kb)));
  std::snprintf(t, sizeof t, "< 50 MB (%.2fx)", mb(static_cast<double>(hwm_kb)) / 50);
  char what[64];
  std::snprintf(what, sizeof what, "peak RSS, %" PRId64 " queued", o.mem_recipients);
  g_summary.push_back({what, m, r, t, verdict(mb(static_cast<double>(hwm_kb)) < 50)});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::strcmp(argv[1], "--import-child") == 0)
    return import_child(argv[2], std::stoll(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  const Options o = parse_options(argc, argv);
  try {
    const std::string bin = outreachd_path();
    TempDir temp;
    if (o.keep) temp.keep();
    std::printf("daemon benchmark%s in %s\n  outreachd %s\n  %u CPUs, load average %s\n\n", o.quick ? " (--quick)" : "",
                temp.path().c_str(), bin.c_str(), std::thread::hardware_concurrency(), load_average().c_str());
    const auto start = SteadyClock::now();
    if (o.only.empty() || o.only == "throughput") bench_throughput(o, bin, temp.path());
    if (o.only.empty() || o.only == "pacing") bench_pacing(o, bin, temp.path());
    if (o.only.empty() || o.only == "idle") bench_idle(o, bin, temp.path());
    if (o.only.empty() || o.only == "memory") bench_memory(o, bin, temp.path());

    print_summary(g_summary, start, 32);
  } catch (std::exception const& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "bench_daemon: %s\n", e.what());
    return 1;
  }
  return 0;
}
