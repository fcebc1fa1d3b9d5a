#include "daemon/runtime/runtime.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "daemon/http/http_client.hpp"
#include "daemon/runtime/campaign_importer.hpp"
#include "daemon/runtime/clock.hpp"
#include "daemon/runtime/control_socket.hpp"
#include "daemon/runtime/logging.hpp"
#include "daemon/runtime/session_factory.hpp"
#include "daemon/runtime/status_line.hpp"
#include "daemon/runtime/step_aware_clock.hpp"
#include "daemon/runtime/systemd_notify.hpp"
#include "daemon/runtime/watch_dir.hpp"
#include "daemon/runtime/worker_registry.hpp"
#include "storage/accounts.hpp"
#include "storage/clock_shift.hpp"
#include "storage/database.hpp"
#include "storage/directory_lock.hpp"
#include "storage/inbox.hpp"
#include "storage/queue.hpp"
#include "storage/sqlite.hpp"
#include "storage/status.hpp"

namespace outreach {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr Duration kIntakeRetry = std::chrono::minutes(1);

HttpClientOptions client_options(Config const& config) {
  HttpClientOptions options;
  options.connect_timeout = config.http.connect_timeout;
  options.request_timeout = config.http.request_timeout;
  return options;
}

std::vector<ConfiguredAccount> configured_accounts(Config const& config) {
  std::vector<ConfiguredAccount> out;
  for (auto const& a : config.accounts) out.push_back({a.name, a.provider, a.effective_cap});
  return out;
}

/// Chunks of a millisecond or two of inserts, each followed by 1 ms in which the CLI and an
/// operator's sqlite3 can write (bench/bench_import.cpp measures both sides).
ImportOptions daemon_import_options() {
  ImportOptions options;
  options.rows_per_transaction = 2000;
  options.pause_between_chunks = std::chrono::milliseconds(1);
  options.read_inbox_first = true;
  return options;
}

AccountNames account_names(Config const& config) {
  AccountNames names;
  for (auto const& a : config.accounts) names.insert(a.name);
  return names;
}

}  // namespace

/// What the runtime owns beside its workers: the I/O objects and timers.
struct Runtime::Parts {
  Parts(asio::io_context& io, Config const& config, Clock& clock, std::uint64_t seed)
      : http(io, client_options(config)),
        signals(io),
        status_timer(io.get_executor(), clock),
        watchdog_timer(io.get_executor(), clock),
        grace_timer(io.get_executor(), clock),
        intake_retry_timer(io.get_executor(), clock),
        rng(seed) {}

  HttpClient http;
  asio::signal_set signals;
  Timer status_timer;
  Timer watchdog_timer;
  Timer grace_timer;
  Timer intake_retry_timer;
  std::mt19937_64 rng;
  SystemdNotifier notifier;
  IntakeWaitlist intake_waitlist;  // before watch: its callbacks use it
  std::unique_ptr<CampaignImporter> importer;
  std::string importing;  ///< "importing big.json: 12 MiB read", for STATUS= while a file is read
  std::unique_ptr<WatchDir> watch;
  std::unique_ptr<ControlSocket> control;
};

Runtime::Runtime(asio::io_context& io, Config config, RuntimeOptions options, Database& db, Clock& clock)
    : io_(io),
      config_(std::move(config)),
      options_(std::move(options)),
      db_(db),
      clock_(clock),
      claims_(io.get_executor(), db, [&clock] { return clock.now(); }),
      parts_(std::make_unique<Parts>(io, config_, clock, options_.seed.value_or(std::random_device{}()))) {
  WorkerEnv env;
  env.db = &db_;
  env.claims = &claims_;
  env.clock = &clock_;
  env.draw = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(parts_->rng); };
  env.on_activity = [this] { on_activity(); };
  env.on_requeue = [this] { workers_->wake_idle(); };
  workers_ = std::make_unique<WorkerRegistry>(io.get_executor(), std::move(env), [this](AccountConfig const& a) {
    return make_session(parts_->http, config_, a, db_, clock_);
  });
  // The loop's writes and the import thread's chunks take turns, first come first served.
  auto turns = std::make_shared<sql::WriteTurns>();
  db_.connection().share_write_turns(turns);
  parts_->importer = std::make_unique<CampaignImporter>(
      io.get_executor(), db_.path(), turns,
      [this](fs::path const& file, IntakeResult const& result) { imported(file, result); },
      [this](fs::path const& file, IntakePass pass, std::int64_t bytes) { import_progress(file, pass, bytes); },
      daemon_import_options());
  clock_.on_step([this](Duration step) { on_clock_step(step); });
}

Runtime::~Runtime() {
  clock_.on_step({});
  parts_->importer.reset();  // joins the import thread: it shares the write turns with db_
  db_.connection().share_write_turns(nullptr);
  workers_.reset();  // before the parts: a worker's session uses the HTTP client
}

void Runtime::start() {
  workers_->create(config_);
  give_up_unread_inbox_checks();
  if (options_.handle_signals) {
    for (int signal : {SIGTERM, SIGINT, SIGHUP}) parts_->signals.add(signal);
    listen_for_signals();
  }
  parts_->control = std::make_unique<ControlSocket>(io_, config_.state_dir, [this](std::string const& message) {
    if (message.rfind("reload", 0) == 0) return reload().answer();
    wake_all();
    return std::string();
  });
  parts_->watch = std::make_unique<WatchDir>(
      io_, config_.watch_dir, [this](fs::path const& file) { intake(file); },
      // Any closed file may be the recipients_csv a waiting campaign needs; CSVs name no campaign.
      [this](fs::path const&) {
        for (auto const& file : parts_->intake_waitlist.waiting_on_other_files())
          if (is_regular_non_symlink(file)) intake(file);
      });
  // The loop turns from here on, so the watchdog is fed while the start-up scan's files import.
  if (auto interval = parts_->notifier.watchdog_interval()) keep_watchdog(*interval);
  workers_->start_all();
  parts_->watch->start();  // offers the files already there to the import thread
  if (parts_->importer->busy() == 0) declare_ready();
}

/// READY=1 once the start-up scan is done: the files that were there when the daemon started are
/// imported (or rejected, or left waiting), so `systemctl start` returns with them in the views.
/// Running campaigns send meanwhile.
void Runtime::declare_ready() {
  if (ready_ || stopping_) return;
  parts_->notifier.ready();
  ready_ = true;
  refresh_status_now();
  spdlog::info("outreachd ready: {} accounts, watching {}", workers_->size(), config_.watch_dir);
}

void Runtime::wake_all() { workers_->wake_all(); }

/// In-doubt sends of accounts whose inbox no sync reads any more (removed from the config, or moved
/// to a provider without an inbox) would wait forever for a check: they are given up (held retries
/// become unknown), and the account's campaigns stop waiting for a read.
void Runtime::give_up_unread_inbox_checks() {
  auto given_up = abandon_unread_inbox_checks(db_, WorkerRegistry::inbox_accounts(config_), clock_.now());
  if (!given_up) {
    spdlog::error("cannot give up the inbox checks of accounts whose inbox is not read: {}", given_up.error().message);
    return;
  }
  if (*given_up > 0)
    spdlog::warn("{} in-doubt sends of accounts whose inbox is no longer read stay unknown (check them by hand)",
                 *given_up);
}

std::size_t Runtime::requests_in_flight() const { return parts_->http.in_flight(); }

std::size_t Runtime::imports_in_progress() const { return parts_->importer->busy(); }

void Runtime::intake(fs::path const& file) {
  if (stopping_) return;
  parts_->importer->offer({file, config_.watch_dir, account_names(config_), clock_.now()});
}

void Runtime::imported(fs::path const& file, IntakeResult const& result) {
  parts_->importing.clear();
  if (parts_->intake_waitlist.report(file, result)) retry_intake_later();
  wake_all();
  if (!ready_ && parts_->importer->busy() == 0) declare_ready();
  on_activity();
}

/// A big file takes seconds to read twice (validation, then import): say so in STATUS= and, at the
/// first MiB of each pass and every 16 MiB, in the log. Before READY=1 every report goes out at
/// once, with more start-up time asked for, since the start-up scan's files may outlast
/// TimeoutStartSec=.
void Runtime::import_progress(fs::path const& file, IntakePass pass, std::int64_t bytes) {
  parts_->importing = std::string(pass == IntakePass::validating ? "validating " : "importing ") +
                      file.filename().string() + ": " + std::to_string(bytes >> 20) + " MiB read";
  if (std::int64_t const mib = bytes >> 20; mib == 1 || mib % 16 == 0) spdlog::info("{}", parts_->importing);
  if (!ready_ && parts_->notifier.enabled()) {
    parts_->notifier.extend_start_timeout(std::chrono::seconds(30));
    refresh_status_now();
    return;
  }
  on_activity();
}

/// A campaign file kept because the database failed (a full disk, say), or left waiting (for a
/// writer to close it or its CSV, or for accepted/ or rejected/ to be usable), is offered again
/// in a minute, or at once on SIGHUP. The timer runs only while such a file waits: no idle cost.
void Runtime::retry_intake_later() {
  if (intake_retry_pending_ || stopping_) return;
  intake_retry_pending_ = true;
  parts_->intake_retry_timer.expires_after(kIntakeRetry);
  parts_->intake_retry_timer.async_wait([this](bool expired) {
    // Cancelled by a reload, whose rescan may already have armed the next wait: that one owns the
    // flag now (clearing it here would make the next reload skip its rescan).
    if (!expired) return;
    intake_retry_pending_ = false;
    if (!stopping_ && parts_->watch) rescan_watch_dir();
  });
}

void Runtime::rescan_watch_dir() {
  if (auto scanned = parts_->watch->rescan(); !scanned) {
    spdlog::error("{}", scanned.error().message);
    retry_intake_later();
  }
  parts_->intake_waitlist.forget_missing();
}

/// The wall clock jumped (NTP after a suspended VM, `date -s`): what is stored relative to now
/// moves with it, before anyone acts on the new reading, so caps and waits hold in real time.
void Runtime::on_clock_step(Duration step) {
  auto const seconds = std::chrono::duration<double>(step).count();
  spdlog::warn("the wall clock stepped {} by {:.3f} s (measured against CLOCK_BOOTTIME); the send ledger, retry "
               "times and waits move with it, so caps and pacing hold in real time",
               seconds > 0 ? "forwards" : "backwards", seconds > 0 ? seconds : -seconds);
  if (auto r = shift_for_clock_step(db_, step); !r)
    spdlog::error("cannot move the stored times after the clock step: {}; daily caps may be off by the step",
                  r.error().message);
  workers_->shift_times(step);
}

void Runtime::listen_for_signals() {
  parts_->signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      (void)reload();  // the outcome is in the log; `outreachd reload` reports it to its caller
      listen_for_signals();
      return;
    }
    shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

ReloadOutcome Runtime::reload() {
  if (stopping_) return ReloadOutcome{false, {"the daemon is stopping"}};
  ReloadPlan plan = read_reload(options_.config_path, config_, options_.secrets);
  if (!plan.config) return plan.outcome;
  ReloadOutcome out = std::move(plan.outcome);
  if (auto r = set_log_level(to_string(plan.config->log_level)); !r) spdlog::warn("{}", r.error().message);
  config_ = std::move(*plan.config);
  if (auto r = sync_accounts(db_, configured_accounts(config_)); !r)
    spdlog::error("reload: cannot update accounts: {}", r.error().message);
  workers_->apply(config_);
  give_up_unread_inbox_checks();
  spdlog::info("configuration reloaded: {} accounts", config_.accounts.size());
  out.lines.push_back("configuration reloaded: " + std::to_string(config_.accounts.size()) + " accounts");
  // systemd copies LoadCredential= files once, when the service starts: a reload re-reads the
  // copies, so a changed credential file is not seen until a restart.
  if (std::getenv("CREDENTIALS_DIRECTORY") != nullptr)
    out.lines.push_back(
        "note: credentials are read from the copies systemd made when the service started; after changing a "
        "credential file, run `systemctl restart outreachd`");
  if (intake_retry_pending_) {  // the operator may have made room: try the kept files now
    parts_->intake_retry_timer.cancel();
    intake_retry_pending_ = false;
    if (parts_->watch) rescan_watch_dir();
  }
  on_activity();
  return out;
}

void Runtime::shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("{}: stopping; in-flight sends finish and are recorded", why);
  parts_->notifier.stopping();
  if (parts_->watch) parts_->watch->close();
  if (parts_->control) parts_->control->close();
  parts_->signals.cancel();
  parts_->watchdog_timer.cancel();
  parts_->intake_retry_timer.cancel();
  parts_->importer->request_stop();  // a file being read stays in the watch directory
  workers_->request_stop_all();
  // Long enough for the one exchange a worker may have out when the stop comes (connect, then
  // request: workers begin no new one after it), plus a margin to record it; shorter than the
  // unit's TimeoutStopSec=45s with the default timeouts (10 s + 30 s + 2 s).
  const Duration grace = options_.stop_grace.value_or(config_.http.connect_timeout + config_.http.request_timeout +
                                                      std::chrono::seconds(2));
  parts_->grace_timer.expires_after(grace);
  parts_->grace_timer.async_wait([this](bool expired) {
    if (!expired || stopped_) return;
    spdlog::warn("stop grace period over; unfinished sends will be marked unknown at the next start");
    finish();
  });
  maybe_finish();
}

void Runtime::maybe_finish() {
  if (!stopping_ || stopped_ || !workers_->all_finished()) return;
  parts_->grace_timer.cancel();
  parts_->status_timer.cancel();
  spdlog::info("stopped cleanly");
  finish();
}

void Runtime::finish() {
  stopped_ = true;
  log_claim_stats();
  io_.stop();
}

/// How well group commit worked: claims per durable commit (bench_daemon reads this line).
void Runtime::log_claim_stats() {
  auto const s = claims_.stats();
  if (s.commits == 0) return;
  spdlog::info("claims: {} in {} durable commits ({:.2f} per commit, at most {})", s.claims, s.commits,
               static_cast<double>(s.claims) / static_cast<double>(s.commits), s.largest);
}

void Runtime::on_activity() {
  if (stopping_) {
    maybe_finish();
    return;
  }
  // STATUS= is refreshed at most once a second, and only after something happened, so an idle
  // daemon does no periodic work at all.
  if (status_pending_) return;
  status_pending_ = true;
  parts_->status_timer.expires_after(std::chrono::seconds(1));
  parts_->status_timer.async_wait([this](bool expired) {
    status_pending_ = false;
    if (expired) refresh_status_now();
  });
}

void Runtime::refresh_status_now() {
  if (!parts_->notifier.enabled()) return;
  auto campaigns = read_campaign_status(db_);
  parts_->notifier.status(status_line(campaigns ? *campaigns : std::vector<CampaignStatusRow>{}, workers_->lines(),
                                      parts_->importing));
}

void Runtime::keep_watchdog(Duration interval) {
  parts_->notifier.watchdog();
  parts_->watchdog_timer.expires_after(interval);
  parts_->watchdog_timer.async_wait([this, interval](bool expired) {
    if (expired && !stopping_) keep_watchdog(interval);
  });
}

namespace {

/// state_dir and watch_dir are created readable by the service user only.
Result<void> prepare_directory(std::string const& dir, std::string_view key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(std::string(key) + " " + dir + " cannot be created: " + ec.message());
  if (!fs::is_directory(dir)) return make_error(std::string(key) + " " + dir + " is not a directory");
  return {};
}

int fail(std::string const& message) {
  std::fprintf(stderr, "outreachd: %s\n", message.c_str());
  return 1;
}

}  // namespace

Result<DaemonState> open_daemon_state(Config const& config, TimePoint now) {
  for (auto const& [dir, key] : {std::pair{config.state_dir, "state_dir"}, std::pair{config.watch_dir, "watch_dir"}})
    if (auto r = prepare_directory(dir, key); !r) return r.error();
  if (auto r = check_watch_dir_writable(config.watch_dir); !r) return r.error();
  auto lock = StateLock::acquire(config.state_dir);
  if (!lock) return lock.error();
  // Two daemons with different state directories but one watch directory would both import every
  // file. (The same directory for both is already covered by the state lock, and a second flock on
  // it from this process would conflict with the first.)
  std::optional<DirectoryLock> watch_lock;
  if (std::error_code ec; !fs::equivalent(config.state_dir, config.watch_dir, ec)) {
    auto taken = DirectoryLock::acquire(config.watch_dir, "watch directory");
    if (!taken) return taken.error();
    watch_lock.emplace(std::move(*taken));
  }
  auto db = Database::open(database_path(config.state_dir));
  if (!db) return db.error();
  auto recovered = recover_in_doubt(*db, *lock, now);
  if (!recovered) return recovered.error();
  if (*recovered > 0)
    spdlog::warn("{} recipients were being sent when outreachd last stopped; they are now unknown/in_doubt "
                 "(see the failures view; `outreachd retry CAMPAIGN --include-unknown` requeues them)",
                 *recovered);
  if (auto r = sync_accounts(*db, configured_accounts(config)); !r) return r.error();
  return DaemonState{std::move(*lock), std::move(watch_lock), std::move(*db)};
}

int run_daemon(Config config, RuntimeOptions const& options) {
  ::umask(0077);
  // A file-size limit (LimitFSIZE=, ulimit -f) must fail a write with EFBIG, which SQLite reports
  // and rolls back like a full disk, rather than kill the daemon mid-transaction.
  ::signal(SIGXFSZ, SIG_IGN);
  // is_open_for_writing() takes a read lease for an instant; a writer opening the file then
  // breaks it with SIGIO, whose default action would kill the daemon.
  ::signal(SIGIO, SIG_IGN);
  StepAwareClock clock;
  auto state = open_daemon_state(config, clock.now());
  if (!state) return fail(state.error().message);
  asio::io_context io;
  try {
    Runtime runtime(io, std::move(config), options, state->db, clock);
    runtime.start();
    io.run();
  } catch (std::exception const& e) {
    return fail(e.what());
  }
  (void)checkpoint(state->db);
  return 0;
}

}  // namespace outreach
