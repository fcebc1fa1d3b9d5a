// GetXAPI as the simulator serves it (docs/providers.md#getxapi): Bearer API key, the X session as
// `auth_token` in the body, `{"error": "..."}` for every failure, 502 when X refuses the action.
// POST /twitter/dm/list serves the account's inbox (docs/simulator.md#inboxes).
#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach::sim_detail {
namespace {

json::object err(std::string_view message) { return json::object{{"error", message}}; }

std::string x_refusal(int code) {
  return "X rejected the request: " + std::string(x_code_text(code)) + " (" + std::to_string(code) + ")";
}

class GetxapiDialect final : public Dialect {
 public:
  HttpResponse invalid_key() const override { return json_response(401, err("Invalid API key")); }
  HttpResponse quota(bool) const override {
    return json_response(402, err("Insufficient credits: top up your GetXAPI balance to continue"));
  }
  HttpResponse rate_limited(RateInfo const& info) const override {
    auto r = json_response(429, err("Rate limit exceeded, please wait a minute and retry"));
    if (info.headers) set_header(r, "Retry-After", std::to_string(seconds_ceil(info.retry_after)));
    return r;
  }
  HttpResponse daily_cap(RateInfo const& info) const override {
    auto r = json_response(429, err("X rate limit: this account reached its daily DM limit (88)"));
    set_header(r, "Retry-After", std::to_string(seconds_ceil(info.retry_after)));
    return r;
  }
  HttpResponse error(int status, std::string const& message) const override { return json_response(status, err(message)); }
  HttpResponse session_invalid() const override {
    return json_response(401, err("Invalid auth_token - could not extract userId"));
  }
  HttpResponse account_error(SimAccountState state) const override {
    if (state == SimAccountState::expired) return session_invalid();
    return json_response(502, err(x_refusal(x_code_for(state))));
  }
  HttpResponse server_error(int status) const override { return json_response(status, err("Internal server error")); }
  HttpResponse proxy_error(int status) const override {
    return json_response(status, err(status == 504 ? "Proxy timeout: the proxy did not answer in time"
                                                    : "Proxy error: could not connect through the proxy"));
  }
  HttpResponse cannot_dm(int x_code) const override { return json_response(502, err(x_refusal(x_code))); }
  HttpResponse recipient_not_found(std::string const&) const override { return json_response(404, err("User not found")); }
  HttpResponse text_too_long() const override { return json_response(502, err(x_refusal(354))); }
};

json::object user_json(UserView const& u) {
  return json::object{
      {"id", u.id},
      {"name", u.name},
      {"userName", u.username},
      {"location", ""},
      {"description", ""},
      {"protected", u.protected_account},
      {"isVerified", false},
      {"isBlueVerified", false},
      {"followers", 0},
      {"following", 0},
      {"favouritesCount", 0},
      {"statusesCount", 0},
      {"mediaCount", 0},
      {"createdAt", "Tue Dec 01 00:00:00 +0000 2020"},
      {"profilePicture", ""},
      {"coverPicture", ""},
      {"canDm", u.can_dm},
      {"pinnedTweetIds", json::array{}},
  };
}

std::string strip_at(std::string s) {
  if (!s.empty() && s.front() == '@') s.erase(0, 1);
  return s;
}

ServerReply send(SimState& s, GetxapiDialect const& d, HttpRequest const& request) {
  auto body = parse_body_object(request.body);
  if (!body) return finish(d, {}, d.error(400, "Invalid JSON body"));
  auto token = string_field(*body, "auth_token");
  if (!token) return finish(d, {}, d.error(400, "Missing required field: auth_token"));
  auto recipient_id = string_field(*body, "recipient_id");
  auto recipient_username = string_field(*body, "recipient_username");
  if (!recipient_id && !recipient_username)
    return finish(d, {}, d.error(400, "Missing required field: recipient_id or recipient_username"));
  auto text = string_field(*body, "text");
  if (!text) return finish(d, {}, d.error(400, "Missing required field: text"));
  if (recipient_id && !is_decimal_id(*recipient_id))
    return finish(d, {}, d.error(400, "recipient_id must be a numeric user id"));

  AccountRuntime* account = s.account_by_token(ProviderKind::getxapi, *token);
  if (!account || account->state == SimAccountState::expired) return finish(d, {}, d.session_invalid());

  const std::string raw = recipient_id ? *recipient_id : strip_at(*recipient_username);
  auto user = recipient_id ? s.user_by_user_id(raw) : s.user_by_username(raw);
  RequestInfo info{ProviderKind::getxapi, SimEndpoint::send, account, {}};
  add_recipient(info, raw, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));

  auto outcome = try_send(s, ProviderKind::getxapi, *account, user, *text);
  if (outcome.kind != SendOutcome::Kind::delivered) return finish(d, plan, send_refusal(d, outcome, *account, raw));
  auto const& m = *outcome.message;
  json::object data{{"id", m.message_id},
                    {"createdAt", iso_time_ms(m.time)},
                    {"senderId", m.sender_id},
                    {"recipientId", m.recipient_id},
                    {"text", m.text},
                    {"recipient_username", m.recipient_username}};
  return finish(d, plan,
                json_response(200, json::object{{"status", "success"}, {"msg", "DM sent successfully"}, {"data", data}}));
}

ServerReply lookup(SimState& s, GetxapiDialect const& d, Target const& target, bool by_id) {
  auto const* name = by_id ? "userId" : "userName";
  auto value = param(target.query, name);
  if (!value || value->empty()) return finish(d, {}, d.error(400, std::string("Missing required parameter: ") + name));
  auto user = by_id ? s.user_by_user_id(*value) : s.user_by_username(strip_at(*value));
  RequestInfo info{ProviderKind::getxapi, SimEndpoint::lookup, nullptr, {}};
  add_recipient(info, *value, user);
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (!user || !user->visible()) return finish(d, plan, d.recipient_not_found(*value));
  return finish(d, plan,
                json_response(200, json::object{{"status", "success"}, {"msg", ""}, {"data", user_json(*user)}}));
}

constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 100;

/// `count`: a whole number (a string of digits is read too); below 1 refused, above 100 capped.
std::optional<std::size_t> page_size(json::value const& v) {
  std::uint64_t n = 0;
  if (v.is_uint64()) {
    n = v.as_uint64();
  } else if (v.is_int64()) {
    if (v.as_int64() < 1) return std::nullopt;
    n = static_cast<std::uint64_t>(v.as_int64());
  } else if (v.is_string() && is_decimal_id(v.as_string())) {
    for (char c : v.as_string()) n = std::min<std::uint64_t>(n * 10 + static_cast<std::uint64_t>(c - '0'), kMaxPageSize + 1);
  } else {
    return std::nullopt;
  }
  if (n < 1) return std::nullopt;
  return static_cast<std::size_t>(std::min<std::uint64_t>(n, kMaxPageSize));
}

/// POST /twitter/dm/list {auth_token, cursor?, count?}: the account's DMs, newest first.
ServerReply dm_list(SimState& s, GetxapiDialect const& d, HttpRequest const& request) {
  auto body = parse_body_object(request.body);
  if (!body) return finish(d, {}, d.error(400, "Invalid JSON body"));
  auto token = string_field(*body, "auth_token");
  if (!token) return finish(d, {}, d.error(400, "Missing required field: auth_token"));
  std::uint64_t before = 0;
  if (auto it = body->find("cursor"); it != body->end() && !it->value().is_null()) {
    if (!it->value().is_string()) return finish(d, {}, d.error(400, "cursor must be a string"));
    std::string_view cursor = it->value().as_string();
    if (!cursor.empty()) {
      auto parsed = parse_inbox_cursor(cursor);
      if (!parsed) return finish(d, {}, d.error(400, "Invalid cursor"));
      before = *parsed;
    }
  }
  std::size_t count = kDefaultPageSize;
  if (auto it = body->find("count"); it != body->end() && !it->value().is_null()) {
    auto size = page_size(it->value());
    if (!size) return finish(d, {}, d.error(400, "count must be a positive integer"));
    count = *size;
  }

  AccountRuntime* account = s.account_by_token(ProviderKind::getxapi, *token);
  if (!account || account->state == SimAccountState::expired) return finish(d, {}, d.session_invalid());

  RequestInfo info{ProviderKind::getxapi, SimEndpoint::inbox, account, {}};
  auto plan = s.plan_faults(info);
  if (plan.before_processing()) return finish(d, plan, render_fault(d, *plan.fault, s.now()));
  if (auto refusal = inbox_refusal(d, *account)) return finish(d, plan, std::move(*refusal));

  auto page = s.inbox_page(*account, before, count);
  auto const& self = account->config->user_id;
  json::array messages;
  for (auto const* m : page.messages) {
    messages.push_back(json::object{{"id", message_id_for(m->id)},
                                    {"createdAt", iso_time_ms(m->time)},
                                    {"senderId", m->incoming ? m->user_id : self},
                                    {"recipientId", m->incoming ? self : m->user_id},
                                    {"text", m->text},
                                    {"media", nullptr}});
  }
  const std::size_t message_count = messages.size();
  json::object out{{"userId", self},
                   {"message_count", message_count},
                   {"has_more", page.has_more},
                   {"next_cursor", page.has_more ? json::value(inbox_cursor(page.next_before)) : json::value(nullptr)},
                   {"messages", std::move(messages)}};
  return finish(d, plan, json_response(200, out));
}

}  // namespace

ServerReply handle_getxapi(SimState& s, HttpRequest const& request, Target const& target) {
  const GetxapiDialect d;
  const bool is_send = target.path == "/twitter/dm/send";
  const bool is_info = target.path == "/twitter/user/info";
  const bool is_info_by_id = target.path == "/twitter/user/info_by_id";
  const bool is_list = target.path == "/twitter/dm/list";
  count_request(s, ProviderKind::getxapi,
                is_send                      ? SimEndpoint::send
                : is_list                    ? SimEndpoint::inbox
                : (is_info || is_info_by_id) ? SimEndpoint::lookup
                                             : SimEndpoint::any);
  if (!is_send && !is_list && !is_info && !is_info_by_id) return finish(d, {}, d.error(404, "Not found"));
  if (request.method != (is_send || is_list ? "POST" : "GET")) return finish(d, {}, d.error(405, "Method not allowed"));
  if (auto refusal = s.check_api_key(ProviderKind::getxapi, s.scenario.getxapi, d, bearer_token(request)))
    return finish(d, {}, std::move(*refusal));
  if (is_send) return send(s, d, request);
  if (is_list) return dm_list(s, d, request);
  return lookup(s, d, target, is_info_by_id);
}

}  // namespace outreach::sim_detail
