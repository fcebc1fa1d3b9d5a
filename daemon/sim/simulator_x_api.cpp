// The official X API v2 as the simulator serves it (docs/providers.md#x_api): OAuth 2.0 bearer
// access tokens with rotating single-use refresh tokens, RFC 7807 problems, 200 + errors[] for a
// missing user, x-rate-limit-* on every answer but a 401, x-user-limit-24hour-* on DM sends.
#include <boost/json.hpp>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach::sim_detail {
namespace {

constexpr std::string_view kScopes = "tweet.read users.read dm.read dm.write offline.access";

class XApiDialect final : public Dialect {
 public:
  explicit XApiDialect(SimXApiSettings const& settings) : settings_(settings) {}

  std::string problem_type(std::string_view name) const {
    return "https://" + settings_.problem_host + "/2/problems/" + std::string(name);
  }
  static HttpResponse blank(int status, std::string_view title, std::string_view detail) {
    return json_response(status, json::object{{"title", title}, {"type", "about:blank"}, {"status", status}, {"detail", detail}});
  }
  HttpResponse invalid_request(std::string_view parameter, std::string_view value, std::string const& message) const {
    json::object parameters;
    if (!parameter.empty()) parameters[parameter] = json::array{json::value(value)};
    return json_response(400, json::object{{"errors", json::array{json::object{{"parameters", parameters}, {"message", message}}}},
                                           {"title", "Invalid Request"},
                                           {"detail", "One or more parameters to your request was invalid."},
                                           {"type", problem_type("invalid-request")}});
  }

  HttpResponse invalid_key() const override { return blank(401, "Unauthorized", "Unauthorized"); }
  HttpResponse quota(bool usage_capped) const override {
    if (usage_capped)
      return json_response(429, json::object{{"account_id", 1},
                                             {"product_name", "standard-basic"},
                                             {"title", "UsageCapExceeded"},
                                             {"period", "Monthly"},
                                             {"scope", "Product"},
                                             {"detail", "Usage cap exceeded: Monthly product cap"},
                                             {"type", problem_type("usage-capped")}});
    return json_response(402, json::object{{"detail", "credits depleted"},
                                           {"status", 402},
                                           {"title", "Payment Required"},
                                           {"type", problem_type("credits-depleted")}});
  }
  HttpResponse rate_limited(RateInfo const& info) const override {
    auto r = blank(429, "Too Many Requests", "Too Many Requests");
    if (info.headers) {
      set_header(r, "x-rate-limit-limit", std::to_string(info.limit > 0 ? info.limit : settings_.rate_limit.limit));
      set_header(r, "x-rate-limit-remaining", "0");
      set_header(r, "x-rate-limit-reset", std::to_string(unix_seconds_ceil(info.reset_at)));
    }
    return r;
  }
  HttpResponse daily_cap(RateInfo const& info) const override {
    auto r = blank(429, "Too Many Requests", "Too Many Requests");
    set_header(r, "x-user-limit-24hour-limit", std::to_string(info.limit));
    set_header(r, "x-user-limit-24hour-remaining", "0");
    set_header(r, "x-user-limit-24hour-reset", std::to_string(unix_seconds_ceil(info.reset_at)));
    return r;
  }
  HttpResponse error(int status, std::string const& message) const override {
    if (status == 400) return invalid_request("", "", message);
    return blank(status, status == 404 ? "Not Found Error" : status == 405 ? "Method Not Allowed" : "Error", message);
  }
  HttpResponse session_invalid() const override { return invalid_key(); }
  HttpResponse account_error(SimAccountState state) const override {
    if (state == SimAccountState::expired || state == SimAccountState::ok) return session_invalid();
    return blank(403, "Forbidden", x_code_text(x_code_for(state)));
  }
  HttpResponse server_error(int status) const override {
    auto title = status == 503 ? "Service Unavailable" : "Internal Server Error";
    return blank(status, title, title);
  }
  HttpResponse proxy_error(int status) const override {
    return status == 504 ? blank(504, "Gateway Timeout", "Gateway Timeout") : blank(502, "Bad Gateway", "Bad Gateway");
  }
  HttpResponse cannot_dm(int x_code) const override {
    return json_response(403, json::object{{"detail", x_code_text(x_code)},
                                           {"status", 403},
                                           {"title", "Authorization Error"},
                                           {"type", problem_type("not-authorized-for-resource")}});
  }
  HttpResponse recipient_not_found(std::string const& who) const override {
    return invalid_request("participant_id", who, "The participant_id [" + who + "] does not exist.");
  }
  HttpResponse text_too_long() const override {
    return invalid_request("text", "", "text must be at most 10000 characters.");
  }

 private:
  SimXApiSettings const& settings_;
};

// ---- helpers ----

std::string base64_decode(std::string_view in, bool& ok) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  ok = true;
  for (char c : in) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) {
      ok = false;
      return {};
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

/// The numerically smaller id first, as X builds 1:1 conversation ids.
std::string conversation_id(std::string const& a, std::string const& b) {
  const bool a_first = a.size() < b.size() || (a.size() == b.size() && a < b);
  return a_first ? a + "-" + b : b + "-" + a;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return parts;
}

bool known_user_field(std::string_view f) {
  for (std::string_view k :
       {"affiliation", "connection_status", "created_at", "description", "entities", "id", "location",
        "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected",
        "public_metrics", "receives_your_dm", "subscription_type", "url", "username", "verified", "verified_type",
        "withheld"})
    if (k == f) return true;
  return false;
}

/// The user object with only the requested optional fields, as X returns it.
json::object user_json(UserView const& u, std::vector<std::string> const& fields) {
  json::object o{{"id", u.id}, {"name", u.name}, {"username", u.username}};
  for (auto const& f : fields) {
    if (f == "receives_your_dm") o["receives_your_dm"] = u.can_dm;
    else if (f == "protected") o["protected"] = u.protected_account;
    else if (f == "connection_status") o["connection_status"] = json::array{};
    else if (f == "created_at") o["created_at"] = "2020-12-01T00:00:00.000Z";
    else if (f == "description") o["description"] = "";
    else if (f == "verified") o["verified"] = false;
  }
  return o;
}

struct Route {
  enum class Kind { none, send, by_username, by_id, token } kind = Kind::none;
  std::string arg;
};

Route route(std::string_view path) {
  auto p = split_path(path);
  Route r;
  if (p.size() == 5 && p[0] == "2" && p[1] == "dm_conversations" && p[2] == "with" && p[4] == "messages")
    r = {Route::Kind::send, std::string(p[3])};
  else if (p.size() == 5 && p[0] == "2" && p[1] == "users" && p[2] == "by" && p[3] == "username")
    r = {Route::Kind::by_username, std::string(p[4])};
  else if (p.size() == 3 && p[0] == "2" && p[1] == "users" && p[2] != "by" && p[2] != "me")
    r = {Route::Kind::by_id, std::string(p[2])};
  else if (p.size() == 3 && p[0] == "2" && p[1] == "oauth2" && p[2] == "token")
    r = {Route::Kind::token, {}};
  return r;
}

HttpResponse oauth_error(int status, std::string_view error, std::string_view description) {
  return json_response(status, json::object{{"error", error}, {"error_description", description}});
}

// ---- endpoints ----

ServerReply token(SimState& s, XApiDialect const& d, HttpRequest const& request) {
  auto const& cfg = s.scenario.x_api;
  auto form = parse_params(request.body);

  // Client authentication: Basic for confidential clients, client_id in the body for public ones.
  std::optional<std::string> basic_id;
  std::optional<std::string> basic_secret;
  if (auto auth = find_header(request.headers, "Authorization"); auth && lower(auth->substr(0, 6)) == "basic ") {
    bool ok = false;
    auto decoded = base64_decode(auth->substr(6), ok);
    auto colon = decoded.find(':');
    if (ok && colon != std::string::npos) {
      basic_id = percent_decode(decoded.substr(0, colon), true);
      basic_secret = percent_decode(decoded.substr(colon + 1), true);
    }
    if (!basic_id) return finish(d, {}, oauth_error(401, "unauthorized_client", "Missing valid authorization header"));
  }
  if (cfg.client_secret) {
    if (!basic_id || *basic_id != cfg.client_id || *basic_secret != *cfg.client_secret)
      return finish(d, {}, oauth_error(401, "unauthorized_client", "Missing valid authorization header"));
  } else {
    auto client_id = basic_id ? basic_id : param(form, "client_id");
    if (!client_id || client_id->empty())
      return finish(d, {}, oauth_error(400, "invalid_request", "Missing required parameter [client_id]."));
    if (*client_id != cfg.client_id)
      return finish(d, {}, oauth_error(401, "unauthorized_client", "Value passed for the client_id was invalid."));
  }
  if (param(form, "grant_type") != std::optional<std::string>("refresh_token"))
    return finish(d, {}, oauth_error(400, "invalid_request",
                                     "grant_type must be refresh_token (the simulator has no authorization-code flow)."));
  auto refresh = param(form, "refresh_token");
  if (!refresh || refresh->empty())
    return finish(d, {}, oauth_error(400, "invalid_request", "Missing required parameter [refresh_token]."));

  AccountRuntime* account = nullptr;
  for (auto& a : s.accounts)
    if (a.config->provider == ProviderKind::x_api && !a.refresh_token.empty() && a.refresh_token == *refresh) account = &a;

  RequestInfo info{ProviderKind::x_api, SimEndpoint::token, account, {}};
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));

  if (!account) {
    // Refresh tokens are single-use: a spent one fails, and may take the whole grant with it.
    if (auto spent = s.spent_refresh_tokens.find(*refresh);
        spent != s.spent_refresh_tokens.end() && cfg.revoke_on_refresh_reuse) {
      auto& owner = s.accounts[spent->second];
      if (!owner.refresh_token.empty()) s.spent_refresh_tokens.emplace(owner.refresh_token, spent->second);
      owner.access_token.clear();
      owner.refresh_token.clear();
    }
    return finish(d, plan, oauth_error(400, "invalid_request", "Value passed for the token was invalid."));
  }
  s.spent_refresh_tokens.emplace(account->refresh_token, static_cast<std::size_t>(account - s.accounts.data()));
  // The old access token dies with the rotation, so a client that keeps using it is caught.
  account->access_token = s.new_token("at");
  account->refresh_token = s.new_token("rt");
  account->access_expires_at = s.now() + cfg.access_token_ttl;
  json::object body{{"token_type", "bearer"},
                    {"expires_in", seconds_ceil(cfg.access_token_ttl)},
                    {"access_token", account->access_token},
                    {"scope", kScopes},
                    {"refresh_token", account->refresh_token}};
  return finish(d, plan, json_response(200, body));
}

ServerReply send(SimState& s, XApiDialect const& d, HttpRequest const& request, AccountRuntime& account,
                 std::string const& participant) {
  if (!is_decimal_id(participant))
    return finish(d, {}, d.invalid_request("participant_id", participant,
                                           "The `participant_id` path parameter must be a numeric user id."));
  auto body = parse_body_object(request.body);
  if (!body) return finish(d, {}, d.invalid_request("", "", "The request body must be a JSON object."));
  auto text = string_field(*body, "text");
  auto attachments = body->find("attachments");
  const bool has_attachments = attachments != body->end() && attachments->value().is_array() &&
                               !attachments->value().as_array().empty();
  if (!text && !has_attachments)
    return finish(d, {}, d.invalid_request("text", "", "One of text or attachments is required."));

  auto user = s.user_by_user_id(participant);
  RequestInfo info{ProviderKind::x_api, SimEndpoint::send, &account, {}};
  add_recipient(info, participant, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));

  auto outcome = try_send(s, ProviderKind::x_api, account, user, text.value_or(""));
  HttpResponse response;
  if (outcome.kind != SendOutcome::Kind::delivered) {
    response = send_refusal(d, outcome, account, participant);
  } else {
    auto const& m = *outcome.message;
    response = json_response(201, json::object{{"data", json::object{{"dm_conversation_id", conversation_id(m.sender_id, m.recipient_id)},
                                                                     {"dm_event_id", m.message_id}}}});
  }
  if (response.status != 401) {
    set_header(response, "x-user-limit-24hour-limit", std::to_string(outcome.daily.limit));
    set_header(response, "x-user-limit-24hour-remaining", std::to_string(outcome.daily.remaining));
    set_header(response, "x-user-limit-24hour-reset", std::to_string(unix_seconds_ceil(outcome.daily.reset_at)));
  }
  return finish(d, plan, std::move(response));
}

ServerReply lookup(SimState& s, XApiDialect const& d, Target const& target, Route const& r, AccountRuntime& account) {
  const bool by_name = r.kind == Route::Kind::by_username;
  if (by_name ? !valid_x_username(r.arg) : !is_decimal_id(r.arg))
    return finish(d, {}, d.invalid_request(by_name ? "username" : "id", r.arg,
                                           by_name ? "The `username` query parameter value [" + r.arg +
                                                         "] does not match ^[A-Za-z0-9_]{1,15}$"
                                                   : "The `id` query parameter value [" + r.arg + "] is not valid"));
  std::vector<std::string> fields;
  if (auto list = param(target.query, "user.fields")) {
    std::string_view rest = *list;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto f = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (!known_user_field(f))
        return finish(d, {}, d.invalid_request("user.fields", f,
                                               "The `user.fields` query parameter value [" + std::string(f) +
                                                   "] is not one of the allowed user fields"));
      fields.emplace_back(f);
    }
  }
  auto user = by_name ? s.user_by_username(r.arg) : s.user_by_user_id(r.arg);
  RequestInfo info{ProviderKind::x_api, SimEndpoint::lookup, &account, {}};
  add_recipient(info, r.arg, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (!user || !user->visible()) {
    // X answers a missing user with 200 and a problem inside errors[].
    const bool suspended = user && user->suspended;
    const std::string what = by_name ? "username" : "id";
    json::object problem{{"value", r.arg},
                         {"detail", suspended ? "User has been suspended: [" + r.arg + "]."
                                              : "Could not find user with " + what + ": [" + r.arg + "]."},
                         {"title", suspended ? "Forbidden" : "Not Found Error"},
                         {"resource_type", "user"},
                         {"parameter", what},
                         {"resource_id", r.arg},
                         {"type", d.problem_type("resource-not-found")}};
    return finish(d, plan, json_response(200, json::object{{"errors", json::array{problem}}}));
  }
  return finish(d, plan, json_response(200, json::object{{"data", user_json(*user, fields)}}));
}

}  // namespace

ServerReply handle_x_api(SimState& s, HttpRequest const& request, Target const& target) {
  const XApiDialect d(s.scenario.x_api);
  const Route r = route(target.path);
  const SimEndpoint endpoint = r.kind == Route::Kind::send    ? SimEndpoint::send
                               : r.kind == Route::Kind::token ? SimEndpoint::token
                               : r.kind == Route::Kind::none  ? SimEndpoint::any
                                                              : SimEndpoint::lookup;
  count_request(s, ProviderKind::x_api, endpoint);
  if (r.kind == Route::Kind::none) return finish(d, {}, d.error(404, "Not Found"));
  const bool post = r.kind == Route::Kind::send || r.kind == Route::Kind::token;
  if (request.method != (post ? "POST" : "GET")) return finish(d, {}, d.error(405, "Method Not Allowed"));
  if (r.kind == Route::Kind::token) return token(s, d, request);

  // Bearer user-context token: unknown, rotated away or past its lifetime -> 401, no rate headers.
  auto presented = bearer_token(request);
  AccountRuntime* account = presented ? s.account_by_access_token(*presented) : nullptr;
  if (!account || s.now() >= account->access_expires_at) return finish(d, {}, d.invalid_key());

  auto window = s.take_window("x_api\n" + account->config->name + "\n" + std::string(to_string(endpoint)),
                              s.scenario.x_api.rate_limit);
  ServerReply reply;
  if (!window.allowed) reply = finish(d, {}, d.rate_limited(window.info));
  else if (r.kind == Route::Kind::send) reply = send(s, d, request, *account, r.arg);
  else reply = lookup(s, d, target, r, *account);

  // Every answer but a 401 carries the window's headers. A window 429 brings its own, and a
  // rate_limited fault may leave them out on purpose; the daily-cap 429 gets them like any answer.
  auto& response = reply.response;
  const bool plain_429 = response.status == 429 && !find_header(response.headers, "x-user-limit-24hour-remaining");
  if (response.status != 401 && !plain_429 && !find_header(response.headers, "x-rate-limit-limit")) {
    set_header(response, "x-rate-limit-limit", std::to_string(window.info.limit));
    set_header(response, "x-rate-limit-remaining", std::to_string(window.info.remaining));
    set_header(response, "x-rate-limit-reset", std::to_string(unix_seconds_ceil(window.info.reset_at)));
  }
  return reply;
}

}  // namespace outreach::sim_detail
