// Official X API v2 (docs/providers.md#x_api): a user-context OAuth 2.0 Bearer token; errors are
// RFC 7807 "problem" objects, top-level or inside errors[] (even on HTTP 200), with type URIs under
// both api.twitter.com and api.x.com; 429s are told apart by their headers and title.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/providers/codec_support.hpp"

namespace outreach::codec {
namespace {

namespace json = boost::json;

/// What an X error body said. `type` is the problem's path suffix ("usage-capped"), host-free.
struct Problem {
  bool present = false;
  std::string type;
  std::string_view title;
  std::string text;  ///< detail / message, joined over errors[]
  std::optional<std::int64_t> legacy_code;  ///< a v1.1-style numeric errors[].code
};

std::string problem_type(std::string_view uri) {
  constexpr std::string_view kMarker = "/problems/";
  const auto p = uri.find(kMarker);
  if (p == std::string_view::npos) return {};  // "about:blank": the status decides
  std::string_view suffix = uri.substr(p + kMarker.size());
  while (!suffix.empty() && suffix.back() == '/') suffix.remove_suffix(1);
  return std::string(suffix.substr(0, 64));
}

void add_text(std::string& out, std::string_view part) {
  if (part.empty() || out.find(part) != std::string::npos) return;
  if (!out.empty()) out += "; ";
  out += part;
}

Problem read_problem(json::object const& o) {
  Problem p;
  if (!string_member(o, "type").empty() || !string_member(o, "title").empty() || !string_member(o, "detail").empty()) {
    p.present = true;
    p.type = problem_type(string_member(o, "type"));
    p.title = string_member(o, "title");
    add_text(p.text, first_string(o, {"detail", "message"}));
  }
  if (auto const* errors = array_member(o, "errors")) {
    for (json::value const& v : *errors) {
      auto const* e = v.if_object();
      if (!e) continue;
      p.present = true;
      if (p.type.empty()) p.type = problem_type(string_member(*e, "type"));
      if (p.title.empty()) p.title = string_member(*e, "title");
      add_text(p.text, first_string(*e, {"detail", "message"}));
      if (!p.legacy_code) {
        if (auto code = int_member(*e, "code"); code && is_known_x_code(*code)) p.legacy_code = code;
      }
    }
  }
  if (p.text.empty()) add_text(p.text, p.title);
  return p;
}

/// Sets the signal for an X error answer (non-2xx, or a 2xx carrying only errors[]).
void classify_problem(ProviderResult& r, Problem const& p, bool readable, Redactor const& redactor,
                      HttpResponse const& response, RateHints const& hints) {
  const int s = response.status;
  r.provider_code = redactor.clean(p.type);
  r.message = readable ? redactor.clean(p.text) : unreadable_body_text(redactor, s, response.body);
  auto x_side = [&] { return (p.legacy_code && apply_x_code(r, *p.legacy_code)) || apply_x_evidence(r, r.message); };
  const std::string_view type = p.type;

  if (s == 401) {
    r.signal = ProviderSignal::auth_expired;  // the worker refreshes once, then stops the account
  } else if (s == 429) {
    if (hints.daily_exhausted)
      r.signal = ProviderSignal::daily_limit;  // the per-user 24 h cap: wait for its own reset
    else if (type == "usage-capped" || contains_ci(p.title, "UsageCapExceeded"))
      r.signal = ProviderSignal::account_error;  // monthly product cap: waiting minutes does not help
    else
      r.signal = ProviderSignal::rate_limited;  // the 15-minute window
  } else if (s == 402 || type == "credits-depleted") {
    r.signal = ProviderSignal::account_error;
  } else if (type == "resource-not-found" || s == 404) {
    r.signal = ProviderSignal::not_found;
  } else if (type == "not-authorized-for-resource" || type == "disallowed-resource") {
    // Resource-level refusal: on a DM this is the recipient's setting, unless X names the sender.
    if (!x_side()) r.signal = ProviderSignal::recipient_refused;
  } else if (type == "client-forbidden" || type == "unsupported-authentication" || type == "usage-capped") {
    r.signal = ProviderSignal::account_error;
  } else if (s == 403) {
    // Plain "Forbidden": missing dm scopes or a suspended app, unless the text says DMs are closed.
    if (!x_side()) r.signal = ProviderSignal::account_error;
  } else if (s >= 400 && s < 500) {
    if (!x_side()) r.signal = ProviderSignal::invalid_request;
  } else if (is_2xx(s)) {
    // 200 with only errors[]: a partial failure we do not recognise.
    if (!x_side()) r.signal = readable && p.present ? ProviderSignal::transient : ProviderSignal::malformed;
  } else if (!readable) {
    r.signal = ProviderSignal::malformed;  // the status decides
  } else if (s >= 500 && s < 600) {
    r.signal = ProviderSignal::none;  // 5xx: the status decides (retry)
  }
}

class XApiCodec final : public ProviderCodec {
 public:
  ProviderKind kind() const override { return ProviderKind::x_api; }

  Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                   DmMessage const& message) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (!is_decimal_id(message.recipient_id))
      return make_error("x_api: sending needs the recipient's decimal user_id (look the username up first)");
    json::object body;
    body["text"] = message.text;
    HttpRequest request = base_request(account, "POST", "/2/dm_conversations/with/" + message.recipient_id + "/messages");
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = serialize(body);
    return request;
  }

  ProviderResult parse_send(HttpResponse const& response, ProviderCredentials const& provider,
                            AccountCredentials const& account, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    const RateHints hints = read_rate_hints(response.headers, now);
    ProviderResult r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (is_2xx(response.status)) {
      auto const* data = o ? object_member(*o, "data") : nullptr;
      if (data) {
        if (auto id = id_member(*data, "dm_event_id")) {
          r.signal = ProviderSignal::success;
          r.message_id = std::move(*id);
          return r;
        }
        set_malformed(r, redactor, "X send response lacks data.dm_event_id", response.body);
      } else if (o && read_problem(*o).present) {
        classify_problem(r, read_problem(*o), true, redactor, response, hints);
      } else {
        set_malformed(r, redactor, o ? "X send response lacks \"data\"" : "X send response is not a JSON object",
                      response.body);
      }
    } else {
      classify_problem(r, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    }
    apply_hints(r, hints);
    return r;
  }

  Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::string_view username) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (username.empty()) return make_error("x_api: the lookup names no username");
    return base_request(account, "GET", "/2/users/by/username/" + url_encode(username) + "?user.fields=receives_your_dm");
  }

  UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                      AccountCredentials const& account, std::string_view username,
                                      TimePoint now) const override {
    (void)username;
    return parse_user(response, redactor_for(provider, account), now);
  }

  Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string_view user_id) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (!is_decimal_id(user_id)) return make_error("x_api: the user id is not a decimal id");
    return base_request(account, "GET", "/2/users/" + std::string(user_id) + "?user.fields=receives_your_dm");
  }

  UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view user_id,
                                TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    UserLookup lookup = parse_user(response, redactor, now);
    require_user(lookup, user_id, redactor, response.body);
    return lookup;
  }

 private:
  static HttpRequest base_request(AccountCredentials const& account, std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers.emplace_back("Authorization", "Bearer " + std::string(account.access_token.reveal()));
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  static UserLookup parse_user(HttpResponse const& response, Redactor const& redactor, TimePoint now) {
    UserLookup lookup;
    ProviderResult& r = lookup.result;
    r = responded(response);
    const RateHints hints = read_rate_hints(response.headers, now);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_problem(r, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    } else if (!o) {
      set_malformed(r, redactor, "X user response is not a JSON object", response.body);
    } else if (auto const* user = object_member(*o, "data")) {
      auto id = id_member(*user, "id");
      if (!id) {
        set_malformed(r, redactor, "X user object lacks a decimal \"id\"", response.body);
      } else if (auto const* flag = user->if_contains("receives_your_dm"); flag && !flag->is_bool() && !flag->is_null()) {
        set_malformed(r, redactor, "X user object's \"receives_your_dm\" is not a boolean", response.body);
      } else {
        // Absent without user-context auth: then the send decides.
        finish_lookup(lookup, std::move(*id), bool_member(*user, "receives_your_dm"));
        if (lookup.can_dm == false) r.message = "the user does not accept DMs from this account (receives_your_dm false)";
      }
    } else if (read_problem(*o).present) {
      // A missing user is HTTP 200 with errors[] and no data.
      classify_problem(r, read_problem(*o), true, redactor, response, hints);
    } else {
      set_malformed(r, redactor, "X user response has neither \"data\" nor \"errors\"", response.body);
    }
    close_lookup(lookup, response.headers, now);
    return lookup;
  }
};

}  // namespace

std::unique_ptr<ProviderCodec> make_x_api_codec() { return std::make_unique<XApiCodec>(); }

}  // namespace outreach::codec
