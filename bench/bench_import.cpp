// bench_import: "big imports never stall sends", measured on the real `outreachd run` against the
// real `outreachd simulate` (child processes, loopback only, a temp dir), with bench_daemon's
// pacing method (bench_daemon_support.hpp):
//   1. pacing lateness of 100 accounts at 2–5 s in two windows of one run: (a) no import, for N s;
//      (b) from the drop of a 1,000,000-recipient campaign for another account into the watch
//      directory until campaign_status shows it with its full total, plus 2 s (target p99 < 20 ms);
//   2. import rate of that file: (i) in that daemon, its 100 accounts sending, vs (ii) the same file
//      dropped into a fresh daemon with no campaign (target (i)/(ii) >= 0.7x), vs (iii) the sqlite3
//      CLI's .import of the same rows into a table of the same shape plus the same partial index, as
//      bench_storage does (target daemon / CLI >= 0.5x).
// Not a pass/fail test: it prints, and says "MISSED" where a target is not met.
//
//   bench_import [--quick] [--keep] [--recipients N] [--seconds N]
#include <unistd.h>

#include <cinttypes>

#include "bench/bench_daemon_support.hpp"
#include "core/iso_time.hpp"

using namespace outreach;
using namespace outreach::bench;

namespace {

// ---------------------------------------------------------------- options

struct Options {
  bool quick = false;
  bool keep = false;
  std::int64_t recipients = 1'000'000;
  int seconds = 30;  ///< window (a)
  int accounts = 100;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: bench_import [--quick] [--keep] [--recipients N] [--seconds N]\n"
               "  --quick          window (a) of 10 s instead of 30 (the file keeps its size; the run is then\n"
               "                   mostly the three imports)\n"
               "  --recipients N   rows of the imported campaign (default 1,000,000)\n"
               "  --seconds N      length of window (a), no import (default 30; quick 10)\n"
               "  --keep           leave the temp dir: databases, outreachd.log, the simulator's DM log, the\n"
               "                   campaign files, pacing samples (pacing-samples.csv, one line per matched gap)\n"
               "outreachd is $OUTREACHD_BIN, else ../daemon/outreachd next to this executable; the CLI\n"
               "reference needs sqlite3 on the PATH.\n");
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::optional<int> seconds;
  CommandLine args("bench_import", argc, argv, usage);
  while (args.next()) {
    if (args.is("--recipients")) {
      o.recipients = args.positive_number();
    } else if (args.is("--seconds")) {
      seconds = static_cast<int>(args.positive_number(86'400));
    } else {
      args.not_an_option();
    }
  }
  o.quick = args.quick();
  o.keep = args.keep();
  if (o.quick) o.seconds = 10;
  if (seconds) o.seconds = *seconds;
  return o;
}

constexpr std::int64_t kMinGapMs = 2000, kMaxGapMs = 5000;
constexpr auto kGuard = 1s;        ///< between the windows: a send due just before the drop stays out of (a)
constexpr auto kTail = 2s;         ///< window (b) goes on this long after the campaign is visible
constexpr auto kImportTimeout = 900s;
constexpr int kLongestWindowB = 240;  ///< seconds the pacing queue is sized for (it runs dry after)
constexpr char const* kBulk = "bulk";
/// bench_storage's message: the rendered text of every row is the one its CLI reference stores.
constexpr char const* kBulkMessage = "Hi {{username}}, we just shipped our new app. Want an early look?";

// ---------------------------------------------------------------- the big campaign

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// bench_storage's row i: random-order usernames and ids (as in a real export), all distinct
/// (splitmix64 is a bijection), so the campaign's total is the file's row count.
struct Row {
  char username[24];
  char user_id[24];
};
Row row(std::int64_t i) {
  Row r{};
  std::snprintf(r.username, sizeof r.username, "u%014" PRIx64, splitmix64(static_cast<std::uint64_t>(i)) >> 8);
  std::snprintf(r.user_id, sizeof r.user_id, "%" PRIu64,
                splitmix64(static_cast<std::uint64_t>(i) ^ 0x5deece66dULL) >> 1);
  return r;
}

struct BulkFiles {
  fs::path csv;              ///< username,user_id: what the daemon reads (recipients_csv)
  fs::path cli_csv;          ///< the same rows as the daemon stores them, for sqlite3's .import
  std::string json;          ///< the campaign file naming the CSV
  std::uintmax_t csv_bytes = 0, json_bytes = 0;
};

/// One pass over the rows writes both CSVs. The campaign belongs to `account` alone and starts a
/// week from now: imported in full, it is `scheduled` and sends nothing meanwhile.
BulkFiles write_bulk(fs::path const& dir, std::int64_t n, std::string const& account) {
  BulkFiles b;
  b.csv = dir / "bulk.csv";
  b.cli_csv = dir / "cli-rows.csv";
  std::FILE* daemon_csv = std::fopen(b.csv.c_str(), "w");
  std::FILE* cli_csv = std::fopen(b.cli_csv.c_str(), "w");
  if (daemon_csv == nullptr || cli_csv == nullptr) fail("cannot write the CSV files in " + dir.string());
  std::vector<char> buffer1(1 << 20), buffer2(1 << 20);
  std::setvbuf(daemon_csv, buffer1.data(), _IOFBF, buffer1.size());
  std::setvbuf(cli_csv, buffer2.data(), _IOFBF, buffer2.size());
  std::fprintf(daemon_csv, "username,user_id\n");
  for (std::int64_t i = 0; i < n; ++i) {
    const Row r = row(i);
    std::fprintf(daemon_csv, "%s,%s\n", r.username, r.user_id);
    // campaign_id, username, user_id, the rendered text, state: bench_storage's CLI rows.
    std::fprintf(cli_csv, "1,%s,%s,\"Hi %s, we just shipped our new app. Want an early look?\",pending\n", r.username,
                 r.user_id, r.username);
  }
  if (std::fclose(daemon_csv) != 0 || std::fclose(cli_csv) != 0) fail("cannot write the CSV files");
  const auto start_at = std::chrono::floor<Duration>(std::chrono::system_clock::now()) + std::chrono::days(7);
  b.json = std::string("{\"name\": \"") + kBulk + "\",\n \"accounts\": [\"" + account + "\"],\n \"message\": \"" +
           kBulkMessage + "\",\n \"recipients_csv\": \"bulk.csv\",\n \"start_at\": \"" + format_iso8601(start_at) +
           "\"}\n";
  b.csv_bytes = fs::file_size(b.csv);
  b.json_bytes = b.json.size();
  return b;
}

/// Puts the CSV (a hard link: same bytes, no second copy) and the campaign file under a hidden
/// name into the watch directory; drop() renames the latter in (README.md#the-watch-directory).
class BulkDrop {
 public:
  BulkDrop(Workspace const& ws, BulkFiles const& files) : ws_(ws) {
    std::error_code ec;
    fs::create_hard_link(files.csv, ws.watch / "bulk.csv", ec);
    if (ec) fs::copy_file(files.csv, ws.watch / "bulk.csv", fs::copy_options::overwrite_existing);
    write_text(tmp(), files.json);
  }
  void drop() { fs::rename(tmp(), ws_.watch / (std::string(kBulk) + ".json")); }

 private:
  fs::path tmp() const { return ws_.watch / ("." + std::string(kBulk) + ".json.tmp"); }
  Workspace const& ws_;
};

/// The drop and the wait for campaign_status to show the whole campaign, polled every 50 ms;
/// `tick` runs at every poll (window (b) also records the pacing schedules).
/// Cumulative time (µs) in which some runnable task waited for a CPU (PSI, /proc/pressure/cpu);
/// -1 when the kernel does not report it. Other work on the machine skews every figure here.
double cpu_pressure_us() {
  std::string line;
  std::getline(std::ifstream("/proc/pressure/cpu"), line);
  const auto at = line.find("total=");
  return at == std::string::npos ? -1 : std::stod(line.substr(at + 6));
}

struct ImportRun {
  double seconds = 0;  ///< from the rename to total = N seen
  std::int64_t dropped_wall_ms = 0, visible_wall_ms = 0;
  CpuReading cpu;               ///< the daemon's, over those seconds
  double cpu_pressure = -1;     ///< share of those seconds in which some task on the machine waited for a CPU

  std::string cpu_text() const {
    char out[128];
    std::snprintf(out, sizeof out, "daemon on a CPU %.1f s, runnable but waiting %.1f s; machine CPU pressure %.0f%%",
                  cpu.sched_seconds, cpu.queued_seconds, 100 * cpu_pressure);
    return out;
  }
};

ImportRun drop_and_wait(Workspace const& ws, DaemonProcess const& daemon, SqlReader& sql, BulkDrop& bulk,
                        std::int64_t total, std::function<void()> const& tick = {}) {
  ImportRun run;
  const CpuReading before = read_cpu(daemon.pid());
  const double pressure_before = cpu_pressure_us();
  const auto dropped = SteadyClock::now();
  run.dropped_wall_ms = wall_ms();
  bulk.drop();
  for (;;) {
    if (tick) tick();
    if (sql.number(std::string("SELECT total FROM campaign_status WHERE campaign = '") + kBulk + "'") == total) break;
    if (daemon.exited()) fail("outreachd exited during the import:\n" + DaemonProcess::tail(daemon.log()));
    if (fs::exists(ws.watch / "rejected" / "bulk.json.error"))
      fail("the campaign was rejected:\n" + read_file(ws.watch / "rejected" / "bulk.json.error"));
    if (SteadyClock::now() - dropped > kImportTimeout)
      fail("the campaign was not imported within " + std::to_string(kImportTimeout.count()) + " s:\n" +
           DaemonProcess::tail(daemon.log()));
    std::this_thread::sleep_for(50ms);
  }
  run.seconds = seconds_since(dropped);
  run.visible_wall_ms = wall_ms();
  const CpuReading after = read_cpu(daemon.pid());
  run.cpu.sched_seconds = after.sched_seconds - before.sched_seconds;
  run.cpu.queued_seconds = after.queued_seconds - before.queued_seconds;
  run.cpu.stat_seconds = after.stat_seconds - before.stat_seconds;
  if (pressure_before >= 0) run.cpu_pressure = (cpu_pressure_us() - pressure_before) / 1e6 / run.seconds;
  return run;
}

/// The daemon's own log line about a campaign (the import's summary), or "".
std::string log_line(std::string const& log, std::string const& needle) {
  const auto at = log.find(needle);
  if (at == std::string::npos) return {};
  const auto begin = log.rfind('\n', at);
  const auto from = begin == std::string::npos ? 0 : begin + 1;
  return log.substr(from, log.find('\n', at) - from);
}

// ---------------------------------------------------------------- summary

std::vector<SummaryLine> g_summary;

struct Dist {
  std::vector<double> v;
  std::string cell() const {
    char out[96];
    std::snprintf(out, sizeof out, "%7.1f %8.1f %8.1f  n=%-5zu", quantile(v, 0.5), quantile(v, 0.99),
                  v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), v.size());
    return out;
  }
};

void side_by_side(char const* label, Dist const& a, Dist const& b) {
  std::printf("   %-44s %-34s %s\n", label, a.cell().c_str(), b.cell().c_str());
}

// ---------------------------------------------------------------- 1 and 2(i): the windows

struct WindowsResult {
  double p99_a = 0, p99_b = 0;
  bool measured = false;
  ImportRun with_sending;
  double quiet_a = 0, quiet_b = 0;  ///< longest stretch in which no account began a send, seconds
};

/// The longest stretch within [from, to) in which no send began: from `from` to the first claim,
/// and between consecutive claims (`claims` sorted, wall ms). The stretch after the last claim is
/// left out (after a burst of catch-up sends every account waits its gap), unless there is no claim.
double longest_quiet_seconds(std::vector<std::int64_t> const& claims, std::int64_t from, std::int64_t to) {
  std::int64_t previous = from, longest = 0;
  bool any = false;
  for (std::int64_t c : claims) {
    if (c < from) continue;
    if (c >= to) break;
    longest = std::max(longest, c - previous);
    previous = c;
    any = true;
  }
  if (!any) longest = to - from;
  return static_cast<double>(longest) / 1000;
}

WindowsResult bench_windows(Options const& o, std::string const& bin, fs::path const& root, BulkFiles const& files) {
  const int n = o.accounts;
  const int bulk_account = n + 1;
  std::printf("1. Pacing lateness: %d accounts at pacing 2s-5s, (a) no import for %d s, then (b) from the drop of a\n"
              "   %" PRId64 "-recipient campaign until campaign_status shows its full total, + %d s\n",
              n, o.seconds, o.recipients, static_cast<int>(kTail.count()));
  std::printf(
      "   method (bench_daemon's): after each send the daemon stores the account's next allowed send time in\n"
      "   accounts.next_send_at; the bench polls it every 50-100 ms and, after the run, matches it with the\n"
      "   account's next claim (recipients.claimed_at) and with the time the simulator received that DM (its\n"
      "   log). A gap belongs to the window its scheduled time falls in; the windows are %d s apart, so a send\n"
      "   due just before the drop, then stalled by the import, does not count in (a).\n",
      static_cast<int>(kGuard.count()));
  std::printf(
      "   the big campaign is for %s, an account none of the %d use, with start_at a week ahead: it is\n"
      "   imported exactly as any file (validated, hashed, every row written), then `scheduled`, so it sends\n"
      "   nothing and claims nothing during the window, with no race and nothing to undo (a cap would still\n"
      "   let it send until capped; a pause could only come after the import, when it may have sent already).\n",
      account_name(bulk_account).c_str(), n);
  std::fflush(stdout);

  Workspace ws(root / "pacing");
  write_text(ws.dir / "scenario.json", scenario_json(n + 1));
  const fs::path sim_log = ws.dir / "sim-messages.jsonl";
  std::optional<SimulatorProcess> sim;
  sim.emplace(bin, ws.dir / "scenario.json", sim_log);
  write_config(ws, sim->base_url(), n + 1, {"2s", "5s"}, "premium");
  BulkDrop bulk(ws, files);
  ::sync();  // the freshly written files reach the disk now, not during a window
  DaemonProcess daemon(bin, ws.config, secrets(n + 1));
  daemon.wait_ready();
  // Enough that no account runs dry even if window (b) lasts kLongestWindowB s: each sends at most
  // once every 2 s.
  const std::int64_t queue = static_cast<std::int64_t>(n) * ((o.seconds + kLongestWindowB) / 2 + 5);
  drop_campaign(ws, "pacing", n, queue);
  wait_imported(ws, daemon, "pacing", queue, 120s);

  SqlReader sql(ws.db);
  ScheduleRecorder schedules;
  // Steady state first: every account has sent once (the first sends go out together), then one
  // longest gap more, by which the drawn gaps have spread the accounts' sends apart.
  if (!wait_for(
          [&] {
            schedules.poll(sql);
            return daemon.exited() || campaign_counts(ws.db, "pacing").sent >= n;
          },
          60s, 100ms) ||
      daemon.exited())
    fail("the daemon did not reach " + std::to_string(n) + " sends within 60 s:\n" + DaemonProcess::tail(daemon.log()));

  auto poll_for = [&](std::chrono::milliseconds length) {
    const auto start = SteadyClock::now();
    while (SteadyClock::now() - start < length) {
      schedules.poll(sql);
      std::this_thread::sleep_for(100ms);
    }
  };
  poll_for(std::chrono::milliseconds(kMaxGapMs));

  // (a) no import.
  std::vector<double> noise_a, disk_a, noise_b, disk_b;
  const std::int64_t a0 = wall_ms();
  {
    TimerNoise timer;
    DiskSyncLatency disk(ws.dir / "disk-probe-a.db");
    poll_for(std::chrono::seconds(o.seconds));
    noise_a = timer.stop();
    disk_a = disk.stop();
  }
  const std::int64_t a1 = wall_ms();
  poll_for(kGuard);

  // (b) the drop, the import, and kTail more.
  WindowsResult out;
  std::int64_t b0 = 0, b1 = 0;
  {
    TimerNoise timer;
    DiskSyncLatency disk(ws.dir / "disk-probe-b.db");
    b0 = wall_ms();
    out.with_sending = drop_and_wait(ws, daemon, sql, bulk, o.recipients, [&] { schedules.poll(sql); });
    poll_for(kTail);
    b1 = wall_ms();
    noise_b = timer.stop();
    disk_b = disk.stop();
  }
  const std::int64_t hwm_kb = status_kb(daemon.pid(), "VmHWM");
  const CampaignCounts pacing = campaign_counts(ws.db, "pacing");
  const CampaignCounts big = campaign_counts(ws.db, kBulk);
  std::string big_state;
  sql.each(std::string("SELECT state FROM campaign_status WHERE campaign = '") + kBulk + "'",
           [&](SqlReader::Row const& r) { big_state = r[0].value_or("?"); });
  const std::string log = daemon.stop();
  sim.reset();  // flushes and closes its log
  std::vector<std::int64_t> claims;
  SqlReader(ws.db).each("SELECT claimed_at FROM recipients WHERE claimed_at IS NOT NULL ORDER BY claimed_at",
                        [&](SqlReader::Row const& r) { claims.push_back(std::stoll(*r[0])); });
  out.quiet_a = longest_quiet_seconds(claims, a0, a1);
  out.quiet_b = longest_quiet_seconds(claims, b0, b1);

  const PacingRecord record = match_schedules(ws.db, sim_log, schedules.schedules(), kMinGapMs, kMaxGapMs);
  write_pacing_samples(ws.dir / "pacing-samples.csv", record.sends);
  const auto in_a = record.scheduled_in(a0, a1);
  const auto in_b = record.scheduled_in(b0, b1);
  const auto during_import = record.scheduled_in(b0, out.with_sending.visible_wall_ms);
  const Lateness la = lateness(in_a), lb = lateness(in_b), li = lateness(during_import);

  std::printf("   window (a): %.1f s; window (b): %.2f s (the import %.2f s + %d s)\n",
              static_cast<double>(a1 - a0) / 1000, static_cast<double>(b1 - b0) / 1000, out.with_sending.seconds,
              static_cast<int>(kTail.count()));
  std::printf("   sends over the run: %" PRId64 " (%" PRId64 " after a gap); gaps matched: %zu in (a), %zu in (b), %zu "
              "due during the import;\n   drawn gaps %" PRId64 "..%" PRId64 " ms; inconsistent: %" PRId64
              "; claimed not sent: %" PRId64 "; pacing queue left %" PRId64 "%s\n",
              record.total_sends, record.paced_sends, in_a.size(), in_b.size(), during_import.size(), record.gap_min,
              record.gap_max, record.bad_gap, record.not_sent, pacing.queued,
              pacing.queued > 0 ? "" : "   <-- the pacing queue ran dry: window (b) is short of sends");
  if (!record.first_bad.empty()) std::printf("   first inconsistent schedule: %s\n", record.first_bad.c_str());
  if (!in_b.empty() && in_b.size() == during_import.size())
    std::printf("   (no gap of (b) was scheduled in its last %d s: every account's first send after the import\n"
                "   began a gap of at least 2 s)\n",
                static_cast<int>(kTail.count()));
  std::printf("   %-44s %-34s %s\n", "", "(a) no import", "(b) import");
  std::printf("   %-44s %-34s %s\n", "milliseconds", "    p50      p99      max", "    p50      p99      max");
  side_by_side("lateness of the DM at the provider", Dist{la.dm}, Dist{lb.dm});
  side_by_side("  of which the wake-up (claim - scheduled)", Dist{la.wake}, Dist{lb.wake});
  side_by_side("  and claim -> DM (claim, canDm, send)", Dist{la.claim_to_dm}, Dist{lb.claim_to_dm});
  std::printf("   %-44s %-34s %s\n", "DM lateness of the sends due during the import", "", Dist{li.dm}.cell().c_str());
  side_by_side("reference: this machine's timer lateness", Dist{noise_a}, Dist{noise_b});
  side_by_side("reference: the disk's durable commit", Dist{disk_a}, Dist{disk_b});
  out.p99_a = quantile(la.dm, 0.99);
  out.p99_b = quantile(lb.dm, 0.99);
  out.measured = !la.dm.empty() && !lb.dm.empty();
  const bool met = out.measured && out.p99_b < 20;
  std::printf("   p99 (a) %.1f ms, (b) %.1f ms: (b) is %.1fx (a); target (b) p99 < 20 ms: %.2fx the target: %s\n",
              out.p99_a, out.p99_b, out.p99_a > 0 ? out.p99_b / out.p99_a : 0.0, out.p99_b / 20, verdict(met).c_str());
  std::printf("   longest stretch in which none of the %d accounts began a send (recipients.claimed_at):\n"
              "   (a) %.2f s, (b) %.2f s (the import took %.2f s)\n",
              n, out.quiet_a, out.quiet_b, out.with_sending.seconds);
  std::printf("   the big campaign: total %" PRId64 ", state %s, sent %" PRId64 " (it must send nothing); daemon peak "
              "RSS %.1f MB\n",
              big.total, big_state.c_str(), big.sent, static_cast<double>(hwm_kb) / 1024);
  if (auto line = log_line(log, "campaign bulk imported"); !line.empty())
    std::printf("   the daemon's log: %s\n", line.c_str());
  std::printf("   simulator-only check: smallest DM-to-DM spacing of an account %" PRId64
              " ms; spacings below min_delay: %" PRId64 "\n\n",
              record.spacing_min, record.below_min);

  char m[64], r[96], t[64];
  std::snprintf(m, sizeof m, "p99 %.0f ms, max %.0f", out.p99_b,
                lb.dm.empty() ? 0.0 : *std::max_element(lb.dm.begin(), lb.dm.end()));
  std::snprintf(r, sizeof r, "(a) p99 %.1f ms (b/a %.0fx); timer p99 %.1f", out.p99_a,
                out.p99_a > 0 ? out.p99_b / out.p99_a : 0.0, quantile(noise_b, 0.99));
  std::snprintf(t, sizeof t, "< 20 ms (%.2fx)", out.p99_b / 20);
  g_summary.push_back({"pacing lateness during import", m, r, t, verdict(met)});
  return out;
}

// ---------------------------------------------------------------- 2(ii): the import alone

ImportRun bench_alone(Options const& o, std::string const& bin, fs::path const& root, BulkFiles const& files) {
  const int n = o.accounts;
  Workspace ws(root / "alone");
  write_text(ws.dir / "scenario.json", scenario_json(n + 1));
  SimulatorProcess sim(bin, ws.dir / "scenario.json");
  write_config(ws, sim.base_url(), n + 1, {"2s", "5s"}, "premium");
  BulkDrop bulk(ws, files);
  ::sync();  // what the first daemon wrote is on the disk before this one starts
  DaemonProcess daemon(bin, ws.config, secrets(n + 1));
  daemon.wait_ready();
  std::this_thread::sleep_for(1s);  // start-up writes settle
  SqlReader sql(ws.db);
  const ImportRun run = drop_and_wait(ws, daemon, sql, bulk, o.recipients);
  daemon.stop();
  return run;
}

// ---------------------------------------------------------------- 2(iii): the sqlite3 CLI

double bench_cli(fs::path const& root, BulkFiles const& files, std::int64_t n) {
  const fs::path db = root / "cli.db";
  // bench_storage's script: the rows as the daemon stores them, into a table of the same columns,
  // then the index the import fills (the table's other indexes are partial and stay empty).
  const std::string script =
      "PRAGMA journal_mode=WAL;\n"
      "CREATE TABLE recipients (campaign_id INTEGER NOT NULL, username TEXT COLLATE NOCASE, user_id TEXT, "
      "text TEXT NOT NULL, state TEXT NOT NULL);\n"
      ".import --csv " +
      files.cli_csv.string() +
      " recipients\n"
      "CREATE INDEX recipients_pending ON recipients (campaign_id) WHERE state = 'pending';\n"
      "SELECT count(*) FROM recipients;\n";
  ::sync();
  const auto start = SteadyClock::now();
  ProcessOptions options;
  options.stdin_data = script;
  auto result = outreach::test::run_process({"sqlite3", db.string()}, options,
                                            std::chrono::duration_cast<std::chrono::milliseconds>(kImportTimeout));
  const double seconds = seconds_since(start);
  if (result.exit_code != 0 || result.out.find(std::to_string(n)) == std::string::npos)
    fail("sqlite3 .import failed (exit " + std::to_string(result.exit_code) + "): " + result.out + result.err);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  try {
    const std::string bin = outreachd_path();
    TempDir temp;
    if (o.keep) temp.keep();
    const fs::path root = temp.path();
    std::printf("import benchmark%s in %s\n  outreachd %s\n  %u CPUs, load average %s\n\n",
                o.quick ? " (--quick)" : "", root.c_str(), bin.c_str(), std::thread::hardware_concurrency(),
                load_average().c_str());
    const auto start = SteadyClock::now();
    const auto written = SteadyClock::now();
    const BulkFiles files = write_bulk(root, o.recipients, account_name(o.accounts + 1));
    std::printf("the campaign file: bulk.json (%ju bytes) naming bulk.csv (%" PRId64
                " rows of username,user_id, %.1f MB, written in %.1f s);\n"
                "the message \"%s\" is rendered per row\n\n",
                files.json_bytes, o.recipients, static_cast<double>(files.csv_bytes) / 1e6, seconds_since(written),
                kBulkMessage);
    std::fflush(stdout);

    const WindowsResult windows = bench_windows(o, bin, root, files);

    std::printf("2. Import rate of the %" PRId64 "-recipient campaign\n", o.recipients);
    std::fflush(stdout);
    const ImportRun alone = bench_alone(o, bin, root, files);
    const double cli_seconds = bench_cli(root, files, o.recipients);
    if (!o.keep) fs::remove(root / "cli.db");

    const double n = static_cast<double>(o.recipients);
    const double with_rate = n / windows.with_sending.seconds, alone_rate = n / alone.seconds,
                 cli_rate = n / cli_seconds;
    auto row_line = [&](char const* label, double seconds, double rate, std::string const& extra) {
      std::printf("   %-56s %7.2f s %9.0f rows/s\n", label, seconds, rate);
      if (!extra.empty()) std::printf("         %s\n", extra.c_str());
    };
    char label[96], quiet[96];
    std::snprintf(label, sizeof label, "(i)   in the daemon whose %d accounts send (window b)", o.accounts);
    std::snprintf(quiet, sizeof quiet, "; no send began for %.2f s", windows.quiet_b);
    row_line(label, windows.with_sending.seconds, with_rate, windows.with_sending.cpu_text() + quiet);
    row_line("(ii)  alone: a fresh daemon, no campaign running", alone.seconds, alone_rate, alone.cpu_text());
    row_line("(iii) sqlite3 CLI .import --csv + the partial index", cli_seconds, cli_rate, "");
    const double sending_ratio = with_rate / alone_rate;
    const double cli_ratio = alone_rate / cli_rate;
    std::printf("   %-56s %6.2fx   target >= 0.7x: %s\n", "rate with sending / alone, (i)/(ii)", sending_ratio,
                verdict(sending_ratio >= 0.7).c_str());
    std::printf("   %-56s %6.2fx   target >= 0.5x: %s   (with sending, (i)/(iii): %.2fx)\n",
                "daemon alone / CLI, (ii)/(iii)", cli_ratio, verdict(cli_ratio >= 0.5).c_str(), with_rate / cli_rate);
    std::printf(
        "   what each includes: (i) and (ii) run from the rename of bulk.json into the watch directory until\n"
        "   campaign_status shows total = %" PRId64 " (polled every 50 ms): the inotify event, reading the JSON and\n"
        "   the CSV twice (a validation pass, then the import pass) with a SHA-256 of both on each pass, checking\n"
        "   and rendering every row, collapsing duplicates, the suppression check, the inserts and their indexes,\n"
        "   and the durable commit. (iii) is sqlite3 reading a ready CSV of the final rows (campaign_id, username,\n"
        "   user_id, rendered text, state) in one transaction and then building recipients_pending; it validates,\n"
        "   renders, hashes and deduplicates nothing. Its CSV is %.1f MB, the daemon's %.1f MB.\n\n",
        o.recipients, static_cast<double>(fs::file_size(files.cli_csv)) / 1e6,
        static_cast<double>(files.csv_bytes) / 1e6);

    char m[64], r[96], t[64];
    std::snprintf(m, sizeof m, "%.0f rows/s (%.1f s)", with_rate, windows.with_sending.seconds);
    std::snprintf(r, sizeof r, "alone %.0f rows/s (%.1f s)", alone_rate, alone.seconds);
    std::snprintf(t, sizeof t, ">= 0.7x (%.2fx)", sending_ratio);
    g_summary.push_back({"import rate while sending", m, r, t, verdict(sending_ratio >= 0.7)});
    std::snprintf(m, sizeof m, "%.0f rows/s alone", alone_rate);
    std::snprintf(r, sizeof r, "sqlite3 .import + index %.0f rows/s", cli_rate);
    std::snprintf(t, sizeof t, ">= 0.5x (%.2fx)", cli_ratio);
    g_summary.push_back({"import rate vs sqlite3 CLI", m, r, t, verdict(cli_ratio >= 0.5)});

    print_summary(g_summary, start, 30);
  } catch (std::exception const& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "bench_import: %s\n", e.what());
    return 1;
  }
  return 0;
}
