#pragma once
// The daemon's configuration (README.md#config-reference), loaded from TOML. Loading never stops at
// the first problem: every problem is collected as one sentence naming the file, line and key path
// ("outreachd.toml:14: accounts[1].daily_cap: ..."), so an operator fixes them all in one go.
// Secret values are resolved while loading and never appear in any message.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/secret_source.hpp"
#include "core/backoff.hpp"
#include "core/daily_cap.hpp"
#include "core/opt_out.hpp"
#include "core/pacing.hpp"
#include "core/providers/provider_kind.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

namespace outreach {

enum class LogLevel { trace, debug, info, warn, error };

/// "trace" | "debug" | "info" | "warn" | "error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

struct RetryConfig {
  BackoffPolicy backoff;  ///< base_delay 30s, max_delay 1h
  int max_attempts = 5;   ///< every send attempt of a recipient counts, the first included; >= 1
};

struct CanDmConfig {
  Duration cache_ttl{std::chrono::hours{24}};
};

/// [safety] (docs/send-rules.md#contact-cooldown); only what is built so far.
struct SafetyConfig {
  /// A person messaged by another campaign within this long is skipped (`recently_contacted`); 0 = off.
  Duration contact_cooldown{0};
};

/// [inbox] (docs/send-rules.md#the-inbox): reading the DMs of getxapi and x_api accounts.
struct InboxConfig {
  Duration poll_interval{std::chrono::minutes{10}};  ///< 0 = never poll
  /// How far back the first read of an account goes, and how long after its last send an account
  /// keeps being polled; > 0 and at most kMaxInboxLookback.
  Duration lookback{std::chrono::days{7}};
  /// An in-doubt send triggers a read of its account's inbox this long after the attempt; > 0 and
  /// shorter than lookback.
  Duration reconcile_after{std::chrono::seconds{30}};
  /// A read that proves an in-doubt DM was never delivered: false = the row stays unknown, true =
  /// it goes back to retrying (the attempt still counts).
  bool requeue_unconfirmed = false;
  /// As written; matched through is_opt_out. At most kMaxOptOutKeywords, each at most
  /// kMaxOptOutKeywordBytes, not blank, no control characters. Empty = no opt-out keywords.
  std::vector<std::string> opt_out_keywords = default_opt_out_keywords();  // from core/opt_out.hpp
};

/// X keeps 30 days of DM history, so a longer [inbox] lookback could never be read.
inline constexpr Duration kMaxInboxLookback = std::chrono::days{30};
inline constexpr std::size_t kMaxOptOutKeywords = 100;
inline constexpr std::size_t kMaxOptOutKeywordBytes = 64;

struct HttpConfig {
  Duration connect_timeout{10'000};
  Duration request_timeout{30'000};
};

/// One [providers.<kind>] table.
struct ProviderConfig {
  ProviderKind kind = ProviderKind::getxapi;
  /// The API root without a trailing slash; may carry a path prefix ("http://127.0.0.1:8080/getxapi").
  /// default_base_url(kind) when the table has none.
  std::string base_url;
  /// Allows a plain http:// base_url to a host other than loopback (README.md#config-reference);
  /// off by default.
  bool allow_insecure_http = false;
  Secret api_key;                      ///< getxapi, twitterapi_io, tweetapi
  std::string client_id;               ///< x_api
  std::optional<Secret> client_secret; ///< x_api; absent for public clients
};

/// One [[accounts]] entry.
struct AccountConfig {
  std::string name;  ///< unique, [A-Za-z0-9._-]+
  ProviderKind provider = ProviderKind::getxapi;
  AccountTier tier = AccountTier::established;
  std::optional<int> daily_cap;  ///< as written; never above tier_cap(tier)
  int effective_cap = 0;         ///< effective_cap(tier, daily_cap)
  Secret auth_token;             ///< getxapi, twitterapi_io, tweetapi
  /// "http://user:pass@host:port" or "host:port" as written (a Secret: it holds a password).
  /// Required by twitterapi_io and tweetapi, optional for getxapi, not used by x_api.
  std::optional<Secret> proxy;
  std::optional<std::string> user_id;  ///< decimal; required by tweetapi
  Secret access_token;                 ///< x_api
  Secret refresh_token;                ///< x_api
};

struct Config {
  std::string state_dir = "/var/lib/outreachd";
  /// Defaults to state_dir + "/campaigns" (so /var/lib/outreachd/campaigns with the default state_dir).
  std::string watch_dir = "/var/lib/outreachd/campaigns";
  LogLevel log_level = LogLevel::info;
  PacingWindow pacing;  ///< min_delay 2s, max_delay 5s
  RetryConfig retry;
  CanDmConfig can_dm;
  HttpConfig http;
  SafetyConfig safety;
  InboxConfig inbox;
  std::vector<ProviderConfig> providers;  ///< in kAllProviders order, only the configured ones
  std::vector<AccountConfig> accounts;    ///< in file order

  ProviderConfig const* find_provider(ProviderKind kind) const;
  AccountConfig const* find_account(std::string_view name) const;
};

/// The daemon's control socket (daemon/runtime/control_socket.hpp) is state_dir + "/" + this. It is named
/// here so that loading a config can check that the path fits a Unix socket address.
inline constexpr const char* kControlSocketName = "outreachd.ctl";
/// sockaddr_un.sun_path is 108 bytes on Linux, the terminating NUL included.
inline constexpr std::size_t kMaxUnixSocketPathBytes = 107;
std::string control_socket_path(std::string const& state_dir);

struct ConfigLoad {
  std::optional<Config> config;       ///< set exactly when `errors` is empty
  std::vector<std::string> errors;    ///< every problem, one sentence each, no secret values
  std::vector<std::string> warnings;  ///< e.g. plain-string secrets
  /// Indices into `errors`, ascending, of those that say only that a `{ credential = "NAME" }`
  /// secret cannot be read because $CREDENTIALS_DIRECTORY is not set (credential_outside_service):
  /// outside the service no credential exists, so check-config sums these up in one sentence.
  std::vector<std::size_t> outside_service_errors;
  /// The state_dir the file names (or the default), even when other keys are wrong: `outreachd
  /// reload` finds the daemon to ask through it, and that daemon reports the problems itself.
  /// Empty when the file is not TOML at all.
  std::string state_dir;
};

/// Reads and loads a config file. Relative paths inside it (state_dir, watch_dir, secret files)
/// are taken relative to the file's directory, so a config works from any working directory.
ConfigLoad load_config_file(std::string const& path, SecretEnvironment const& env);

/// Loads config text; `source_name` names it in messages and relative paths are resolved against
/// `base_dir` (left as written when empty).
ConfigLoad load_config_text(std::string_view toml, std::string const& source_name, SecretEnvironment const& env,
                            std::string const& base_dir = {});

/// $OUTREACHD_CONFIG when set and non-empty, else /etc/outreachd/outreachd.toml.
std::string default_config_path(SecretEnvironment const& env);
std::string default_config_path();

inline constexpr std::string_view kDefaultConfigPath = "/etc/outreachd/outreachd.toml";

}  // namespace outreach
