#include "daemon/runtime.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "core/iso_time.hpp"
#include "core/providers/x_oauth.hpp"
#include "daemon/account_worker.hpp"
#include "daemon/claim_coalescer.hpp"
#include "daemon/campaign_intake.hpp"
#include "daemon/control_socket.hpp"
#include "daemon/http_client.hpp"
#include "daemon/logging.hpp"
#include "daemon/provider_session.hpp"
#include "daemon/step_aware_clock.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/watch_dir.hpp"
#include "storage/accounts.hpp"
#include "storage/clock_shift.hpp"
#include "storage/database.hpp"
#include "storage/directory_lock.hpp"
#include "storage/queue.hpp"
#include "storage/status.hpp"
#include "storage/tokens.hpp"

namespace outreach {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

TimePoint wall_now() { return std::chrono::floor<Duration>(std::chrono::system_clock::now()); }

constexpr Duration kIntakeRetry = std::chrono::minutes(1);

HttpClientOptions client_options(Config const& config) {
  HttpClientOptions options;
  options.connect_timeout = config.http.connect_timeout;
  options.request_timeout = config.http.request_timeout;
  return options;
}

WorkerPolicy policy_for(Config const& config, AccountConfig const& account) {
  return WorkerPolicy{config.pacing, config.retry, config.can_dm.cache_ttl, account.effective_cap,
                      config.safety.contact_cooldown};
}

std::vector<ConfiguredAccount> configured_accounts(Config const& config) {
  std::vector<ConfiguredAccount> out;
  for (auto const& a : config.accounts) out.push_back({a.name, a.provider, a.effective_cap});
  return out;
}

AccountNames account_names(Config const& config) {
  AccountNames names;
  for (auto const& a : config.accounts) names.insert(a.name);
  return names;
}

std::string hh_mm(TimePoint t) {
  const std::string iso = format_iso8601(t);  // YYYY-MM-DDTHH:MM:SSZ
  return iso.substr(11, 5);
}

class Daemon {
 public:
  Daemon(asio::io_context& io, Config config, RuntimeOptions options, Database& db)
      : io_(io),
        config_(std::move(config)),
        options_(std::move(options)),
        db_(db),
        http_(io, client_options(config_)),
        signals_(io, SIGTERM, SIGINT, SIGHUP),
        status_timer_(io),
        watchdog_timer_(io),
        grace_timer_(io),
        intake_retry_timer_(io),
        rng_(std::random_device{}()),
        clock_([this](Duration step) { on_clock_step(step); }),
        claims_(io.get_executor(), db, [this] { return clock_.now(); }) {}

  /// Start-up after the lock, recovery and account sync. Throws on a start-up problem.
  void start() {
    for (auto const& account : config_.accounts) add_worker(account);
    listen_for_signals();
    control_ = std::make_unique<ControlSocket>(io_, config_.state_dir, [this](std::string const& message) {
      if (message.rfind("reload", 0) == 0) return reload().answer();
      wake_all();
      return std::string();
    });
    watch_ = std::make_unique<WatchDir>(
        io_, config_.watch_dir, [this](fs::path const& file) { intake(file); },
        // Any closed file may be the recipients_csv a waiting campaign needs; CSVs name no campaign.
        [this](fs::path const&) {
          for (auto const& file : intake_waitlist_.waiting_on_other_files())
            if (is_regular_non_symlink(file)) intake(file);
        });
    watch_->start();  // also processes the files already there
    for (auto& [_, worker] : workers_) worker->start();
    notifier_.ready();
    ready_ = true;
    refresh_status_now();
    spdlog::info("outreachd ready: {} accounts, watching {}", workers_.size(), config_.watch_dir);
    if (auto interval = notifier_.watchdog_interval()) keep_watchdog(*interval);
  }

 private:
  std::unique_ptr<ProviderSession> make_session(AccountConfig const& account) {
    ProviderConfig const* provider = config_.find_provider(account.provider);
    ProviderCredentials pc;
    std::string base_url(default_base_url(account.provider));
    if (provider) {
      pc = ProviderCredentials{provider->api_key, provider->client_id, provider->client_secret};
      base_url = provider->base_url;
    }
    AccountCredentials ac;
    ac.auth_token = account.auth_token;
    if (account.proxy) ac.proxy = *account.proxy;
    if (account.user_id) ac.user_id = *account.user_id;
    ac.access_token = account.access_token;
    if (account.provider == ProviderKind::x_api) {
      // The rotated pair in the database wins over the config's, unless the config's changed.
      StoredOAuthTokens from_config{account.access_token, account.refresh_token, std::nullopt};
      auto adopted = adopt_oauth_tokens(db_, account.name, from_config, clock_.now());
      if (adopted) {
        ac.access_token = adopted->access_token;
        ac.refresh_token = adopted->refresh_token;  // so the codecs scrub it from any echoed text
      }
      else spdlog::error("account {}: cannot load its stored OAuth tokens: {}", account.name, adopted.error().message);
    }
    return std::make_unique<ProviderSession>(http_, base_url, account.provider, std::move(pc), std::move(ac));
  }

  WorkerEnv worker_env() {
    WorkerEnv env;
    env.db = &db_;
    env.claims = &claims_;
    env.now = [this] { return clock_.now(); };
    env.draw = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
    env.on_activity = [this] { on_activity(); };
    // Only idle workers: the others wake on their own timers and claim it then, and waking a
    // thousand paced workers for every retry would cost a ledger read each.
    env.on_requeue = [this] {
      for (auto& [_, worker] : workers_)
        if (worker->idle()) worker->wake();
    };
    env.refresh_tokens = [this](ProviderSession& session, std::string const& account) {
      return refresh_tokens(session, account);
    };
    return env;
  }

  void add_worker(AccountConfig const& account) {
    auto worker = std::make_shared<AccountWorker>(io_.get_executor(), worker_env(), account.name,
                                                  make_session(account), policy_for(config_, account));
    workers_[account.name] = worker;
  }

  /// x_api token refresh, persisting the rotated refresh token before the new access token is used
  /// (core/providers/x_oauth.hpp's contract).
  asio::awaitable<bool> refresh_tokens(ProviderSession& session, std::string const& account) {
    auto stored = load_oauth_tokens(db_, account);
    if (!stored || !*stored) {
      spdlog::error("account {}: no stored OAuth refresh token to refresh with", account);
      co_return false;
    }
    AccountCredentials credentials = session.account();
    credentials.refresh_token = (*stored)->refresh_token;
    auto request = x_token_refresh_request(session.provider(), credentials);
    if (!request) {
      spdlog::error("account {}: cannot build the token refresh: {}", account, request.error().message);
      co_return false;
    }
    HttpExchange exchange = co_await session.client().send(session.base_url(), std::move(*request));
    if (exchange.transport != Transport::responded) {
      spdlog::error("account {}: token refresh failed: {}", account, exchange.error);
      co_return false;
    }
    TokenRefresh refreshed =
        parse_x_token_refresh(exchange.response, session.provider(), credentials, clock_.now());
    if (!refreshed.tokens) {
      spdlog::error("account {}: token refresh refused: HTTP {} {}", account, exchange.response.status,
                    refreshed.result.message);
      co_return false;
    }
    StoredOAuthTokens rotated{refreshed.tokens->access_token,
                              refreshed.tokens->refresh_token.value_or((*stored)->refresh_token),
                              refreshed.tokens->expires_at};
    if (auto saved = save_rotated_tokens(db_, account, rotated, clock_.now()); !saved) {
      // Without the new refresh token on disk, using the new access token risks losing the
      // account's authorization at the next restart: stop instead.
      spdlog::error("account {}: cannot store the rotated refresh token: {}", account, saved.error().message);
      co_return false;
    }
    session.set_oauth_tokens(rotated.access_token, rotated.refresh_token);
    spdlog::info("account {}: OAuth access token refreshed", account);
    co_return true;
  }

  void intake(fs::path const& file) {
    if (stopping_) return;
    IntakeResult result = process_campaign_file(db_, file, config_.watch_dir, account_names(config_), clock_.now(),
                                                [&](IntakePass pass, std::int64_t bytes) {
                                                  busy_importing(file, pass, bytes);
                                                });
    if (intake_waitlist_.report(file, result)) retry_intake_later();
    wake_all();
    on_activity();
  }

  /// A big file holds the event loop for seconds (the import is one transaction, and no claim may
  /// join it), so the timers that feed systemd's watchdog cannot fire: feed it from here, and say
  /// what is going on. Before READY=1 the start-up scan may outlast TimeoutStartSec=: ask for more.
  void busy_importing(fs::path const& file, IntakePass pass, std::int64_t bytes) {
    if (!notifier_.enabled()) return;
    if (notifier_.watchdog_interval()) notifier_.watchdog();
    if (!ready_) notifier_.extend_start_timeout(std::chrono::seconds(30));
    notifier_.status((pass == IntakePass::validating ? "validating " : "importing ") + file.filename().string() +
                     ": " + std::to_string(bytes >> 20) + " MiB read");
  }

  /// A campaign file kept because the database failed (a full disk, say), or left waiting (for a
  /// writer to close it or its CSV, or for accepted/ or rejected/ to be usable), is offered again
  /// in a minute, or at once on SIGHUP. The timer runs only while such a file waits: no idle cost.
  void retry_intake_later() {
    if (intake_retry_pending_ || stopping_) return;
    intake_retry_pending_ = true;
    intake_retry_timer_.expires_after(kIntakeRetry);
    intake_retry_timer_.async_wait([this](boost::system::error_code ec) {
      // Cancelled by a SIGHUP, whose rescan may already have armed the next wait: that one owns the
      // flag now (clearing it here would make the next SIGHUP skip its rescan).
      if (ec == asio::error::operation_aborted) return;
      intake_retry_pending_ = false;
      if (!ec && !stopping_ && watch_) rescan_watch_dir();
    });
  }

  void rescan_watch_dir() {
    if (auto scanned = watch_->rescan(); !scanned) {
      spdlog::error("{}", scanned.error().message);
      retry_intake_later();
    }
    intake_waitlist_.forget_missing();
  }

  /// The wall clock jumped (NTP after a suspended VM, `date -s`): what is stored relative to now
  /// moves with it, before anyone acts on the new reading, so caps and waits hold in real time.
  void on_clock_step(Duration step) {
    auto const seconds = std::chrono::duration<double>(step).count();
    spdlog::warn("the wall clock stepped {} by {:.3f} s (measured against CLOCK_BOOTTIME); the send ledger, retry "
                 "times and waits move with it, so caps and pacing hold in real time",
                 seconds > 0 ? "forwards" : "backwards", seconds > 0 ? seconds : -seconds);
    if (auto r = shift_for_clock_step(db_, step); !r)
      spdlog::error("cannot move the stored times after the clock step: {}; daily caps may be off by the step",
                    r.error().message);
    for (auto& [_, worker] : workers_) worker->shift_times(step);
  }

  void wake_all() {
    for (auto& [_, worker] : workers_) worker->wake();
  }

  void listen_for_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        (void)reload();  // the outcome is in the log; `outreachd reload` reports it to its caller
        listen_for_signals();
        return;
      }
      shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    });
  }

  /// What a reload did, for `outreachd reload` (over the control socket) and the log.
  struct ReloadOutcome {
    bool applied = false;
    std::vector<std::string> lines;  ///< the problems when refused; warnings and notes otherwise
    /// "ok" or "refused", then one line each: what the control socket answers.
    std::string answer() const {
      std::string text = applied ? "ok" : "refused";
      for (auto const& line : lines) text += "\n" + line;
      return text;
    }
  };

  ReloadOutcome reload() {
    ReloadOutcome out;
    if (stopping_) {
      out.lines.push_back("the daemon is stopping");
      return out;
    }
    spdlog::info("reloading {}", options_.config_path);
    ConfigLoad load = load_config_file(options_.config_path, SecretEnvironment::from_process());
    for (auto const& w : load.warnings) {
      spdlog::warn("{}", w);
      out.lines.push_back("warning: " + w);
    }
    if (!load.config) {
      for (auto const& e : load.errors) spdlog::error("{}", e);
      spdlog::error("reload failed; still running with the previous configuration");
      out.lines = load.errors;
      out.lines.push_back("the daemon keeps running with its previous configuration");
      return out;
    }
    out.applied = true;
    Config next = std::move(*load.config);
    if (next.state_dir != config_.state_dir || next.watch_dir != config_.watch_dir) {
      spdlog::warn("state_dir and watch_dir changes take effect at the next restart");
      out.lines.push_back("warning: state_dir and watch_dir changes take effect at the next restart");
    }
    next.state_dir = config_.state_dir;
    next.watch_dir = config_.watch_dir;
    if (auto r = set_log_level(to_string(next.log_level)); !r) spdlog::warn("{}", r.error().message);
    config_ = std::move(next);
    if (auto r = sync_accounts(db_, configured_accounts(config_)); !r)
      spdlog::error("reload: cannot update accounts: {}", r.error().message);
    for (auto& [name, worker] : workers_) {
      if (!config_.find_account(name)) worker->request_stop();
    }
    for (auto const& account : config_.accounts) {
      auto it = workers_.find(account.name);
      if (it == workers_.end() || it->second->finished()) {
        add_worker(account);
        workers_[account.name]->start();
      } else {
        it->second->update(policy_for(config_, account), make_session(account));
      }
    }
    spdlog::info("configuration reloaded: {} accounts", config_.accounts.size());
    out.lines.push_back("configuration reloaded: " + std::to_string(config_.accounts.size()) + " accounts");
    // systemd copies LoadCredential= files once, when the service starts: a reload re-reads the
    // copies, so a changed credential file is not seen until a restart.
    if (std::getenv("CREDENTIALS_DIRECTORY") != nullptr)
      out.lines.push_back(
          "note: credentials are read from the copies systemd made when the service started; after changing a "
          "credential file, run `systemctl restart outreachd`");
    if (intake_retry_pending_) {  // the operator may have made room: try the kept files now
      intake_retry_timer_.cancel();
      intake_retry_pending_ = false;
      if (watch_) rescan_watch_dir();
    }
    on_activity();
    return out;
  }

  void shutdown(std::string_view why) {
    if (stopping_) return;
    stopping_ = true;
    spdlog::info("{}: stopping; in-flight sends finish and are recorded", why);
    notifier_.stopping();
    if (watch_) watch_->close();
    if (control_) control_->close();
    signals_.cancel();
    watchdog_timer_.cancel();
    intake_retry_timer_.cancel();
    for (auto& [_, worker] : workers_) worker->request_stop();
    // Long enough for the one exchange a worker may have out when the stop comes (connect, then
    // request: workers begin no new one after it), plus a margin to record it; shorter than the
    // unit's TimeoutStopSec=45s with the default timeouts (10 s + 30 s + 2 s).
    const Duration grace = options_.stop_grace.value_or(config_.http.connect_timeout + config_.http.request_timeout +
                                                        std::chrono::seconds(2));
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      spdlog::warn("stop grace period over; unfinished sends will be marked unknown at the next start");
      log_claim_stats();
      io_.stop();
    });
    maybe_finish();
  }

  void maybe_finish() {
    if (!stopping_) return;
    for (auto& [_, worker] : workers_)
      if (!worker->finished()) return;
    grace_timer_.cancel();
    status_timer_.cancel();
    log_claim_stats();
    spdlog::info("stopped cleanly");
    io_.stop();
  }

  /// How well group commit worked: claims per durable commit (bench_daemon reads this line).
  void log_claim_stats() {
    auto const s = claims_.stats();
    if (s.commits == 0) return;
    spdlog::info("claims: {} in {} durable commits ({:.2f} per commit, at most {})", s.claims, s.commits,
                 static_cast<double>(s.claims) / static_cast<double>(s.commits), s.largest);
  }

  void on_activity() {
    if (stopping_) {
      maybe_finish();
      return;
    }
    // STATUS= is refreshed at most once a second, and only after something happened, so an idle
    // daemon does no periodic work at all.
    if (status_pending_) return;
    status_pending_ = true;
    status_timer_.expires_after(std::chrono::seconds(1));
    status_timer_.async_wait([this](boost::system::error_code ec) {
      status_pending_ = false;
      if (!ec) refresh_status_now();
    });
  }

  void refresh_status_now() {
    if (!notifier_.enabled()) return;
    auto campaigns = read_campaign_status(db_);
    std::int64_t active = 0, sent = 0, failed = 0;
    if (campaigns) {
      for (auto const& c : *campaigns) {
        if (c.state == "active") ++active;
        sent += c.sent;
        failed += c.failed;
      }
    }
    std::string line = std::to_string(active) + (active == 1 ? " campaign" : " campaigns") + " active · " +
                       std::to_string(sent) + " sent · " + std::to_string(failed) + " failed";
    for (auto& [name, worker] : workers_) {
      if (worker->state() == AccountState::capped && worker->state_until() &&
          *worker->state_until() != TimePoint::max())
        line += " · " + name + " capped until " + hh_mm(*worker->state_until());
      else if (worker->state() == AccountState::stopped)
        line += " · " + name + " stopped";
    }
    notifier_.status(line);
  }

  void keep_watchdog(Duration interval) {
    notifier_.watchdog();
    watchdog_timer_.expires_after(interval);
    watchdog_timer_.async_wait([this, interval](boost::system::error_code ec) {
      if (!ec && !stopping_) keep_watchdog(interval);
    });
  }

  asio::io_context& io_;
  Config config_;
  RuntimeOptions options_;
  Database& db_;
  HttpClient http_;
  asio::signal_set signals_;
  asio::steady_timer status_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer grace_timer_;
  asio::steady_timer intake_retry_timer_;
  std::mt19937_64 rng_;
  StepAwareClock clock_;
  ClaimCoalescer claims_;  // before workers_: they use it until they are destroyed
  SystemdNotifier notifier_;
  std::map<std::string, std::shared_ptr<AccountWorker>> workers_;
  IntakeWaitlist intake_waitlist_;  // before watch_: its callbacks use it
  std::unique_ptr<WatchDir> watch_;
  std::unique_ptr<ControlSocket> control_;
  bool stopping_ = false;
  bool status_pending_ = false;
  bool intake_retry_pending_ = false;
  bool ready_ = false;  ///< READY=1 was sent
};

/// state_dir and watch_dir are created readable by the service user only (SPEC §6).
Result<void> prepare_directory(std::string const& dir, std::string_view key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(std::string(key) + " " + dir + " cannot be created: " + ec.message());
  if (!fs::is_directory(dir)) return make_error(std::string(key) + " " + dir + " is not a directory");
  return {};
}

}  // namespace

int run_daemon(Config config, RuntimeOptions const& options) {
  ::umask(0077);
  // A file-size limit (LimitFSIZE=, ulimit -f) must fail a write with EFBIG, which SQLite reports
  // and rolls back like a full disk, rather than kill the daemon mid-transaction.
  ::signal(SIGXFSZ, SIG_IGN);
  // is_open_for_writing() takes a read lease for an instant; a writer opening the file then
  // breaks it with SIGIO, whose default action would kill the daemon.
  ::signal(SIGIO, SIG_IGN);
  for (auto const& [dir, key] : {std::pair{config.state_dir, "state_dir"}, std::pair{config.watch_dir, "watch_dir"}}) {
    if (auto r = prepare_directory(dir, key); !r) {
      std::fprintf(stderr, "outreachd: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  if (auto r = check_watch_dir_writable(config.watch_dir); !r) {
    std::fprintf(stderr, "outreachd: %s\n", r.error().message.c_str());
    return 1;
  }
  auto lock = StateLock::acquire(config.state_dir);
  if (!lock) {
    std::fprintf(stderr, "outreachd: %s\n", lock.error().message.c_str());
    return 1;
  }
  // Two daemons with different state directories but one watch directory would both import every
  // file. (The same directory for both is already covered by the state lock, and a second flock on
  // it from this process would conflict with the first.)
  std::optional<DirectoryLock> watch_lock;
  if (std::error_code ec; !fs::equivalent(config.state_dir, config.watch_dir, ec)) {
    auto taken = DirectoryLock::acquire(config.watch_dir, "watch directory");
    if (!taken) {
      std::fprintf(stderr, "outreachd: %s\n", taken.error().message.c_str());
      return 1;
    }
    watch_lock.emplace(std::move(*taken));
  }
  auto db = Database::open(database_path(config.state_dir));
  if (!db) {
    std::fprintf(stderr, "outreachd: %s\n", db.error().message.c_str());
    return 1;
  }
  auto recovered = recover_in_doubt(*db, *lock, wall_now());
  if (!recovered) {
    std::fprintf(stderr, "outreachd: %s\n", recovered.error().message.c_str());
    return 1;
  }
  if (*recovered > 0)
    spdlog::warn("{} recipients were being sent when outreachd last stopped; they are now unknown/in_doubt "
                 "(see the failures view; `outreachd retry CAMPAIGN --include-unknown` requeues them)",
                 *recovered);
  if (auto r = sync_accounts(*db, configured_accounts(config)); !r) {
    std::fprintf(stderr, "outreachd: %s\n", r.error().message.c_str());
    return 1;
  }

  asio::io_context io;
  try {
    Daemon daemon(io, std::move(config), options, *db);
    daemon.start();
    io.run();
  } catch (std::exception const& e) {
    std::fprintf(stderr, "outreachd: %s\n", e.what());
    return 1;
  }
  (void)checkpoint(*db);
  return 0;
}

}  // namespace outreach
