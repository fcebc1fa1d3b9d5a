// twitterapi.io (docs/providers.md#twitterapi_io): X-API-Key header; the X session
// (`login_cookies`) and a proxy in every write body. Failures often come back as HTTP 200 with
// {"status":"error","msg":...}, so `status` is always checked; 400s carry `detail` or `message`.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>

#include "core/providers/codec_support.hpp"

namespace outreach::codec {
namespace {

namespace json = boost::json;

std::string_view error_text(json::object const& o) { return first_string(o, {"detail", "message", "msg", "error"}); }

/// A DM id as returned in `message_id`: decimal, or at worst a short opaque token that carries
/// no secret (it is stored and shown like any other text).
std::string message_id_of(json::object const& o, Redactor const& redactor) {
  if (auto id = id_member(o, "message_id")) return *id;
  const std::string_view raw = string_member(o, "message_id");
  const bool token = !raw.empty() && raw.size() <= 64 && std::all_of(raw.begin(), raw.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == ':';
  });
  if (!token || redactor.scrub(raw) != raw) return {};
  return std::string(raw);
}

class TwitterapiIoCodec final : public ProviderCodec {
 public:
  ProviderKind kind() const override { return ProviderKind::twitterapi_io; }

  Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                   DmMessage const& message) const override {
    if (provider.api_key.empty()) return make_error("twitterapi_io: the provider has no api_key");
    if (account.auth_token.empty()) return make_error("twitterapi_io: the account has no auth_token (login_cookies)");
    if (!is_decimal_id(message.recipient_id))
      return make_error("twitterapi_io: sending needs the recipient's decimal user_id (look the username up first)");
    if (account.proxy.empty()) return make_error("twitterapi_io: the account has no proxy (required by twitterapi.io)");
    auto proxy = proxy_url_form(account.proxy.reveal());
    if (!proxy) return make_error("twitterapi_io: " + proxy.error().message);
    json::object body;
    body["login_cookies"] = account.auth_token.reveal();
    body["user_id"] = message.recipient_id;
    body["text"] = message.text;
    body["proxy"] = *proxy;
    HttpRequest request = base_request(provider, "POST", "/twitter/send_dm_to_user");
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = serialize(body);
    return request;
  }

  ProviderResult parse_send(HttpResponse const& response, ProviderCredentials const& provider,
                            AccountCredentials const& account, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    ProviderResult r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_error(r, o, redactor, response);
    } else if (!o) {
      set_malformed(r, redactor, "twitterapi.io send response is not a JSON object", response.body);
    } else {
      const std::string_view status = string_member(*o, "status");
      std::string id = message_id_of(*o, redactor);
      if (!id.empty() && (status == "success" || (status.empty() && !o->contains("error")))) {
        r.signal = ProviderSignal::success;
        r.message_id = std::move(id);
        return r;
      }
      if (status == "success") {
        // A send is only confirmed by its DM id: without a usable one it is malformed, which keeps
        // it in doubt (never resent) rather than sent with no id.
        set_malformed(r, redactor, "twitterapi.io send response has status \"success\" but no usable message_id", response.body);
      } else if (status.empty() && !o->contains("error") && error_text(*o).empty()) {
        set_malformed(r, redactor, "twitterapi.io send response has neither \"status\" nor \"message_id\"", response.body);
      } else {
        // The HTTP-200 error: closed DMs and session problems show up only in the text; anything
        // vaguer is one of the failures the docs say to retry.
        r.message = redactor.clean(error_text(*o));
        if (r.message.empty()) r.message = "twitterapi.io reported status \"" + redactor.clean(status) + "\" without a message";
        apply_send_error_text(r, r.message);
      }
    }
    apply_hints(r, read_rate_hints(response.headers, now));
    return r;
  }

  Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::string_view username) const override {
    (void)account;
    if (provider.api_key.empty()) return make_error("twitterapi_io: the provider has no api_key");
    if (username.empty()) return make_error("twitterapi_io: the lookup names no username");
    return base_request(provider, "GET", "/twitter/user/info?userName=" + url_encode(username));
  }

  UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                      AccountCredentials const& account, std::string_view username,
                                      TimePoint now) const override {
    (void)username;
    const Redactor redactor = redactor_for(provider, account);
    return parse_lookup(response, redactor, now, [&](UserLookup& lookup, json::object const& o) {
      if (auto const* user = object_member(o, "data")) return read_profile(lookup, *user, redactor, response.body);
      if (auto const* data = o.if_contains("data"); data && data->is_null()) {
        lookup.result.signal = ProviderSignal::not_found;
        lookup.result.message = "twitterapi.io returned no user (data is null)";
        return;
      }
      set_malformed(lookup.result, redactor, "twitterapi.io user response lacks \"data\"", response.body);
    });
  }

  Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string_view user_id) const override {
    (void)account;
    if (provider.api_key.empty()) return make_error("twitterapi_io: the provider has no api_key");
    if (!is_decimal_id(user_id)) return make_error("twitterapi_io: the user id is not a decimal id");
    return base_request(provider, "GET", "/twitter/user/batch_info_by_ids?userIds=" + std::string(user_id));
  }

  UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view user_id,
                                TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    return parse_lookup(response, redactor, now, [&](UserLookup& lookup, json::object const& o) {
      json::array const* users = array_member(o, "users");
      if (!users) users = array_member(o, "data");
      if (!users) return set_malformed(lookup.result, redactor, "twitterapi.io batch response lacks \"users\"", response.body);
      for (json::value const& v : *users) {
        auto const* user = v.if_object();
        if (!user) continue;
        auto id = id_member(*user, "id");
        if (id && compare_decimal_ids(*id, user_id) == 0) return read_profile(lookup, *user, redactor, response.body);
      }
      // A batch answer simply leaves out ids it does not know.
      lookup.result.signal = ProviderSignal::not_found;
      lookup.result.message = "twitterapi.io batch answer does not include user " + std::string(user_id);
    });
  }

 private:
  static HttpRequest base_request(ProviderCredentials const& provider, std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers.emplace_back("X-API-Key", std::string(provider.api_key.reveal()));
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  /// Non-2xx answers (docs/providers.md#twitterapi_io).
  static void classify_error(ProviderResult& r, json::object const* o, Redactor const& redactor,
                             HttpResponse const& response) {
    const int s = response.status;
    r.message = o ? redactor.clean(error_text(*o)) : unreadable_body_text(redactor, s, response.body);
    const std::string_view text = o ? std::string_view(r.message) : std::string_view{};
    if (s == 400 || s == 422) {
      if (!apply_x_evidence(r, text)) r.signal = ProviderSignal::invalid_request;
    } else if (s == 403) {
      if (!apply_x_evidence(r, text)) r.signal = ProviderSignal::account_error;
    } else if (s == 401 || s == 402) {
      r.signal = ProviderSignal::account_error;  // API key, login cookie, or credits
    } else if (s == 404) {
      // twitterapi.io answers 404 for a path that does not exist: unless the body talks about a
      // user, the base_url is wrong, which must stop the account rather than skip every recipient.
      if (contains_ci(text, "user")) {
        r.signal = ProviderSignal::not_found;
      } else {
        r.signal = ProviderSignal::account_error;
        r.message = "endpoint not found (HTTP 404): check the provider's base_url" + (text.empty() ? std::string() : "; " + r.message);
      }
    } else if (s == 429) {
      r.signal = ProviderSignal::rate_limited;
    } else if (!o) {
      r.signal = ProviderSignal::malformed;  // the status decides
    }
  }

  template <class ReadSuccess>
  static UserLookup parse_lookup(HttpResponse const& response, Redactor const& redactor, TimePoint now,
                                 ReadSuccess read_success) {
    UserLookup lookup;
    ProviderResult& r = lookup.result;
    r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_error(r, o, redactor, response);
    } else if (!o) {
      set_malformed(r, redactor, "twitterapi.io user response is not a JSON object", response.body);
    } else if (const std::string_view status = string_member(*o, "status"); !status.empty() && status != "success") {
      r.message = redactor.clean(error_text(*o));
      if (r.message.empty()) r.message = "twitterapi.io reported status \"" + redactor.clean(status) + "\" without a message";
      if (mentions_not_found(r.message))
        r.signal = ProviderSignal::not_found;
      else if (!apply_x_evidence(r, r.message))
        r.signal = ProviderSignal::transient;
    } else {
      read_success(lookup, *o);
    }
    close_lookup(lookup, response.headers, now);
    return lookup;
  }
};

}  // namespace

std::unique_ptr<ProviderCodec> make_twitterapi_io_codec() { return std::make_unique<TwitterapiIoCodec>(); }

}  // namespace outreach::codec
