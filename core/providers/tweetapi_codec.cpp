// tweetapi.com (docs/providers.md#tweetapi): X-API-Key header, camelCase fields, the X session as
// `authToken`, the proxy as "host:port@user:pass". Two error envelopes are in use:
//   A: {"error":{"code":"RATE_LIMIT","message":"...","details":{"retryAfter":60}}}
//   B: {"statusCode":429,"message":"...","code":"RATE_LIMITED"}
// and a 5xx on send-dm may have gone through (the official SDK never repeats it).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>

#include "core/providers/codec_support.hpp"

namespace outreach::codec {
namespace {

namespace json = boost::json;

/// What either error envelope said.
struct TweetapiError {
  bool present = false;
  std::optional<std::int64_t> status_code;  ///< envelope B's statusCode
  std::string code;                         ///< "RATE_LIMITED", "PROXY_ERROR", …
  std::string_view text;
  std::optional<std::int64_t> retry_after_s;  ///< details.retryAfter
  std::optional<std::int64_t> x_code;         ///< errorCode, when X's own code is passed on
};

TweetapiError read_error(json::object const& o) {
  TweetapiError e;
  if (auto const* err = object_member(o, "error")) {  // envelope A
    e.present = true;
    e.code = std::string(string_member(*err, "code"));
    e.text = first_string(*err, {"message", "detail"});
    if (auto const* details = object_member(*err, "details")) {
      e.retry_after_s = int_member(*details, "retryAfter");
      e.x_code = int_member(*details, "errorCode");
    }
    if (!e.x_code) e.x_code = int_member(*err, "errorCode");
    return e;
  }
  if (!string_member(o, "error").empty()) {  // a bare string error, tolerated
    e.present = true;
    e.text = string_member(o, "error");
    e.code = std::string(string_member(o, "code"));
    return e;
  }
  if (o.contains("statusCode") || !string_member(o, "code").empty()) {  // envelope B
    e.present = true;
    e.status_code = int_member(o, "statusCode");
    e.code = std::string(string_member(o, "code"));
    e.text = first_string(o, {"message", "detail"});
    e.retry_after_s = int_member(o, "retryAfter");
    e.x_code = int_member(o, "errorCode");
  }
  return e;
}

bool is_one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes)
    if (code == c) return true;
  return false;
}

enum class Call { send, lookup };

/// Sets r.signal (and message, provider_code, retry_after) for an error answer.
void classify_error(ProviderResult& r, TweetapiError const& e, json::object const* o, Redactor const& redactor,
                    HttpResponse const& response, Call call, RateHints const& hints) {
  int s = response.status;
  // An error envelope inside a 2xx: its statusCode is the real status.
  if (is_2xx(s) && e.status_code && *e.status_code >= 400 && *e.status_code <= 599) s = static_cast<int>(*e.status_code);
  r.provider_code = redactor.clean(e.code);
  r.message = o ? redactor.clean(e.text) : unreadable_body_text(redactor, response.status, response.body);
  if (o && r.message.empty() && !e.code.empty()) r.message = "tweetapi error " + r.provider_code;
  if (e.retry_after_s && *e.retry_after_s >= 0 && *e.retry_after_s <= 31LL * 24 * 3600 && !hints.retry_after)
    r.retry_after = std::chrono::seconds{*e.retry_after_s};
  const bool has_wait = hints.retry_after.has_value() || r.retry_after.has_value();
  auto x_side = [&] { return (e.x_code && apply_x_code(r, *e.x_code)) || apply_x_evidence(r, r.message); };

  const std::string_view code = e.code;
  if (is_one_of(code, {"RATE_LIMIT", "RATE_LIMITED", "TOO_MANY_REQUESTS"})) {
    r.signal = ProviderSignal::rate_limited;
  } else if (is_one_of(code, {"QUOTA_EXHAUSTED", "SUBSCRIPTION_INACTIVE", "INSUFFICIENT_CREDITS", "PAYMENT_REQUIRED"})) {
    r.signal = ProviderSignal::account_error;  // the plan is used up or expired: waiting does not help
  } else if (is_one_of(code, {"PROXY_ERROR", "PROXY_TIMEOUT"})) {
    r.signal = ProviderSignal::account_error;  // the account's proxy failed: fix or rotate it
  } else if (is_one_of(code, {"UNAUTHORIZED", "ACCOUNT_SUSPENDED", "ACCOUNT_LOCKED", "INVALID_AUTH_TOKEN"})) {
    r.signal = ProviderSignal::account_error;
  } else if (is_one_of(code, {"NOT_FOUND", "USER_NOT_FOUND"})) {
    r.signal = ProviderSignal::not_found;
  } else if (is_one_of(code, {"VALIDATION_ERROR", "BAD_REQUEST"})) {
    if (!x_side()) r.signal = ProviderSignal::invalid_request;
  } else if (s == 429) {
    r.signal = ProviderSignal::rate_limited;  // no code: older API versions, retry
  } else if (s == 401 || s == 402) {
    r.signal = ProviderSignal::account_error;
  } else if (s == 403) {
    if (!x_side()) r.signal = ProviderSignal::account_error;
  } else if (s == 404) {
    r.signal = ProviderSignal::not_found;
  } else if (s >= 400 && s < 500) {
    if (!x_side()) r.signal = ProviderSignal::invalid_request;
  } else if (s == 503 && has_wait) {
    r.signal = ProviderSignal::rate_limited;  // "503 with Retry-After": the request never reached X
  } else if (s >= 500 && s < 600) {
    // A write that failed server-side may still have reached X: never repeat it automatically.
    r.signal = call == Call::send ? ProviderSignal::possibly_delivered : ProviderSignal::transient;
  } else if (is_2xx(s)) {
    if (!x_side()) r.signal = ProviderSignal::transient;
  } else if (!o) {
    r.signal = ProviderSignal::malformed;
  }
}

std::optional<std::string> dm_id(json::object const& o) {
  if (auto const* message = object_member(o, "message"))
    if (auto id = id_member(*message, "id")) return id;
  if (auto const* data = object_member(o, "data")) {  // the SDK's ActionResponse shape
    if (auto id = id_member(*data, "id")) return id;
    if (auto const* message = object_member(*data, "message"))
      if (auto id = id_member(*message, "id")) return id;
  }
  return std::nullopt;
}

class TweetapiCodec final : public ProviderCodec {
 public:
  ProviderKind kind() const override { return ProviderKind::tweetapi; }

  Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                   DmMessage const& message) const override {
    if (auto missing = check_session(provider, account)) return *missing;
    if (!is_decimal_id(account.user_id))
      return make_error("tweetapi: the account needs its own decimal user_id to build the conversationId");
    if (!is_decimal_id(message.recipient_id))
      return make_error("tweetapi: sending needs the recipient's decimal user_id (look the username up first)");
    if (account.proxy.empty()) return make_error("tweetapi: the account has no proxy (required by tweetapi.com)");
    auto proxy = tweetapi_proxy_form(account.proxy.reveal());
    if (!proxy) return make_error("tweetapi: " + proxy.error().message);
    json::object body;
    body["authToken"] = account.auth_token.reveal();
    body["conversationId"] = one_to_one_conversation_id(account.user_id, message.recipient_id);
    body["text"] = message.text;
    body["proxy"] = *proxy;
    if (!message.request_id.empty()) body["requestId"] = message.request_id;
    HttpRequest request = base_request(provider, "POST", "/tw-v2/interaction/send-dm");
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
    const TweetapiError error = o ? read_error(*o) : TweetapiError{};
    if (is_2xx(response.status) && !error.present) {
      if (!o) {
        set_malformed(r, redactor, "tweetapi send response is not a JSON object", response.body);
      } else if (auto id = dm_id(*o)) {
        r.signal = ProviderSignal::success;
        r.message_id = std::move(*id);
        return r;
      } else {
        set_malformed(r, redactor, "tweetapi send response lacks message.id", response.body);
      }
    } else {
      classify_error(r, error, o, redactor, response, Call::send, hints);
    }
    finish(r, hints);
    return r;
  }

  Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::string_view username) const override {
    (void)account;
    if (provider.api_key.empty()) return make_error("tweetapi: the provider has no api_key");
    if (username.empty()) return make_error("tweetapi: the lookup names no username");
    return base_request(provider, "GET", "/tw-v2/user/by-username?username=" + url_encode(username));
  }

  UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                      AccountCredentials const& account, std::string_view username,
                                      TimePoint now) const override {
    (void)username;
    const Redactor redactor = redactor_for(provider, account);
    return parse_lookup(response, redactor, now, [&](UserLookup& lookup, json::object const& o) {
      auto const* user = object_member(o, "data");
      if (!user) {
        if (auto const* data = o.if_contains("data"); data && data->is_null()) {
          lookup.result.signal = ProviderSignal::not_found;
          lookup.result.message = "tweetapi returned no user (data is null)";
          return;
        }
        return set_malformed(lookup.result, redactor, "tweetapi user response lacks \"data\"", response.body);
      }
      auto id = id_member(*user, "id");
      if (!id) return set_malformed(lookup.result, redactor, "tweetapi user object lacks a decimal \"id\"", response.body);
      // The User object has no canDm: only dm-permissions answers that, from the sender's side.
      finish_lookup(lookup, std::move(*id), std::nullopt);
      lookup.needs_dm_check = true;
    });
  }

  Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string_view user_id) const override {
    if (auto missing = check_session(provider, account)) return *missing;
    if (!is_decimal_id(user_id)) return make_error("tweetapi: the user id is not a decimal id");
    std::string target = "/tw-v2/interaction/dm-permissions?authToken=" + url_encode(account.auth_token.reveal()) +
                         "&recipientIds=" + std::string(user_id);
    if (!account.proxy.empty()) {
      auto proxy = tweetapi_proxy_form(account.proxy.reveal());
      if (!proxy) return make_error("tweetapi: " + proxy.error().message);
      target += "&proxy=" + url_encode(*proxy);
    }
    return base_request(provider, "GET", std::move(target));
  }

  UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view user_id,
                                TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    return parse_lookup(response, redactor, now, [&](UserLookup& lookup, json::object const& o) {
      auto const* permissions = array_member(o, "permissions");
      if (!permissions)
        return set_malformed(lookup.result, redactor, "tweetapi dm-permissions response lacks \"permissions\"", response.body);
      bool any_readable = false;
      for (json::value const& v : *permissions) {
        auto const* entry = v.if_object();
        if (!entry) continue;
        auto id = id_member(*entry, "userId");
        if (!id) id = id_member(*entry, "id");
        if (!id) continue;
        any_readable = true;
        if (compare_decimal_ids(*id, user_id) != 0) continue;
        auto can_dm = bool_member(*entry, "canDm");
        if (!can_dm)
          return set_malformed(lookup.result, redactor, "tweetapi dm-permissions entry lacks a boolean \"canDm\"", response.body);
        if (!*can_dm) {
          // X's own reason (349 …) comes as errorCode; a known code decides the class.
          auto x_code = int_member(*entry, "errorCode");
          lookup.result.message = "the sending account cannot DM this user (dm-permissions canDm false" +
                                  (x_code ? ", errorCode " + std::to_string(*x_code) : std::string()) + ")";
          lookup.user_id = std::move(*id);
          lookup.can_dm = false;
          if (!x_code || !apply_x_code(lookup.result, *x_code)) lookup.result.signal = ProviderSignal::recipient_refused;
          return;
        }
        return finish_lookup(lookup, std::move(*id), true);
      }
      if (!permissions->empty() && !any_readable)
        return set_malformed(lookup.result, redactor, "tweetapi dm-permissions entries lack \"userId\"", response.body);
      lookup.result.signal = ProviderSignal::not_found;
      lookup.result.message = "tweetapi dm-permissions has no entry for user " + std::string(user_id);
    });
  }

 private:
  static std::optional<Error> check_session(ProviderCredentials const& provider, AccountCredentials const& account) {
    if (provider.api_key.empty()) return make_error("tweetapi: the provider has no api_key");
    if (account.auth_token.empty()) return make_error("tweetapi: the account has no auth_token (authToken)");
    return std::nullopt;
  }

  static HttpRequest base_request(ProviderCredentials const& provider, std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers.emplace_back("X-API-Key", std::string(provider.api_key.reveal()));
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  /// Header hints; a body retryAfter already set is kept when the header gave none.
  static void finish(ProviderResult& r, RateHints const& hints) {
    const auto body_wait = r.retry_after;
    apply_hints(r, hints);
    if (!r.retry_after) r.retry_after = body_wait;
  }

  template <class ReadSuccess>
  static UserLookup parse_lookup(HttpResponse const& response, Redactor const& redactor, TimePoint now,
                                 ReadSuccess read_success) {
    UserLookup lookup;
    ProviderResult& r = lookup.result;
    r = responded(response);
    const RateHints hints = read_rate_hints(response.headers, now);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    const TweetapiError error = o ? read_error(*o) : TweetapiError{};
    if (!is_2xx(response.status) || error.present) {
      classify_error(r, error, o, redactor, response, Call::lookup, hints);
    } else if (!o) {
      set_malformed(r, redactor, "tweetapi lookup response is not a JSON object", response.body);
    } else {
      read_success(lookup, *o);
    }
    if (r.signal != ProviderSignal::success) {
      const auto body_wait = r.retry_after;
      close_lookup(lookup, response.headers, now);
      if (!r.retry_after) r.retry_after = body_wait;
    }
    return lookup;
  }
};

}  // namespace

std::unique_ptr<ProviderCodec> make_tweetapi_codec() { return std::make_unique<TweetapiCodec>(); }

}  // namespace outreach::codec
