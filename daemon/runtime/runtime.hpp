#pragma once
// `outreachd run`: the daemon. run_daemon() takes the single-instance lock, opens the database,
// turns rows left `sending` by a previous crash into unknown/in_doubt, then runs one event loop
// with a Runtime: an account worker per configured account, the watch directory, the control
// socket, signals and sd_notify. Tests build a Runtime themselves, on a ManualClock.
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/secret_source.hpp"
#include "storage/database.hpp"
#include "storage/directory_lock.hpp"
#include "daemon/runtime/campaign_intake.hpp"
#include "daemon/runtime/claim_coalescer.hpp"
#include "daemon/runtime/reload.hpp"

namespace outreach {

class Clock;
class Database;
class WorkerRegistry;

struct RuntimeOptions {
  std::string config_path;
  /// Bound on the graceful stop: in-flight requests get this long to finish and be recorded
  /// (default: connect_timeout + request_timeout + 2 s).
  std::optional<Duration> stop_grace;
  /// SIGTERM, SIGINT and SIGHUP are the daemon's; an in-process test drives the same paths by call.
  bool handle_signals = true;
  /// The random source's seed (nullopt: from std::random_device).
  std::optional<std::uint64_t> seed;
  /// Where a reload reads the secrets the config refers to.
  SecretEnvironment secrets = SecretEnvironment::from_process();
};

/// What a daemon holds from start to exit: the state directory's lock, the watch directory's, and
/// the database, recovered (rows left `sending` become unknown/in_doubt) with its accounts synced.
struct DaemonState {
  StateLock lock;
  std::optional<DirectoryLock> watch_lock;
  Database db;
};

/// Creates the directories (private to the service user), takes the locks, opens and recovers the
/// database. Errors are one sentence each.
Result<DaemonState> open_daemon_state(Config const& config, TimePoint now);

class Runtime {
 public:
  /// `db` has been recovered and its accounts synced with `config`; both outlive the runtime.
  Runtime(boost::asio::io_context& io, Config config, RuntimeOptions options, Database& db, Clock& clock);
  ~Runtime();
  Runtime(Runtime const&) = delete;
  Runtime& operator=(Runtime const&) = delete;

  /// Workers, watch directory, control socket, signals; READY=1. Throws on a start-up problem.
  void start();
  /// What SIGHUP and `outreachd reload` do.
  ReloadOutcome reload();
  /// What SIGTERM does: no new claims; in-flight sends finish and are recorded within the grace
  /// period; then the event loop stops.
  void shutdown(std::string_view why);
  /// What the CLI's pause/resume/retry/suppress notify does: every worker looks again.
  void wake_all();

  bool stopped() const { return stopped_; }  ///< shutdown finished (or the grace ran out)
  WorkerRegistry const& workers() const { return *workers_; }
  ClaimCoalescer::Stats claim_stats() const { return claims_.stats(); }
  /// HTTP requests started and not yet answered (an in-process test waits for them before it
  /// moves its clock).
  std::size_t requests_in_flight() const;
  /// Campaign files offered to the import thread whose result the loop has not handled yet.
  std::size_t imports_in_progress() const;

 private:
  struct Parts;
  void intake(std::filesystem::path const& file);
  void give_up_unread_inbox_checks();
  void imported(std::filesystem::path const& file, IntakeResult const& result);
  void import_progress(std::filesystem::path const& file, IntakePass pass, std::int64_t bytes);
  void retry_intake_later();
  void rescan_watch_dir();
  void declare_ready();
  void on_clock_step(Duration step);
  void listen_for_signals();
  void maybe_finish();
  void finish();
  void log_claim_stats();
  void on_activity();
  void refresh_status_now();
  void keep_watchdog(Duration interval);

  boost::asio::io_context& io_;
  Config config_;
  RuntimeOptions options_;
  Database& db_;
  Clock& clock_;
  ClaimCoalescer claims_;  // before the workers: they use it until they are destroyed
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<WorkerRegistry> workers_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool status_pending_ = false;
  bool intake_retry_pending_ = false;
  bool ready_ = false;  ///< READY=1 was sent
};

/// Runs until SIGTERM/SIGINT. Returns the process exit code; start-up problems print one sentence
/// to stderr and return 1.
int run_daemon(Config config, RuntimeOptions const& options);

}  // namespace outreach
