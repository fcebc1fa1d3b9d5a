// The official X API v2 as the simulator serves it (docs/providers.md#x_api): OAuth 2.0 bearer
// access tokens with rotating single-use refresh tokens, RFC 7807 problems, 200 + errors[] for a
// missing user, x-rate-limit-* on every answer but a 401, x-user-limit-24hour-* on DM sends.
// GET /2/dm_events and GET /2/users/me serve the account's inbox (docs/simulator.md#inboxes).
#include <algorithm>
#include <boost/json.hpp>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach::sim_detail {
namespace {

/// The scope string the token endpoint reports: the account's scopes, space-separated.
std::string scope_string(SimAccount const& account) {
  std::string out;
  for (auto const& scope : account.scopes) out += (out.empty() ? "" : " ") + scope;
  return out;
}

bool has_scope(SimAccount const& account, std::string_view scope) {
  return std::find(account.scopes.begin(), account.scopes.end(), scope) != account.scopes.end();
}

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

/// A comma-separated query list, each name checked by `known`; the first unknown one is returned.
std::optional<std::string> split_fields(std::string_view list, bool (*known)(std::string_view),
                                        std::vector<std::string>& out) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto f = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (!known(f)) return std::string(f);
    out.emplace_back(f);
  }
  return std::nullopt;
}

/// The user.fields list of a lookup, or the 400 naming the first unknown field.
std::optional<HttpResponse> read_user_fields(XApiDialect const& d, Target const& target, std::vector<std::string>& fields) {
  auto list = param(target.query, "user.fields");
  if (!list) return std::nullopt;
  if (auto bad = split_fields(*list, known_user_field, fields))
    return d.invalid_request("user.fields", *bad,
                             "The `user.fields` query parameter value [" + *bad + "] is not one of the allowed user fields");
  return std::nullopt;
}

struct Route {
  enum class Kind { none, send, by_username, by_id, me, token, inbox } kind = Kind::none;
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
  else if (p.size() == 3 && p[0] == "2" && p[1] == "users" && p[2] == "me")
    r = {Route::Kind::me, {}};
  else if (p.size() == 3 && p[0] == "2" && p[1] == "oauth2" && p[2] == "token")
    r = {Route::Kind::token, {}};
  else if (p.size() == 2 && p[0] == "2" && p[1] == "dm_events")
    r = {Route::Kind::inbox, {}};
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
                    {"scope", scope_string(*account->config)},
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
  if (auto bad = read_user_fields(d, target, fields)) return finish(d, {}, std::move(*bad));
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

bool known_dm_event_field(std::string_view f) {
  for (std::string_view k : {"attachments", "created_at", "dm_conversation_id", "entities", "event_type", "id",
                             "participant_ids", "referenced_tweets", "sender_id", "text"})
    if (k == f) return true;
  return false;
}

bool known_event_type(std::string_view f) {
  return f == "MessageCreate" || f == "ParticipantsJoin" || f == "ParticipantsLeave";
}

bool known_dm_expansion(std::string_view f) {
  return f == "attachments.media_keys" || f == "referenced_tweets.id" || f == "sender_id" || f == "participant_ids";
}

/// GET /2/users/me: the token's own user.
ServerReply me(SimState& s, XApiDialect const& d, Target const& target, AccountRuntime& account) {
  std::vector<std::string> fields;
  if (auto bad = read_user_fields(d, target, fields)) return finish(d, {}, std::move(*bad));
  RequestInfo info{ProviderKind::x_api, SimEndpoint::inbox, &account, {}};
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  UserView self;
  self.username = account.config->username;
  self.id = account.config->user_id;
  self.name = account.config->username;
  return finish(d, plan, json_response(200, json::object{{"data", user_json(self, fields)}}));
}

/// GET /2/dm_events: the account's MessageCreate events, newest first, paged by next_token.
ServerReply dm_events(SimState& s, XApiDialect const& d, Target const& target, AccountRuntime& account) {
  std::size_t max_results = 100;
  if (auto v = param(target.query, "max_results")) {
    const bool ok = is_decimal_id(*v) && v->size() <= 3 && std::stoul(*v) >= 1 && std::stoul(*v) <= 100;
    if (!ok)
      return finish(d, {}, d.invalid_request("max_results", *v,
                                             "The `max_results` query parameter value [" + *v +
                                                 "] is not between 1 and 100"));
    max_results = std::stoul(*v);
  }
  std::uint64_t before = 0;
  if (auto token = param(target.query, "pagination_token")) {
    auto parsed = parse_inbox_cursor(*token);
    if (!parsed)
      return finish(d, {}, d.invalid_request("pagination_token", *token,
                                             "The `pagination_token` query parameter value [" + *token +
                                                 "] is not valid"));
    before = *parsed;
  }
  bool message_create = true;  // X's default: every event type
  if (auto list = param(target.query, "event_types")) {
    std::vector<std::string> types;
    if (auto bad = split_fields(*list, known_event_type, types))
      return finish(d, {}, d.invalid_request("event_types", *bad,
                                             "The `event_types` query parameter value [" + *bad +
                                                 "] is not one of [MessageCreate, ParticipantsJoin, ParticipantsLeave]"));
    message_create = std::find(types.begin(), types.end(), "MessageCreate") != types.end();
  }
  std::vector<std::string> fields;
  if (auto list = param(target.query, "dm_event.fields")) {
    if (auto bad = split_fields(*list, known_dm_event_field, fields))
      return finish(d, {}, d.invalid_request("dm_event.fields", *bad,
                                             "The `dm_event.fields` query parameter value [" + *bad +
                                                 "] is not one of the allowed dm_event fields"));
  }
  if (auto list = param(target.query, "expansions")) {
    std::vector<std::string> expansions;  // accepted; the simulator adds no `includes`
    if (auto bad = split_fields(*list, known_dm_expansion, expansions))
      return finish(d, {}, d.invalid_request("expansions", *bad,
                                             "The `expansions` query parameter value [" + *bad +
                                                 "] is not one of the allowed expansions"));
  }
  auto wants = [&](std::string_view f) { return std::find(fields.begin(), fields.end(), f) != fields.end(); };

  RequestInfo info{ProviderKind::x_api, SimEndpoint::inbox, &account, {}};
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (auto refusal = inbox_refusal(d, account)) return finish(d, plan, std::move(*refusal));

  InboxPage page;
  if (message_create) page = s.inbox_page(account, before, max_results);
  auto const& self = account.config->user_id;
  json::array data;
  for (auto const* m : page.messages) {
    // X's default fields are id, event_type and text; the others only when dm_event.fields asks.
    const std::string& sender = m->incoming ? m->user_id : self;
    const std::string& recipient = m->incoming ? self : m->user_id;
    json::object e{{"id", message_id_for(m->id)}, {"event_type", "MessageCreate"}, {"text", m->text}};
    if (wants("sender_id")) e["sender_id"] = sender;
    if (wants("created_at")) e["created_at"] = iso_time_ms(m->time);
    if (wants("dm_conversation_id")) e["dm_conversation_id"] = conversation_id(sender, recipient);
    if (wants("participant_ids")) e["participant_ids"] = json::array{json::value(sender), json::value(recipient)};
    data.push_back(std::move(e));
  }
  json::object meta{{"result_count", data.size()}};
  if (page.has_more) meta["next_token"] = inbox_cursor(page.next_before);
  json::object out;
  if (!data.empty()) out["data"] = std::move(data);
  out["meta"] = std::move(meta);
  return finish(d, plan, json_response(200, out));
}

}  // namespace

ServerReply handle_x_api(SimState& s, HttpRequest const& request, Target const& target) {
  const XApiDialect d(s.scenario.x_api);
  const Route r = route(target.path);
  const SimEndpoint endpoint = r.kind == Route::Kind::send    ? SimEndpoint::send
                               : r.kind == Route::Kind::token ? SimEndpoint::token
                               : r.kind == Route::Kind::inbox || r.kind == Route::Kind::me ? SimEndpoint::inbox
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
  // The scope each endpoint needs; a token without it gets X's plain 403.
  const std::string_view scope = r.kind == Route::Kind::send    ? "dm.write"
                                 : r.kind == Route::Kind::inbox ? "dm.read"
                                                                : "users.read";
  ServerReply reply;
  if (!window.allowed) reply = finish(d, {}, d.rate_limited(window.info));
  else if (!has_scope(*account->config, scope)) reply = finish(d, {}, XApiDialect::blank(403, "Forbidden", "Forbidden"));
  else if (r.kind == Route::Kind::send) reply = send(s, d, request, *account, r.arg);
  else if (r.kind == Route::Kind::inbox) reply = dm_events(s, d, target, *account);
  else if (r.kind == Route::Kind::me) reply = me(s, d, target, *account);
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
