#include "daemon/cli/cmd_status.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/eta.hpp"
#include "core/iso_time.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/cli/cli_db.hpp"
#include "storage/directory_lock.hpp"
#include "storage/campaign_plans.hpp"
#include "storage/status.hpp"

namespace outreach::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr auto kWatchInterval = std::chrono::seconds(2);

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

TimePoint wall_now() { return std::chrono::floor<Duration>(std::chrono::system_clock::now()); }

/// Everything one status screen shows, read at one moment.
struct Snapshot {
  TimePoint now{};
  std::optional<long> daemon_pid;       ///< the running daemon's pid, from /proc/locks
  std::optional<PacingWindow> pacing;   ///< from the config; without it there is no ETA
  std::string no_eta_reason;            ///< why `pacing` is missing, for the footnote
  std::vector<CampaignStatusRow> campaigns;
  std::vector<AccountStatusRow> accounts;
  std::vector<Eta> etas;                ///< one per campaign when `pacing` is known
};

/// The pid holding the daemon's single-instance lock on state_dir (a flock on the directory,
/// found in /proc/locks): no lock is taken, so a daemon starting at this moment is never disturbed.
std::optional<long> daemon_pid(std::string const& state_dir) { return flock_holder_pid(state_dir); }

std::optional<TimePoint> parse_time(std::optional<std::string> const& text) {
  if (!text) return std::nullopt;
  auto t = parse_iso8601(*text);
  if (!t) return std::nullopt;
  return *t;
}

std::vector<Eta> estimates(Snapshot const& s, std::vector<CampaignPlanRow> const& plans) {
  std::vector<EtaAccount> accounts;
  for (auto const& a : s.accounts)
    accounts.push_back({a.account, a.state == "stopped", a.daily_cap, a.remaining_24h, parse_time(a.next_send_at)});
  std::vector<EtaCampaign> campaigns;
  for (auto const& c : s.campaigns) {
    EtaCampaign e{c.campaign, c.state, c.pending + c.retrying + c.sending, 0, std::nullopt, {}};
    auto plan = std::find_if(plans.begin(), plans.end(), [&](auto const& p) { return p.campaign == c.campaign; });
    if (plan != plans.end()) {
      e.priority = plan->priority;
      e.start_at = plan->start_at;
      e.accounts = plan->accounts;
    }
    campaigns.push_back(std::move(e));
  }
  return estimate_finish(campaigns, accounts, *s.pacing, s.now);
}

// ---- text ------------------------------------------------------------------------------------

std::string progress_bar(std::int64_t done, std::int64_t total, std::size_t width = 20) {
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const auto filled = std::min(width, static_cast<std::size_t>(fraction * static_cast<double>(width)));
  const auto percent = static_cast<int>(fraction * 100.0);
  std::string pct = std::to_string(percent) + "%";
  pct.insert(0, 4 - std::min<std::size_t>(4, pct.size()), ' ');
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " + pct;
}

/// Rows of cells → aligned text, the first row being the header; `right` marks numeric columns.
std::string table(std::vector<std::vector<std::string>> const& rows, std::vector<bool> const& right) {
  std::vector<std::size_t> widths;
  for (auto const& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (auto const& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::size_t fill = widths[i] - row[i].size();
      const bool align_right = i < right.size() && right[i];
      if (i > 0) line += "  ";
      if (align_right) line += std::string(fill, ' ') + row[i];
      else line += row[i] + (i + 1 < row.size() ? std::string(fill, ' ') : "");
    }
    out += line + "\n";
  }
  return out;
}

std::string or_dash(std::optional<std::string> const& v) { return v && !v->empty() ? *v : "-"; }

std::string eta_text(Snapshot const& s, std::size_t i) {
  if (!s.pacing) return s.campaigns[i].state == "done" || s.campaigns[i].state == "cancelled" ? "-" : "?";
  Eta const& eta = s.etas[i];
  switch (eta.kind) {
    case Eta::Kind::finished: return "-";
    case Eta::Kind::paused: return "paused";
    case Eta::Kind::stalled: return "stalled";
    case Eta::Kind::at: return "~" + format_remaining(eta.at - s.now);
  }
  return "?";
}

/// The campaign's state, with why it is paused: "paused (operator)", "paused (budget)".
std::string campaign_state_text(CampaignStatusRow const& c) {
  if (c.state == "paused" && c.paused_reason && !c.paused_reason->empty()) return c.state + " (" + *c.paused_reason + ")";
  return c.state;
}

std::string next_send_text(Snapshot const& s, AccountStatusRow const& a) {
  if (a.state == "stopped") return "-";
  auto at = parse_time(a.next_send_at);
  if (!at || *at <= s.now) return "now";
  if (*at - s.now < std::chrono::seconds(1)) return "in <1s";
  return "in " + format_remaining(*at - s.now);
}

std::string render_text(Snapshot const& s) {
  std::string out = "outreachd status  " + format_iso8601(s.now) + "  ";
  out += s.daemon_pid ? "daemon running (pid " + std::to_string(*s.daemon_pid) + ")"
                      : "daemon not running (figures as of its last stop)";
  out += "\n\n";
  if (s.campaigns.empty()) {
    out += "no campaigns yet\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"CAMPAIGN", "STATE", "PROGRESS", "TOTAL", "SENT", "REPLIED", "FAILED",
                                                "SKIPPED", "UNKNOWN", "QUEUED", "ETA"}};
    bool stalled = false, unknown = false;
    std::int64_t replied = 0;
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
      auto const& c = s.campaigns[i];
      replied += c.replied;
      const std::int64_t done = c.sent + c.failed + c.skipped + c.unknown;
      const std::string eta = eta_text(s, i);
      stalled = stalled || eta == "stalled";
      unknown = unknown || eta == "?";
      rows.push_back({c.campaign, campaign_state_text(c), progress_bar(done, c.total), std::to_string(c.total),
                      std::to_string(c.sent), std::to_string(c.replied), std::to_string(c.failed),
                      std::to_string(c.skipped), std::to_string(c.unknown),
                      std::to_string(c.pending + c.retrying + c.sending), eta});
    }
    out += table(rows, {false, false, false, true, true, true, true, true, true, true, false});
    if (unknown) out += "(no ETA: " + s.no_eta_reason + ")\n";
    if (stalled) out += "(stalled: none of the campaign's accounts can send; see LAST ERROR below)\n";
    if (replied > 0)
      out += "(" + std::to_string(replied) + (replied == 1 ? " recipient" : " recipients") +
             " replied: the replies view keeps what they wrote until outreachd forget USER deletes it)\n";
  }
  out += "\n";
  if (s.accounts.empty()) {
    out += "no accounts configured\n";
  } else {
    std::vector<std::vector<std::string>> rows{
        {"ACCOUNT", "PROVIDER", "STATE", "24H USE", "CAP", "NEXT SEND", "LAST ERROR"}};
    for (auto const& a : s.accounts) {
      std::string last_error = or_dash(a.last_error);
      if (last_error.size() > 70) last_error = last_error.substr(0, 67) + "...";
      const int percent = a.daily_cap > 0 ? static_cast<int>(a.sent_24h * 100 / a.daily_cap) : 100;
      rows.push_back({a.account, a.provider, a.state, std::to_string(a.sent_24h) + " (" + std::to_string(percent) + "%)",
                      std::to_string(a.daily_cap), next_send_text(s, a), last_error});
    }
    out += table(rows, {false, false, false, true, true, false, false});
  }
  return out;
}

// ---- JSON ------------------------------------------------------------------------------------

/// A view's nullable column: its value, or null for SQL NULL.
template <class T>
json::value to_json(std::optional<T> const& v) {
  if (v) return json::value(*v);
  return nullptr;
}

std::string render_json(Snapshot const& s) {
  // "campaigns" and "accounts" are exactly the status views' columns
  // (README.md#the-schema-stable-interface); the rest is added around them.
  json::array cs;
  for (auto const& c : s.campaigns) {
    cs.push_back(json::object{{"campaign", c.campaign},       {"state", c.state},         {"total", c.total},
                              {"pending", c.pending},         {"retrying", c.retrying},   {"sending", c.sending},
                              {"sent", c.sent},               {"failed", c.failed},       {"skipped", c.skipped},
                              {"unknown", c.unknown},         {"created_at", c.created_at},
                              {"last_sent_at", to_json(c.last_sent_at)}, {"finished_at", to_json(c.finished_at)},
                              {"waiting", c.waiting},         {"replied", c.replied},     {"spent_usd", c.spent_usd},
                              {"paused_reason", to_json(c.paused_reason)}, {"audience", to_json(c.audience)}});
  }
  json::array as;
  for (auto const& a : s.accounts) {
    as.push_back(json::object{{"account", a.account},         {"provider", a.provider},
                              {"state", a.state},             {"daily_cap", a.daily_cap},
                              {"sent_24h", a.sent_24h},       {"remaining_24h", a.remaining_24h},
                              {"next_send_at", to_json(a.next_send_at)}, {"last_error", to_json(a.last_error)},
                              {"hourly_cap", to_json(a.hourly_cap)},     {"sent_1h", a.sent_1h},
                              {"warmup_day", to_json(a.warmup_day)},     {"spent_24h_usd", a.spent_24h_usd},
                              {"inbox_synced_at", to_json(a.inbox_synced_at)}});
  }
  json::array es;
  for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
    json::object e{{"campaign", s.campaigns[i].campaign}, {"eta", "unknown"}, {"finish_at", nullptr}, {"seconds", nullptr}};
    if (s.pacing) {
      Eta const& eta = s.etas[i];
      switch (eta.kind) {
        case Eta::Kind::finished: e["eta"] = "finished"; break;
        case Eta::Kind::paused: e["eta"] = "paused"; break;
        case Eta::Kind::stalled: e["eta"] = "stalled"; break;
        case Eta::Kind::at:
          e["eta"] = "at";
          e["finish_at"] = format_iso8601(eta.at);
          e["seconds"] = std::chrono::duration_cast<std::chrono::seconds>(eta.at - s.now).count();
          break;
      }
    }
    es.push_back(std::move(e));
  }
  json::object daemon{{"running", s.daemon_pid.has_value()}, {"pid", nullptr}};
  if (s.daemon_pid) daemon["pid"] = *s.daemon_pid;
  json::object root{{"generated_at", format_iso8601(s.now)}, {"daemon", std::move(daemon)},
                    {"campaigns", std::move(cs)},           {"accounts", std::move(as)},
                    {"estimates", std::move(es)}};
  return json::serialize(root) + "\n";
}

// ---- the command -----------------------------------------------------------------------------

struct Source {
  Database db;
  std::string state_dir;
  std::optional<PacingWindow> pacing;
  std::string no_eta_reason;
};

/// The database (--db FILE, else the config's state_dir) and, for the ETA, the config's pacing.
std::optional<Source> open_source(ParsedArgs const& args) {
  if (args.value("db")) {
    auto opened = open_database_for("status", args);
    if (!opened) return std::nullopt;
    Source source{std::move(opened->db), opened->state_dir, std::nullopt, {}};
    // The config is optional here: only the ETA needs it, so a missing or unreadable one is no error.
    const std::string path = config_path_from(args);
    std::error_code ec;
    if (args.value("config") || fs::exists(path, ec)) {
      ConfigLoad load = load_config_file(path, SecretEnvironment::without_secrets());
      if (load.config) source.pacing = load.config->pacing;
      else source.no_eta_reason = path + " does not load (" + std::to_string(load.errors.size()) +
                                  " problems; see outreachd check-config)";
    } else {
      source.no_eta_reason = "it needs the config's pacing; pass --config FILE";
    }
    return source;
  }
  auto config = load_config_for("status", args);
  if (!config) return std::nullopt;
  OpenOptions options;
  options.create = false;
  auto db = Database::open(database_path(config->state_dir), options);
  if (!db) {
    std::fprintf(stderr, "outreachd status: %s\n", db.error().message.c_str());
    return std::nullopt;
  }
  return Source{std::move(*db), config->state_dir, config->pacing, {}};
}

Result<Snapshot> take_snapshot(Source& source) {
  Snapshot s;
  s.now = wall_now();
  s.pacing = source.pacing;
  s.no_eta_reason = source.no_eta_reason;
  s.daemon_pid = daemon_pid(source.state_dir);
  auto campaigns = read_campaign_status(source.db);
  if (!campaigns) return campaigns.error();
  auto accounts = read_account_status(source.db);
  if (!accounts) return accounts.error();
  s.campaigns = std::move(*campaigns);
  s.accounts = std::move(*accounts);
  if (s.pacing) {
    auto plans = read_campaign_plans(source.db);
    if (!plans) return plans.error();
    s.etas = estimates(s, *plans);
  }
  return s;
}

/// Draws one --watch frame: on a terminal over the previous one (home, clear each line's rest,
/// clear below), so it does not flicker; into a pipe or file as consecutive blocks.
void draw_frame(std::string const& text, bool terminal, bool first) {
  if (!terminal) {
    std::fputs(text.c_str(), stdout);
    std::fputs("\n", stdout);
    return;
  }
  std::string frame = first ? "\033[2J\033[H" : "\033[H";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) frame += line + "\033[K\n";
  frame += "\nrefreshing every " + std::to_string(kWatchInterval.count()) + "s · Ctrl-C to quit\033[K\n\033[J";
  std::fputs(frame.c_str(), stdout);
}

}  // namespace

CommandSpec const& status_spec() {
  static CommandSpec const spec{
      .name = "status",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Show campaign progress and account states.",
      .details = "Reads the campaign_status and account_status views, so it shows what\n"
                 "`sqlite3 outreachd.db 'SELECT * FROM campaign_status'` shows, whether the daemon runs\n"
                 "or not. ETA: every listed account sending once per mean pacing gap within its\n"
                 "rolling 24 h cap, campaigns served by priority then age (needs the config's pacing).\n"
                 "--json prints {generated_at, daemon, campaigns, accounts, estimates}; campaigns and\n"
                 "accounts carry exactly the views' columns.",
      .options = {kConfigOption, kDbOption, kJsonOption,
                  OptionSpec{"watch", "", "redraw every 2 seconds until interrupted (Ctrl-C)"}},
  };
  return spec;
}

int cmd_status(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(status_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  auto source = open_source(*parsed.args);
  if (!source) return kExitInvalid;
  const bool as_json = parsed.args->flag("json");
  const bool watch = parsed.args->flag("watch");
  const bool terminal = ::isatty(STDOUT_FILENO) == 1 && !as_json;
  if (watch) {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
  }
  for (bool first = true; !g_interrupted; first = false) {
    auto snapshot = take_snapshot(*source);
    if (!snapshot) {
      std::fprintf(stderr, "outreachd status: %s\n", snapshot.error().message.c_str());
      if (!watch) return kExitInvalid;
    } else {
      const std::string text = as_json ? render_json(*snapshot) : render_text(*snapshot);
      if (watch && !as_json) draw_frame(text, terminal, first);
      else std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
    }
    if (!watch) return kExitOk;
    // Sleep in small steps so Ctrl-C ends the loop at once.
    const auto until = std::chrono::steady_clock::now() + kWatchInterval;
    while (!g_interrupted && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return kExitOk;
}

}  // namespace outreach::cli
