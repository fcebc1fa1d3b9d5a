// twitterapi.io as the simulator serves it (docs/providers.md#twitterapi_io): X-API-Key,
// `login_cookies` + `proxy` in the body, and failures of the X side inside HTTP 200 with
// `"status":"error"`.
#include <boost/json.hpp>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach::sim_detail {
namespace {

json::object status_error(std::string_view message) { return json::object{{"status", "error"}, {"msg", message}}; }

std::string x_error(int code) { return std::string(x_code_text(code)) + " (" + std::to_string(code) + ")"; }

class TwitterapiIoDialect final : public Dialect {
 public:
  explicit TwitterapiIoDialect(SimBadRequestShape shape) : shape_(shape) {}

  HttpResponse invalid_key() const override {
    return json_response(401, status_error("Unauthorized: invalid or missing API key"));
  }
  HttpResponse quota(bool) const override {
    return json_response(402, status_error("Insufficient credits, please recharge your account"));
  }
  HttpResponse rate_limited(RateInfo const& info) const override {
    auto r = json_response(429, status_error("Too many requests: QPS limit exceeded for this API key"));
    if (info.headers) set_header(r, "Retry-After", std::to_string(seconds_ceil(info.retry_after)));
    return r;
  }
  HttpResponse daily_cap(RateInfo const& info) const override {
    auto r = json_response(429, status_error("Rate limit exceeded (88): this account reached its daily DM limit"));
    set_header(r, "Retry-After", std::to_string(seconds_ceil(info.retry_after)));
    return r;
  }
  HttpResponse error(int status, std::string const& message) const override {
    // Live 400s name the field in {"detail"}; the OpenAPI document says {error:int, message}.
    if (status == 400 && shape_ == SimBadRequestShape::error_message)
      return json_response(status, json::object{{"error", status}, {"message", message}});
    return json_response(status, json::object{{"detail", message}});
  }
  HttpResponse session_invalid() const override {
    return json_response(
        200, status_error("Authentication error: login_cookies are invalid or expired, please login again (89)"));
  }
  HttpResponse account_error(SimAccountState state) const override {
    if (state == SimAccountState::expired) return session_invalid();
    return json_response(200, status_error(x_error(x_code_for(state))));
  }
  HttpResponse server_error(int status) const override {
    return json_response(status, json::object{{"message", "Internal Server Error"}});
  }
  HttpResponse proxy_error(int status) const override {
    return json_response(200, status_error(status == 504 ? "Proxy error: the proxy timed out"
                                                          : "Proxy error: could not connect through the proxy"));
  }
  HttpResponse cannot_dm(int x_code) const override { return json_response(200, status_error(x_error(x_code))); }
  HttpResponse recipient_not_found(std::string const&) const override {
    return json_response(200, status_error("User not found (50)"));
  }
  HttpResponse text_too_long() const override { return json_response(200, status_error(x_error(354))); }

 private:
  SimBadRequestShape shape_;
};

json::object user_json(UserView const& u) {
  return json::object{
      {"type", "user"},
      {"userName", u.username},
      {"url", "https://x.com/" + u.username},
      {"id", u.id},
      {"name", u.name},
      {"isBlueVerified", false},
      {"verifiedType", nullptr},
      {"profilePicture", ""},
      {"coverPicture", ""},
      {"description", ""},
      {"location", ""},
      {"followers", 0},
      {"following", 0},
      {"canDm", u.can_dm},
      {"createdAt", "Tue Dec 01 00:00:00 +0000 2020"},
      {"favouritesCount", 0},
      {"hasCustomTimelines", false},
      {"isTranslator", false},
      {"mediaCount", 0},
      {"statusesCount", 0},
      {"withheldInCountries", json::array{}},
      {"affiliatesHighlightedLabel", json::object{}},
      {"possiblySensitive", false},
      {"pinnedTweetIds", json::array{}},
      {"isAutomated", false},
      {"automatedBy", nullptr},
      {"unavailable", false},
      {"message", ""},
      {"unavailableReason", ""},
      {"protected", u.protected_account},
  };
}

bool url_proxy(std::string_view proxy) {
  for (std::string_view scheme : {"http://", "https://", "socks5://", "socks4://"})
    if (proxy.starts_with(scheme) && proxy.size() > scheme.size()) return true;
  return false;
}

ServerReply send(SimState& s, TwitterapiIoDialect const& d, HttpRequest const& request) {
  auto body = parse_body_object(request.body);
  if (!body) return finish(d, {}, d.error(400, "Request body must be a JSON object"));
  for (std::string_view field : {"login_cookies", "user_id", "text", "proxy"})
    if (!string_field(*body, field)) return finish(d, {}, d.error(400, "Field required: " + std::string(field)));
  auto cookies = *string_field(*body, "login_cookies");
  auto user_id = *string_field(*body, "user_id");
  auto text = *string_field(*body, "text");
  if (!is_decimal_id(user_id)) return finish(d, {}, d.error(400, "user_id must be a numeric user id string"));
  if (!url_proxy(*string_field(*body, "proxy")))
    return finish(d, {}, d.error(400, "proxy must be a URL such as http://user:pass@host:port"));

  AccountRuntime* account = s.account_by_token(ProviderKind::twitterapi_io, cookies);
  if (!account || account->state == SimAccountState::expired) return finish(d, {}, d.session_invalid());

  auto user = s.user_by_user_id(user_id);
  RequestInfo info{ProviderKind::twitterapi_io, SimEndpoint::send, account, {}};
  add_recipient(info, user_id, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));

  auto outcome = try_send(s, ProviderKind::twitterapi_io, *account, user, text);
  if (outcome.kind != SendOutcome::Kind::delivered) return finish(d, plan, send_refusal(d, outcome, *account, user_id));
  return finish(d, plan,
                json_response(200, json::object{{"message_id", outcome.message->message_id},
                                                {"status", "success"},
                                                {"msg", "success"}}));
}

ServerReply user_info(SimState& s, TwitterapiIoDialect const& d, Target const& target) {
  auto name = param(target.query, "userName");
  if (!name || name->empty()) return finish(d, {}, d.error(400, "Field required: userName"));
  auto user = s.user_by_username(*name);
  RequestInfo info{ProviderKind::twitterapi_io, SimEndpoint::lookup, nullptr, {}};
  add_recipient(info, *name, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (!user || !user->visible()) {
    auto body = status_error("User not found");
    body["data"] = nullptr;
    return finish(d, plan, json_response(200, body));
  }
  return finish(d, plan,
                json_response(200, json::object{{"data", user_json(*user)}, {"status", "success"}, {"msg", ""}}));
}

ServerReply batch_info(SimState& s, TwitterapiIoDialect const& d, Target const& target) {
  auto ids_text = param(target.query, "userIds");
  if (!ids_text || ids_text->empty()) return finish(d, {}, d.error(400, "Field required: userIds"));
  std::vector<std::string> ids;
  std::string_view rest = *ids_text;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto id = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (!is_decimal_id(id)) return finish(d, {}, d.error(400, "userIds must be comma-separated numeric ids"));
    ids.emplace_back(id);
  }
  if (ids.size() > 100) return finish(d, {}, d.error(400, "userIds accepts at most 100 ids"));
  RequestInfo info{ProviderKind::twitterapi_io, SimEndpoint::lookup, nullptr, {}};
  std::vector<std::optional<UserView>> users;
  for (auto const& id : ids) {
    users.push_back(s.user_by_user_id(id));
    add_recipient(info, id, users.back());
  }
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  json::array found;
  for (auto const& u : users)
    if (u && u->visible()) found.push_back(user_json(*u));
  return finish(d, plan, json_response(200, json::object{{"users", found}, {"status", "success"}, {"msg", ""}}));
}

}  // namespace

ServerReply handle_twitterapi_io(SimState& s, HttpRequest const& request, Target const& target) {
  const TwitterapiIoDialect d(s.scenario.twitterapi_io.bad_request_shape);
  const bool is_send = target.path == "/twitter/send_dm_to_user";
  const bool is_info = target.path == "/twitter/user/info";
  const bool is_batch = target.path == "/twitter/user/batch_info_by_ids";
  count_request(s, ProviderKind::twitterapi_io,
                is_send ? SimEndpoint::send : (is_info || is_batch) ? SimEndpoint::lookup : SimEndpoint::any);
  if (!is_send && !is_info && !is_batch) return finish(d, {}, d.error(404, "Not Found"));
  if (request.method != (is_send ? "POST" : "GET")) return finish(d, {}, d.error(405, "Method Not Allowed"));
  if (auto refusal =
          s.check_api_key(ProviderKind::twitterapi_io, s.scenario.twitterapi_io, d, find_header(request.headers, "X-API-Key")))
    return finish(d, {}, std::move(*refusal));
  if (is_send) return send(s, d, request);
  if (is_info) return user_info(s, d, target);
  return batch_info(s, d, target);
}

}  // namespace outreach::sim_detail
