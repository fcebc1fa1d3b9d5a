// tweetapi.com as the simulator serves it (docs/providers.md#tweetapi): X-API-Key, camelCase
// fields, the X session as `authToken`, proxies as `host:port@user:pass`, and either of its two
// error envelopes.
#include <boost/json.hpp>
#include <cstdio>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach::sim_detail {
namespace {

std::string x_error(int code) { return std::string(x_code_text(code)) + " (" + std::to_string(code) + ")"; }

class TweetapiDialect final : public Dialect {
 public:
  explicit TweetapiDialect(SimErrorEnvelope envelope) : envelope_(envelope) {}

  /// Envelope A: {"error":{"code","message","details"}}; envelope B: {"statusCode","message","code",...details}.
  HttpResponse envelope(int status, std::string_view code, std::string_view message,
                        json::object details = {}) const {
    if (envelope_ == SimErrorEnvelope::a) {
      json::value d = details.empty() ? json::value(nullptr) : json::value(std::move(details));
      return json_response(status, json::object{{"error", json::object{{"code", code}, {"message", message}, {"details", d}}}});
    }
    json::object body{{"statusCode", status}, {"message", message}, {"code", code}};
    for (auto& kv : details) body[kv.key()] = kv.value();
    return json_response(status, body);
  }

  HttpResponse invalid_key() const override { return envelope(401, "UNAUTHORIZED", "Invalid or missing API key"); }
  HttpResponse quota(bool subscription_inactive) const override {
    if (subscription_inactive)
      return envelope(429, "SUBSCRIPTION_INACTIVE", "Your subscription is not active; renew it to continue");
    return envelope(429, "QUOTA_EXHAUSTED", "Your plan's request quota is used up");
  }
  HttpResponse rate_limited(RateInfo const& info) const override {
    return limited(info, "Rate limit exceeded, retry later");
  }
  HttpResponse daily_cap(RateInfo const& info) const override {
    auto with_headers = info;
    with_headers.headers = true;
    return limited(with_headers, "Rate limit exceeded (88): this account reached its daily DM limit");
  }
  HttpResponse error(int status, std::string const& message) const override {
    std::string_view code = status == 400   ? "VALIDATION_ERROR"
                            : status == 404 ? "NOT_FOUND"
                            : status == 405 ? "METHOD_NOT_ALLOWED"
                                            : "BAD_REQUEST";
    return envelope(status, code, message);
  }
  HttpResponse session_invalid() const override { return envelope(401, "UNAUTHORIZED", "Invalid or expired authToken"); }
  HttpResponse account_error(SimAccountState state) const override {
    switch (state) {
      case SimAccountState::locked:
        return envelope(403, "ACCOUNT_LOCKED", x_error(326), json::object{{"errorCode", 326}});
      case SimAccountState::suspended:
        return envelope(403, "ACCOUNT_SUSPENDED", x_error(64), json::object{{"errorCode", 64}});
      case SimAccountState::automated:
        return envelope(403, "AUTOMATED_REQUEST", x_error(226), json::object{{"errorCode", 226}});
      case SimAccountState::expired:
      case SimAccountState::ok: break;
    }
    return session_invalid();
  }
  HttpResponse server_error(int status) const override {
    return envelope(status, status == 503 ? "SERVICE_UNAVAILABLE" : "INTERNAL_SERVER_ERROR", "Internal server error");
  }
  HttpResponse proxy_error(int status) const override {
    if (status == 504) return envelope(504, "PROXY_TIMEOUT", "The proxy did not answer in time");
    return envelope(502, "PROXY_ERROR", "Could not connect through the proxy");
  }
  HttpResponse cannot_dm(int x_code) const override {
    return envelope(403, "DM_NOT_ALLOWED", x_error(x_code), json::object{{"errorCode", x_code}});
  }
  HttpResponse recipient_not_found(std::string const&) const override {
    return envelope(404, "NOT_FOUND", "User not found", json::object{{"errorCode", 50}});
  }
  HttpResponse text_too_long() const override {
    return envelope(400, "VALIDATION_ERROR", "text must be at most 10000 characters");
  }

 private:
  HttpResponse limited(RateInfo const& info, std::string_view message) const {
    const auto seconds = seconds_ceil(info.retry_after);
    // Envelope A carries the wait in details.retryAfter (the SDK reads it); B only in the header.
    json::object details;
    if (info.headers && envelope_ == SimErrorEnvelope::a) details["retryAfter"] = seconds;
    auto r = envelope(429, envelope_ == SimErrorEnvelope::a ? "RATE_LIMIT" : "RATE_LIMITED", message, std::move(details));
    if (info.headers) {
      set_header(r, "Retry-After", std::to_string(seconds));
      if (info.limit > 0) set_header(r, "X-RateLimit-Limit", std::to_string(info.limit));
      set_header(r, "X-RateLimit-Remaining", "0");
      set_header(r, "X-RateLimit-Reset", std::to_string(unix_seconds_ceil(info.reset_at)));
    }
    return r;
  }

  SimErrorEnvelope envelope_;
};

json::object user_json(UserView const& u) {
  return json::object{
      {"id", u.id},
      {"username", u.username},
      {"name", u.name},
      {"bio", ""},
      {"location", nullptr},
      {"website", nullptr},
      {"avatar", ""},
      {"banner", nullptr},
      {"verified", false},
      {"isBlueVerified", false},
      {"verifiedType", nullptr},
      {"isProtected", u.protected_account},
      {"followerCount", 0},
      {"followingCount", 0},
      {"tweetCount", 0},
      {"createdAt", "2020-12-01T00:00:00.000Z"},
  };
}

/// tweetapi wants `hostname:port@username:password`, not a URL.
bool tweetapi_proxy(std::string_view proxy) {
  if (proxy.find("://") != std::string_view::npos) return false;
  auto at = proxy.find('@');
  if (at == std::string_view::npos) return false;
  auto host = proxy.substr(0, at);
  auto creds = proxy.substr(at + 1);
  auto colon = host.rfind(':');
  return colon != std::string_view::npos && colon > 0 && colon + 1 < host.size() &&
         is_decimal_id(host.substr(colon + 1)) && creds.find(':') != std::string_view::npos;
}

std::vector<std::string> split_ids(std::string_view text, bool& ok) {
  std::vector<std::string> ids;
  ok = true;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto id = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (!is_decimal_id(id)) ok = false;
    ids.emplace_back(id);
  }
  return ids;
}

/// Session checks shared by send-dm and dm-permissions; nullptr + reply when refused.
AccountRuntime* session(SimState& s, TweetapiDialect const& d, std::string const& auth_token,
                        std::optional<HttpResponse>& refusal) {
  AccountRuntime* account = s.account_by_token(ProviderKind::tweetapi, auth_token);
  if (!account || account->state == SimAccountState::expired) {
    refusal = d.session_invalid();
    return nullptr;
  }
  return account;
}

ServerReply send(SimState& s, TweetapiDialect const& d, HttpRequest const& request) {
  auto body = parse_body_object(request.body);
  if (!body) return finish(d, {}, d.error(400, "Request body must be a JSON object"));
  for (std::string_view field : {"authToken", "conversationId", "text", "proxy"})
    if (!string_field(*body, field)) return finish(d, {}, d.error(400, std::string(field) + " is required"));
  auto auth_token = *string_field(*body, "authToken");
  auto conversation_id = *string_field(*body, "conversationId");
  auto text = *string_field(*body, "text");
  if (!tweetapi_proxy(*string_field(*body, "proxy")))
    return finish(d, {}, d.error(400, "proxy must be hostname:port@username:password"));
  auto dash = conversation_id.find('-');
  if (dash == std::string::npos || !is_decimal_id(conversation_id.substr(0, dash)) ||
      !is_decimal_id(conversation_id.substr(dash + 1)))
    return finish(d, {}, d.error(400, "conversationId must be \"<userId>-<userId>\" for a one-to-one conversation"));
  if (code_points(text) > kMaxTextCodePoints) return finish(d, {}, d.text_too_long());

  std::optional<HttpResponse> refusal;
  AccountRuntime* account = session(s, d, auth_token, refusal);
  if (!account) return finish(d, {}, std::move(*refusal));

  // X orders the two ids numerically, but either order is accepted; one of them must be the sender.
  const auto first = conversation_id.substr(0, dash);
  const auto second = conversation_id.substr(dash + 1);
  std::string recipient_id;
  if (first == account->config->user_id) recipient_id = second;
  else if (second == account->config->user_id) recipient_id = first;
  else
    return finish(d, {}, d.error(400, "conversationId must contain the authenticated account's user id"));

  auto user = s.user_by_user_id(recipient_id);
  RequestInfo info{ProviderKind::tweetapi, SimEndpoint::send, account, {}};
  add_recipient(info, recipient_id, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));

  auto outcome = try_send(s, ProviderKind::tweetapi, *account, user, text);
  if (outcome.kind != SendOutcome::Kind::delivered)
    return finish(d, plan, send_refusal(d, outcome, *account, recipient_id));
  auto const& m = *outcome.message;
  std::string request_id;
  if (auto given = string_field(*body, "requestId")) {
    request_id = *given;
  } else {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(m.seq));
    request_id = buf;
  }
  json::object message{{"id", m.message_id},       {"conversationId", conversation_id},
                       {"senderId", m.sender_id},   {"recipientId", m.recipient_id},
                       {"text", m.text},            {"createdAt", iso_time_ms(m.time)},
                       {"requestId", request_id},   {"editCount", 0}};
  json::array users{json::object{{"id", account->config->user_id},
                                 {"username", account->config->username},
                                 {"name", account->config->username},
                                 {"bio", ""},
                                 {"location", nullptr}}};
  return finish(d, plan, json_response(200, json::object{{"message", message}, {"users", users}}));
}

ServerReply dm_permissions(SimState& s, TweetapiDialect const& d, Target const& target) {
  for (std::string_view name : {"authToken", "recipientIds", "proxy"}) {
    auto v = param(target.query, name);
    if (!v || v->empty()) return finish(d, {}, d.error(400, std::string(name) + " is required"));
  }
  if (!tweetapi_proxy(*param(target.query, "proxy")))
    return finish(d, {}, d.error(400, "proxy must be hostname:port@username:password"));
  bool ok = true;
  auto ids = split_ids(*param(target.query, "recipientIds"), ok);
  if (!ok || ids.empty()) return finish(d, {}, d.error(400, "recipientIds must be comma-separated numeric ids"));
  if (ids.size() > 50) return finish(d, {}, d.error(400, "recipientIds accepts at most 50 ids"));

  std::optional<HttpResponse> refusal;
  AccountRuntime* account = session(s, d, *param(target.query, "authToken"), refusal);
  if (!account) return finish(d, {}, std::move(*refusal));

  RequestInfo info{ProviderKind::tweetapi, SimEndpoint::lookup, account, {}};
  std::vector<std::optional<UserView>> users;
  for (auto const& id : ids) {
    users.push_back(s.user_by_user_id(id));
    add_recipient(info, id, users.back());
  }
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (account->state != SimAccountState::ok) return finish(d, plan, d.account_error(account->state));

  json::array permissions;
  json::array found;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto const& u = users[i];
    json::object p{{"userId", ids[i]}};
    if (u && u->visible()) {
      p["canDm"] = u->can_dm;
      if (!u->can_dm) p["errorCode"] = u->refusal_code;
      found.push_back(json::object{
          {"id", u->id}, {"username", u->username}, {"name", u->name}, {"isProtected", u->protected_account}});
    } else {
      p["canDm"] = false;
      p["errorCode"] = 50;
    }
    permissions.push_back(std::move(p));
  }
  return finish(d, plan, json_response(200, json::object{{"permissions", permissions}, {"users", found}}));
}

ServerReply user_lookup(SimState& s, TweetapiDialect const& d, Target const& target, bool by_id) {
  auto const* name = by_id ? "userId" : "username";
  auto value = param(target.query, name);
  if (!value || value->empty()) return finish(d, {}, d.error(400, std::string(name) + " is required"));
  auto user = by_id ? s.user_by_user_id(*value) : s.user_by_username(*value);
  RequestInfo info{ProviderKind::tweetapi, SimEndpoint::lookup, nullptr, {}};
  add_recipient(info, *value, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (!user || !user->visible()) return finish(d, plan, d.envelope(404, "NOT_FOUND", "User not found"));
  return finish(d, plan, json_response(200, json::object{{"data", user_json(*user)}}));
}

}  // namespace

ServerReply handle_tweetapi(SimState& s, HttpRequest const& request, Target const& target) {
  const TweetapiDialect d(s.scenario.tweetapi.error_envelope);
  const bool is_send = target.path == "/tw-v2/interaction/send-dm";
  const bool is_permissions = target.path == "/tw-v2/interaction/dm-permissions";
  const bool is_by_username = target.path == "/tw-v2/user/by-username";
  const bool is_by_id = target.path == "/tw-v2/user/by-id";
  const bool known = is_send || is_permissions || is_by_username || is_by_id;
  count_request(s, ProviderKind::tweetapi,
                is_send ? SimEndpoint::send : known ? SimEndpoint::lookup : SimEndpoint::any);
  if (!known) return finish(d, {}, d.error(404, "Route not found"));
  if (request.method != (is_send ? "POST" : "GET")) return finish(d, {}, d.error(405, "Method not allowed"));
  if (auto refusal =
          s.check_api_key(ProviderKind::tweetapi, s.scenario.tweetapi, d, find_header(request.headers, "X-API-Key")))
    return finish(d, {}, std::move(*refusal));
  if (is_send) return send(s, d, request);
  if (is_permissions) return dm_permissions(s, d, target);
  return user_lookup(s, d, target, is_by_id);
}

}  // namespace outreach::sim_detail
