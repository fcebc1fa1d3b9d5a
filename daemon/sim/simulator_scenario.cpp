#include "daemon/sim/simulator_scenario.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <utility>

#include "core/duration.hpp"

namespace outreach {
namespace json = boost::json;

std::string_view to_string(SimAccountState state) {
  switch (state) {
    case SimAccountState::ok: return "ok";
    case SimAccountState::expired: return "expired";
    case SimAccountState::locked: return "locked";
    case SimAccountState::suspended: return "suspended";
    case SimAccountState::automated: return "automated";
  }
  return "ok";
}

std::string_view to_string(SimFaultKind kind) {
  switch (kind) {
    case SimFaultKind::rate_limited: return "rate_limited";
    case SimFaultKind::server_error: return "server_error";
    case SimFaultKind::slow: return "slow";
    case SimFaultKind::drop_after_delivery: return "drop_after_delivery";
    case SimFaultKind::drop_before_delivery: return "drop_before_delivery";
    case SimFaultKind::close_mid_body: return "close_mid_body";
    case SimFaultKind::malformed_json: return "malformed_json";
    case SimFaultKind::session_expired: return "session_expired";
    case SimFaultKind::automated: return "automated";
    case SimFaultKind::locked: return "locked";
    case SimFaultKind::suspended: return "suspended";
    case SimFaultKind::quota_exhausted: return "quota_exhausted";
    case SimFaultKind::subscription_inactive: return "subscription_inactive";
    case SimFaultKind::proxy_error: return "proxy_error";
    case SimFaultKind::cannot_dm: return "cannot_dm";
  }
  return "server_error";
}

std::string_view to_string(SimEndpoint endpoint) {
  switch (endpoint) {
    case SimEndpoint::any: return "any";
    case SimEndpoint::send: return "send";
    case SimEndpoint::lookup: return "lookup";
    case SimEndpoint::token: return "token";
    case SimEndpoint::inbox: return "inbox";
  }
  return "any";
}

namespace {

// Parsing is deeply nested; an internal exception carrying the finished sentence keeps every
// check one line. It never leaves parse_scenario().
struct ScenarioError {
  std::string message;
};

[[noreturn]] void fail(std::string const& where, std::string const& what) {
  throw ScenarioError{where + ": " + what};
}

bool is_decimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (!is_decimal(s)) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

bool valid_username(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Reads one JSON object, remembering which keys were consumed so leftovers can be rejected.
class ObjectReader {
 public:
  ObjectReader(json::value const& v, std::string where) : where_(std::move(where)) {
    if (!v.is_object()) fail(where_.empty() ? "scenario" : where_, "must be a JSON object");
    obj_ = &v.as_object();
  }

  std::string field(std::string_view key) const { return where_.empty() ? std::string(key) : where_ + "." + std::string(key); }

  json::value const* get(std::string_view key) {
    seen_.insert(std::string(key));
    auto it = obj_->find(key);
    return it == obj_->end() ? nullptr : &it->value();
  }

  std::optional<std::string> string(std::string_view key) {
    auto const* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(field(key), "must be a string");
    return std::string(v->as_string());
  }

  std::string required_string(std::string_view key) {
    auto s = string(key);
    if (!s) fail(field(key), "is required");
    if (s->empty()) fail(field(key), "must not be empty");
    return *s;
  }

  std::optional<bool> boolean(std::string_view key) {
    auto const* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) fail(field(key), "must be true or false");
    return v->as_bool();
  }

  std::optional<std::uint64_t> count(std::string_view key) {
    auto const* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
    fail(field(key), "must be a whole number >= 0");
  }

  std::optional<double> number(std::string_view key) {
    auto const* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) fail(field(key), "must be a number");
    return v->to_number<double>();
  }

  /// A decimal id: a string of digits (never a JSON number, which could lose precision).
  std::optional<std::string> id(std::string_view key) {
    auto const* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string() || !is_decimal(v->as_string()))
      fail(field(key), "must be a string of decimal digits (quote it)");
    return std::string(v->as_string());
  }

  std::optional<Duration> duration(std::string_view key) {
    auto s = string(key);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) fail(field(key), d.error().message);
    return *d;
  }

  json::array const* array(std::string_view key) {
    auto const* v = get(key);
    if (!v) return nullptr;
    if (!v->is_array()) fail(field(key), "must be an array");
    return &v->as_array();
  }

  void reject_unknown() const {
    for (auto const& kv : *obj_) {
      if (!seen_.contains(std::string(kv.key())))
        fail(where_.empty() ? "scenario" : where_, "unknown key \"" + std::string(kv.key()) + "\"");
    }
  }

 private:
  std::string where_;
  json::object const* obj_ = nullptr;
  std::set<std::string> seen_;
};

std::string indexed(std::string const& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

int parse_refusal_code(ObjectReader& r, std::string_view key, int fallback) {
  auto code = r.count(key);
  if (!code) return fallback;
  if (*code != 349 && *code != 150 && *code != 214 && *code != 476)
    fail(r.field(key), "must be one of the X refusal codes 349, 150, 214, 476");
  return static_cast<int>(*code);
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

constexpr Duration kMaxReplyAfter = std::chrono::days(365);

SimReply parse_reply(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimReply reply;
  auto after = r.duration("after");
  if (!after) fail(r.field("after"), "is required (e.g. \"5s\": how long after the DM the reply arrives)");
  if (*after > kMaxReplyAfter) fail(r.field("after"), "must be at most 365d");
  reply.after = *after;
  reply.text = r.required_string("text");
  if (code_points(reply.text) > 10000) fail(r.field("text"), "must be at most 10000 characters");
  if (auto dm = r.count("dm")) {
    if (*dm == 0) fail(r.field("dm"), "must be at least 1 (1 = the first DM from an account)");
    reply.dm = *dm;
  }
  if (auto account = r.string("account")) {
    if (account->empty()) fail(r.field("account"), "must not be empty");
    reply.account = *account;
  }
  r.reject_unknown();
  return reply;
}

SimUser parse_user(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimUser u;
  u.username = r.required_string("username");
  if (!valid_username(u.username)) fail(r.field("username"), "must be 1 to 15 letters, digits or underscores");
  u.exists = r.boolean("exists").value_or(true);
  if (auto id = r.id("id")) u.id = *id;
  if (u.id.empty() && u.exists) fail(r.field("id"), "is required for a user that exists");
  u.name = r.string("name").value_or(u.username);
  u.can_dm = r.boolean("can_dm").value_or(true);
  u.refusal_code = parse_refusal_code(r, "refusal_code", 349);
  u.protected_account = r.boolean("protected").value_or(false);
  u.suspended = r.boolean("suspended").value_or(false);
  if (auto const* replies = r.array("replies")) {
    if (!u.exists && !replies->empty()) fail(r.field("replies"), "are not possible for a user that does not exist");
    for (std::size_t i = 0; i < replies->size(); ++i)
      u.replies.push_back(parse_reply((*replies)[i], indexed(r.field("replies"), i)));
  }
  r.reject_unknown();
  return u;
}

SimUserRange parse_user_range(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimUserRange range;
  range.prefix = r.required_string("prefix");
  if (!valid_username(range.prefix) || (range.prefix.back() >= '0' && range.prefix.back() <= '9'))
    fail(r.field("prefix"), "must be letters, digits or underscores, not ending in a digit");
  auto count = r.count("count");
  if (!count || *count == 0) fail(r.field("count"), "is required and must be at least 1");
  range.count = *count;
  if (range.prefix.size() + std::to_string(range.count - 1).size() > 15)
    fail(r.field("count"), "makes usernames longer than X's 15 characters with this prefix");
  auto first = r.id("first_id");
  if (!first) fail(r.field("first_id"), "is required");
  if (!parse_u64(*first, range.first_id) || range.first_id == 0 || range.first_id > UINT64_MAX - range.count)
    fail(r.field("first_id"), "must be a positive id that leaves room for count ids below 2^64");
  range.closed_every = r.count("closed_every").value_or(0);
  range.missing_every = r.count("missing_every").value_or(0);
  r.reject_unknown();
  return range;
}

SimAccountState parse_account_state(std::string const& text, std::string const& where) {
  for (auto s : {SimAccountState::ok, SimAccountState::expired, SimAccountState::locked, SimAccountState::suspended,
                 SimAccountState::automated})
    if (to_string(s) == text) return s;
  fail(where, "must be one of ok, expired, locked, suspended, automated");
}

/// X's OAuth 2.0 scopes (docs.x.com, "OAuth 2.0 Authorization Code Flow with PKCE").
bool known_scope(std::string_view s) {
  for (std::string_view k :
       {"tweet.read", "tweet.write", "tweet.moderate.write", "users.read", "users.email", "follows.read", "follows.write",
        "offline.access", "space.read", "mute.read", "mute.write", "like.read", "like.write", "list.read", "list.write",
        "block.read", "block.write", "bookmark.read", "bookmark.write", "dm.read", "dm.write", "media.write"})
    if (k == s) return true;
  return false;
}

std::vector<std::string> parse_scopes(json::array const& list, std::string const& where) {
  std::vector<std::string> scopes;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto const& v = list[i];
    if (!v.is_string()) fail(indexed(where, i), "must be a string");
    std::string scope(v.as_string());
    if (!known_scope(scope)) fail(indexed(where, i), "\"" + scope + "\" is not an X OAuth 2.0 scope (e.g. dm.read, dm.write)");
    for (auto const& earlier : scopes)
      if (earlier == scope) fail(indexed(where, i), "\"" + scope + "\" is listed twice");
    scopes.push_back(std::move(scope));
  }
  return scopes;
}

SimAccount parse_account(json::value const& v, std::string const& where, std::size_t index) {
  ObjectReader r(v, where);
  SimAccount a;
  a.name = r.required_string("name");
  auto provider_text = r.required_string("provider");
  auto provider = parse_provider_kind(provider_text);
  if (!provider) fail(r.field("provider"), "must be one of getxapi, twitterapi_io, tweetapi, x_api");
  a.provider = *provider;
  if (a.provider == ProviderKind::x_api) {
    a.access_token = r.required_string("access_token");
    a.refresh_token = r.string("refresh_token").value_or("");
    if (r.get("token")) fail(r.field("token"), "is not used by x_api accounts (use access_token)");
    if (auto const* scopes = r.array("scopes")) a.scopes = parse_scopes(*scopes, r.field("scopes"));
  } else {
    a.token = r.required_string("token");
    if (r.get("access_token")) fail(r.field("access_token"), "is only for x_api accounts");
    if (r.get("refresh_token")) fail(r.field("refresh_token"), "is only for x_api accounts");
    if (r.get("scopes")) fail(r.field("scopes"), "is only for x_api accounts");
  }
  // A stable made-up id when none is given, so responses still carry a sender id.
  a.user_id = r.id("user_id").value_or(std::to_string(1500000000000000001ULL + index));
  a.username = r.string("username").value_or(a.name);
  a.daily_cap = r.count("daily_cap").value_or(1000);
  if (auto state = r.string("state")) a.state = parse_account_state(*state, r.field("state"));
  r.reject_unknown();
  return a;
}

SimRateLimit parse_rate_limit(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimRateLimit rl;
  auto limit = r.count("limit");
  if (!limit || *limit == 0) fail(r.field("limit"), "is required and must be at least 1");
  rl.limit = *limit;
  auto window = r.duration("window");
  if (!window || window->count() <= 0) fail(r.field("window"), "is required and must be longer than 0");
  rl.window = *window;
  r.reject_unknown();
  return rl;
}

SimApiKey parse_api_key(json::value const& v, std::string const& where) {
  SimApiKey key;
  if (v.is_string()) {
    key.key = std::string(v.as_string());
    if (key.key.empty()) fail(where, "must not be empty");
    return key;
  }
  ObjectReader r(v, where);
  key.key = r.required_string("key");
  key.quota = r.count("quota");
  key.subscription_inactive = r.boolean("subscription_inactive").value_or(false);
  r.reject_unknown();
  return key;
}

SimProviderSettings parse_provider(json::value const& v, std::string const& where, ProviderKind kind) {
  ObjectReader r(v, where);
  SimProviderSettings p;
  if (auto const* keys = r.array("api_keys")) {
    for (std::size_t i = 0; i < keys->size(); ++i)
      p.api_keys.push_back(parse_api_key((*keys)[i], indexed(r.field("api_keys"), i)));
  }
  if (auto const* rl = r.get("rate_limit")) p.rate_limit = parse_rate_limit(*rl, r.field("rate_limit"));
  if (kind == ProviderKind::tweetapi) {
    if (auto env = r.string("error_envelope")) {
      if (*env == "a") p.error_envelope = SimErrorEnvelope::a;
      else if (*env == "b") p.error_envelope = SimErrorEnvelope::b;
      else fail(r.field("error_envelope"), "must be \"a\" ({\"error\":{code,message}}) or \"b\" ({statusCode,message,code})");
    }
  }
  if (kind == ProviderKind::twitterapi_io) {
    if (auto shape = r.string("bad_request_shape")) {
      if (*shape == "detail") p.bad_request_shape = SimBadRequestShape::detail;
      else if (*shape == "error_message") p.bad_request_shape = SimBadRequestShape::error_message;
      else fail(r.field("bad_request_shape"), "must be \"detail\" or \"error_message\"");
    }
  }
  r.reject_unknown();
  return p;
}

SimXApiSettings parse_x_api(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimXApiSettings x;
  if (auto id = r.string("client_id")) {
    if (id->empty()) fail(r.field("client_id"), "must not be empty");
    x.client_id = *id;
  }
  x.client_secret = r.string("client_secret");
  if (auto ttl = r.duration("access_token_ttl")) {
    if (ttl->count() <= 0) fail(r.field("access_token_ttl"), "must be longer than 0");
    x.access_token_ttl = *ttl;
  }
  if (auto const* rl = r.get("rate_limit")) x.rate_limit = parse_rate_limit(*rl, r.field("rate_limit"));
  if (auto host = r.string("problem_host")) {
    if (*host != "api.twitter.com" && *host != "api.x.com")
      fail(r.field("problem_host"), "must be \"api.twitter.com\" or \"api.x.com\"");
    x.problem_host = *host;
  }
  x.revoke_on_refresh_reuse = r.boolean("revoke_on_refresh_reuse").value_or(false);
  r.reject_unknown();
  return x;
}

SimFaultKind parse_fault_kind(std::string const& text, std::string const& where) {
  for (auto k : {SimFaultKind::rate_limited, SimFaultKind::server_error, SimFaultKind::slow,
                 SimFaultKind::drop_after_delivery, SimFaultKind::drop_before_delivery, SimFaultKind::close_mid_body, SimFaultKind::malformed_json,
                 SimFaultKind::session_expired, SimFaultKind::automated, SimFaultKind::locked,
                 SimFaultKind::suspended, SimFaultKind::quota_exhausted, SimFaultKind::subscription_inactive,
                 SimFaultKind::proxy_error, SimFaultKind::cannot_dm})
    if (to_string(k) == text) return k;
  fail(where, "unknown fault kind \"" + text + "\" (see docs/simulator.md for the list)");
}

SimFault parse_fault(json::value const& v, std::string const& where) {
  ObjectReader r(v, where);
  SimFault f;
  f.kind = parse_fault_kind(r.required_string("kind"), r.field("kind"));
  if (auto provider = r.string("provider")) {
    auto kind = parse_provider_kind(*provider);
    if (!kind) fail(r.field("provider"), "must be one of getxapi, twitterapi_io, tweetapi, x_api");
    f.provider = *kind;
  }
  if (auto endpoint = r.string("endpoint")) {
    bool found = false;
    for (auto e : {SimEndpoint::any, SimEndpoint::send, SimEndpoint::lookup, SimEndpoint::token, SimEndpoint::inbox})
      if (to_string(e) == *endpoint) f.endpoint = e, found = true;
    if (!found) fail(r.field("endpoint"), "must be one of any, send, lookup, token, inbox");
  }
  if (auto recipient = r.string("recipient")) f.recipient = lower(*recipient);
  if (auto account = r.string("account")) f.account = *account;

  int triggers = 0;
  if ((f.rate = r.number("rate"))) {
    ++triggers;
    if (!(*f.rate >= 0.0 && *f.rate <= 1.0)) fail(r.field("rate"), "must be between 0 and 1");
  }
  if (auto const* nth = r.array("nth")) {
    ++triggers;
    if (nth->empty()) fail(r.field("nth"), "must list at least one request number");
    for (std::size_t i = 0; i < nth->size(); ++i) {
      auto const& n = (*nth)[i];
      // Read as stored: to_number<std::int64_t>() throws (not a ScenarioError) above 2^63 - 1.
      std::uint64_t value = 0;
      if (n.is_uint64()) value = n.as_uint64();
      else if (n.is_int64() && n.as_int64() > 0) value = static_cast<std::uint64_t>(n.as_int64());
      if (value < 1) fail(indexed(r.field("nth"), i), "must be a whole number >= 1");
      f.nth.push_back(value);
    }
  }
  if (auto every = r.count("every")) {
    ++triggers;
    if (*every == 0) fail(r.field("every"), "must be at least 1");
    f.every = *every;
  }
  if (triggers > 1) fail(where, "give at most one of rate, nth, every");
  f.times = r.count("times");

  auto status = r.count("status");
  auto delay = r.duration("delay");
  auto retry_after = r.duration("retry_after");
  auto reset_headers = r.boolean("reset_headers");
  auto deliver = r.boolean("deliver");
  auto const* code = r.get("code");
  // Parameters belong to one kind each; a misplaced one is a typo worth reporting.
  auto only_for = [&](bool present, std::string_view key, std::initializer_list<SimFaultKind> kinds) {
    if (!present) return;
    for (auto k : kinds)
      if (k == f.kind) return;
    std::string names;
    for (auto k : kinds) names += (names.empty() ? "" : " or ") + std::string(to_string(k));
    fail(r.field(key), "applies only to kind " + names);
  };
  only_for(status.has_value(), "status", {SimFaultKind::server_error, SimFaultKind::proxy_error});
  only_for(delay.has_value(), "delay", {SimFaultKind::slow});
  only_for(retry_after.has_value(), "retry_after", {SimFaultKind::rate_limited});
  only_for(reset_headers.has_value(), "reset_headers", {SimFaultKind::rate_limited});
  only_for(deliver.has_value(), "deliver", {SimFaultKind::server_error});
  only_for(code != nullptr, "code", {SimFaultKind::cannot_dm});

  if (f.kind == SimFaultKind::server_error) {
    f.status = static_cast<int>(status.value_or(500));
    if (f.status < 500 || f.status > 599) fail(r.field("status"), "must be 500 to 599");
  }
  if (f.kind == SimFaultKind::proxy_error) {
    f.status = static_cast<int>(status.value_or(502));
    if (f.status != 502 && f.status != 504) fail(r.field("status"), "must be 502 (PROXY_ERROR) or 504 (PROXY_TIMEOUT)");
  }
  if (f.kind == SimFaultKind::slow) {
    if (!delay || delay->count() <= 0) fail(r.field("delay"), "is required for kind slow and must be longer than 0");
    f.delay = *delay;
  }
  if (retry_after) f.retry_after = *retry_after;
  f.reset_headers = reset_headers.value_or(true);
  f.deliver = deliver.value_or(false);
  if (f.kind == SimFaultKind::cannot_dm) f.code = parse_refusal_code(r, "code", 349);
  r.reject_unknown();
  return f;
}

Scenario parse_root(json::value const& root) {
  ObjectReader r(root, "");
  Scenario s;
  if (auto seed = r.count("seed")) s.seed = *seed;

  std::set<std::string> usernames;
  std::set<std::string> ids;
  if (auto const* users = r.array("users")) {
    for (std::size_t i = 0; i < users->size(); ++i) {
      auto where = indexed("users", i);
      s.users.push_back(parse_user((*users)[i], where));
      auto const& u = s.users.back();
      if (!usernames.insert(lower(u.username)).second) fail(where + ".username", "\"" + u.username + "\" is listed twice");
      if (!u.id.empty() && !ids.insert(u.id).second) fail(where + ".id", "\"" + u.id + "\" is listed twice");
    }
  }
  if (auto const* ranges = r.array("user_ranges")) {
    for (std::size_t i = 0; i < ranges->size(); ++i)
      s.user_ranges.push_back(parse_user_range((*ranges)[i], indexed("user_ranges", i)));
  }
  if (auto const* accounts = r.array("accounts")) {
    std::set<std::string> names;
    std::set<std::pair<ProviderKind, std::string>> tokens;
    for (std::size_t i = 0; i < accounts->size(); ++i) {
      auto where = indexed("accounts", i);
      s.accounts.push_back(parse_account((*accounts)[i], where, i));
      auto const& a = s.accounts.back();
      if (!names.insert(a.name).second) fail(where + ".name", "\"" + a.name + "\" is used twice");
      auto const& token = a.provider == ProviderKind::x_api ? a.access_token : a.token;
      if (!tokens.insert({a.provider, token}).second)
        fail(where, "has the same token as an earlier account of this provider");
      if (a.provider == ProviderKind::x_api && !a.refresh_token.empty() &&
          !tokens.insert({a.provider, "refresh:" + a.refresh_token}).second)
        fail(where + ".refresh_token", "is the same as an earlier account's");
    }
  }
  // Replies may name the account they answer; accounts are read after users.
  for (std::size_t i = 0; i < s.users.size(); ++i) {
    for (std::size_t j = 0; j < s.users[i].replies.size(); ++j) {
      auto const& name = s.users[i].replies[j].account;
      if (name.empty()) continue;
      bool known = false;
      for (auto const& a : s.accounts) known = known || a.name == name;
      if (!known) fail(indexed(indexed("users", i) + ".replies", j) + ".account", "names no account in accounts[]");
    }
  }
  if (auto const* providers = r.get("providers")) {
    ObjectReader p(*providers, "providers");
    if (auto const* v = p.get("getxapi")) s.getxapi = parse_provider(*v, "providers.getxapi", ProviderKind::getxapi);
    if (auto const* v = p.get("twitterapi_io"))
      s.twitterapi_io = parse_provider(*v, "providers.twitterapi_io", ProviderKind::twitterapi_io);
    if (auto const* v = p.get("tweetapi")) s.tweetapi = parse_provider(*v, "providers.tweetapi", ProviderKind::tweetapi);
    if (auto const* v = p.get("x_api")) s.x_api = parse_x_api(*v, "providers.x_api");
    p.reject_unknown();
  }
  if (auto const* faults = r.array("faults")) {
    for (std::size_t i = 0; i < faults->size(); ++i) {
      s.faults.push_back(parse_fault((*faults)[i], indexed("faults", i)));
      auto const& f = s.faults.back();
      if (!f.account.empty()) {
        bool known = false;
        for (auto const& a : s.accounts) known = known || a.name == f.account;
        if (!known) fail(indexed("faults", i) + ".account", "names no account in accounts[]");
      }
    }
  }
  r.reject_unknown();
  return s;
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view json_text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.allow_comments = false;
  json::value root = json::parse(json_text, ec, {}, options);
  if (ec) return make_error("scenario is not valid JSON: " + ec.message());
  try {
    return parse_root(root);
  } catch (ScenarioError const& e) {
    return make_error(e.message);
  }
}

Result<Scenario> load_scenario_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("scenario file " + path + ": cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("scenario file " + path + ": read failed");
  auto parsed = parse_scenario(text.str());
  if (!parsed) return make_error("scenario file " + path + ": " + parsed.error().message);
  return parsed;
}

Scenario default_scenario() {
  auto s = parse_scenario(default_scenario_json());
  // The built-in text is covered by a test; failing here is a programming error.
  if (!s) throw ErrorException("built-in simulator scenario is invalid: " + s.error().message);
  return std::move(*s);
}

}  // namespace outreach
