#pragma once
// The provider simulator's scenario: who exists, who accepts DMs, which API keys, sessions and
// OAuth tokens are valid, per-account daily caps, and which faults to inject. Read from a JSON
// file (`outreachd simulate --scenario FILE`, reference in docs/simulator.md) or the built-in
// demo scenario. Parsing is strict: unknown keys and wrong types are errors naming the field.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/providers/provider_kind.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace outreach {

/// A scripted answer from a user: `after` this long after the user receives their `dm`-th DM from an
/// account (counted per account; only from `account` when set), a DM from the user to that account
/// appears in the account's inbox with this text.
struct SimReply {
  Duration after{0};
  std::string text;
  std::uint64_t dm = 1;  ///< which DM from the account it answers: 1 = the first, 2 = the second, …
  std::string account;   ///< SimAccount::name; empty = any account
};

/// One X user the simulated providers know about (a recipient).
struct SimUser {
  std::string username;  ///< as written; lookups ignore case, like X
  std::string id;        ///< decimal string; may be empty only when exists == false
  std::string name;      ///< display name; defaults to the username
  bool exists = true;    ///< false: every lookup answers "not found" and sends are refused as such
  bool can_dm = true;    ///< false: canDm / receives_your_dm false and sends are refused
  int refusal_code = 349;          ///< X code for a refused DM: 349, 150, 214 or 476
  bool protected_account = false;  ///< shown as protected / isProtected
  bool suspended = false;          ///< lookups answer "not found" (X hides suspended users); sends refused
  std::vector<SimReply> replies;   ///< scripted replies to the DMs this user receives
};

/// A generated block of users for large runs: `<prefix><i>` has id `first_id + i`, i in [0, count).
/// Every `closed_every`-th user (i+1 divisible) has DMs closed, every `missing_every`-th does not exist.
struct SimUserRange {
  std::string prefix;
  std::uint64_t count = 0;
  std::uint64_t first_id = 0;
  std::uint64_t closed_every = 0;   ///< 0 = none
  std::uint64_t missing_every = 0;  ///< 0 = none (checked before closed_every)
};

/// A sending account's standing with X, as the provider reports it on sends and session checks.
enum class SimAccountState { ok, expired, locked, suspended, automated };
std::string_view to_string(SimAccountState state);

/// A sending account: one X session (cookie providers) or one OAuth grant (x_api).
struct SimAccount {
  std::string name;  ///< label in the message log and stats (never the raw token)
  ProviderKind provider = ProviderKind::getxapi;
  std::string token;          ///< getxapi auth_token, twitterapi_io login_cookies, tweetapi authToken
  std::string access_token;   ///< x_api: the bearer access token valid at start
  std::string refresh_token;  ///< x_api: the refresh token valid at start (empty = cannot refresh)
  std::string user_id;        ///< the sender's X id (tweetapi conversationId, senderId fields)
  std::string username;       ///< the sender's handle; defaults to the name
  std::uint64_t daily_cap = 1000;  ///< accepted DMs per 24 h window (X's per-account figure)
  SimAccountState state = SimAccountState::ok;
  /// x_api: the OAuth 2.0 scopes the account's tokens carry. A DM read without dm.read, a send
  /// without dm.write, a user lookup without users.read gets X's plain 403 Forbidden.
  std::vector<std::string> scopes{"tweet.read", "users.read", "dm.read", "dm.write", "offline.access"};
};

/// An API key of a key-authenticated provider (getxapi, twitterapi_io, tweetapi).
struct SimApiKey {
  std::string key;
  std::optional<std::uint64_t> quota;  ///< requests this key may make in total; then "quota exhausted"
  bool subscription_inactive = false;  ///< tweetapi: every request gets 429 SUBSCRIPTION_INACTIVE
};

/// A fixed request window: `limit` requests per `window`, then 429 until the window ends.
struct SimRateLimit {
  std::uint64_t limit = 0;
  Duration window{0};
};

enum class SimErrorEnvelope { a, b };                   ///< tweetapi: {"error":{code,message}} or {statusCode,message,code}
enum class SimBadRequestShape { detail, error_message };  ///< twitterapi_io 400: {"detail"} or {"error","message"}

/// Settings of one key-authenticated provider. Provider-specific fields are accepted only in the
/// matching provider's section.
struct SimProviderSettings {
  std::vector<SimApiKey> api_keys;         ///< none: every request is refused as unauthenticated
  std::optional<SimRateLimit> rate_limit;  ///< per API key; none = unlimited
  SimErrorEnvelope error_envelope = SimErrorEnvelope::b;          ///< tweetapi only
  SimBadRequestShape bad_request_shape = SimBadRequestShape::detail;  ///< twitterapi_io only
};

/// The official X API v2: OAuth 2.0 client and per-user windows.
struct SimXApiSettings {
  std::string client_id = "demo-client-id";
  std::optional<std::string> client_secret;  ///< set: a confidential client, Basic auth required on refresh
  Duration access_token_ttl = std::chrono::hours(2);
  SimRateLimit rate_limit{200, std::chrono::minutes(15)};  ///< per account, sends and lookups counted apart
  std::string problem_host = "api.twitter.com";  ///< host in problem `type` URIs (X uses both this and api.x.com)
  bool revoke_on_refresh_reuse = false;  ///< a reused refresh token also kills the account's current tokens
};

enum class SimFaultKind {
  rate_limited,           ///< 429 with reset headers (Retry-After / x-rate-limit-*)
  server_error,           ///< 5xx; with `deliver` the DM is delivered first
  slow,                   ///< delays the answer by `delay`, then the request goes on normally
  drop_after_delivery,    ///< processes the request (a send is delivered), then closes without answering
  drop_before_delivery,   ///< reads the request, then closes without processing it (a send is not delivered)
  close_mid_body,         ///< processes the request, then sends half the body and closes
  malformed_json,         ///< processes the request, then answers with a truncated JSON body
  session_expired,        ///< the provider's "invalid/expired session or token" answer
  automated,              ///< X code 226
  locked,                 ///< X code 326
  suspended,              ///< X code 64
  quota_exhausted,        ///< credits / plan quota used up
  subscription_inactive,  ///< tweetapi 429 SUBSCRIPTION_INACTIVE (others: as quota_exhausted)
  proxy_error,            ///< tweetapi 502 PROXY_ERROR / 504 PROXY_TIMEOUT (others: their proxy failure)
  cannot_dm,              ///< refuses the DM with X code `code` although the user accepts DMs
};
std::string_view to_string(SimFaultKind kind);

/// Which requests a fault rule looks at (`inbox`: GetXAPI dm/list and x_api dm_events).
enum class SimEndpoint { any, send, lookup, token, inbox };
std::string_view to_string(SimEndpoint endpoint);

/// One fault rule. Every request that passed the API-key and field checks is shown to every rule
/// whose filters match it (so `nth: [2]` is the 2nd request this rule matches, whatever other rules
/// did). Firing `slow` rules add their delays; the first other firing rule in file order decides
/// the answer, and later ones that would fire too have no effect (and do not count towards `times`).
struct SimFault {
  SimFaultKind kind = SimFaultKind::server_error;
  std::optional<ProviderKind> provider;  ///< none = every provider
  SimEndpoint endpoint = SimEndpoint::any;
  std::string recipient;  ///< username (any case) or id the request is about; empty = any
  std::string account;    ///< SimAccount::name the request is made for; empty = any
  // When it fires, among the requests the filters match (at most one of the three; none = always):
  std::optional<double> rate;        ///< probability 0..1, drawn from the scenario's seeded generator
  std::vector<std::uint64_t> nth;    ///< 1-based ordinals of matching requests
  std::uint64_t every = 0;           ///< every N-th matching request
  std::optional<std::uint64_t> times;  ///< fires at most this many times
  // Parameters:
  int status = 0;                    ///< server_error 500..599 (default 500); proxy_error 502 or 504 (default 502)
  Duration delay{0};                 ///< slow
  Duration retry_after = std::chrono::seconds(60);  ///< rate_limited: reset this far in the future
  bool reset_headers = true;         ///< rate_limited: false sends no Retry-After / reset headers
  bool deliver = false;              ///< server_error: deliver the DM, then answer 5xx
  int code = 349;                    ///< cannot_dm: the X refusal code
};

struct Scenario {
  std::uint64_t seed = 1;  ///< seeds the generator behind fault `rate`s
  std::vector<SimUser> users;
  std::vector<SimUserRange> user_ranges;
  std::vector<SimAccount> accounts;
  SimProviderSettings getxapi;
  SimProviderSettings twitterapi_io;
  SimProviderSettings tweetapi;
  SimXApiSettings x_api;
  std::vector<SimFault> faults;
};

/// Parses scenario JSON. The error is one sentence naming the field, e.g.
/// `users[3].id: must be a string of decimal digits (quote it)`.
Result<Scenario> parse_scenario(std::string_view json_text);

/// Reads and parses a scenario file; errors start with the file's path.
Result<Scenario> load_scenario_file(std::string const& path);

/// The built-in demo scenario as JSON text (what `simulate` runs without --scenario; documented in
/// docs/simulator.md and printed by `simulate --print-default-scenario`).
std::string_view default_scenario_json();

/// default_scenario_json(), parsed.
Scenario default_scenario();

}  // namespace outreach
