// GetXAPI (docs/providers.md#getxapi): Bearer API key, the X session as `auth_token` in the body,
// every error as {"error": "..."}, and HTTP 502 when X itself refused the mutation.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/providers/codec_support.hpp"

namespace outreach::codec {
namespace {

namespace json = boost::json;

/// The error text of a GetXAPI body: `error` (a string, or an object with a message), else msg/message.
std::string_view error_text(json::object const& o) {
  if (auto const* e = object_member(o, "error")) return first_string(*e, {"message", "msg", "detail"});
  return first_string(o, {"error", "msg", "message", "detail"});
}

/// Whether a 2xx body reports a failure anyway ({"error": ...} or a status other than "success").
bool reports_error(json::object const& o) {
  const std::string_view status = string_member(o, "status");
  auto const* error = o.if_contains("error");
  return (error && !error->is_null()) || (!status.empty() && status != "success");
}

class GetxapiCodec final : public ProviderCodec {
 public:
  ProviderKind kind() const override { return ProviderKind::getxapi; }

  Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                   DmMessage const& message) const override {
    if (auto missing = check_credentials(provider, account)) return *missing;
    json::object body;
    body["auth_token"] = account.auth_token.reveal();
    // The id is exact; the username is resolved server-side and can have changed hands.
    if (!message.recipient_id.empty()) {
      if (!is_decimal_id(message.recipient_id)) return make_error("getxapi: the recipient id is not a decimal id");
      body["recipient_id"] = message.recipient_id;
    } else if (!message.recipient_username.empty()) {
      body["recipient_username"] = message.recipient_username;
    } else {
      return make_error("getxapi: the DM names no recipient");
    }
    body["text"] = message.text;
    return session_post(provider, account, "/twitter/dm/send", std::move(body));
  }

  ProviderResult parse_send(HttpResponse const& response, ProviderCredentials const& provider,
                            AccountCredentials const& account, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    ProviderResult r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (is_2xx(response.status)) {
      if (!o) {
        set_malformed(r, redactor, "getxapi send response is not a JSON object", response.body);
      } else if (!reports_error(*o)) {
        auto const* data = object_member(*o, "data");
        auto id = data ? id_member(*data, "id") : std::nullopt;
        if (id) {
          r.signal = ProviderSignal::success;
          r.message_id = std::move(*id);
          return r;
        }
        // Even with "status": "success", a send is only confirmed by its DM id: without one it is
        // malformed, which keeps it in doubt (never resent) rather than sent with no id.
        set_malformed(r, redactor, "getxapi send response has no decimal data.id", response.body);
      } else {
        r.message = redactor.clean(error_text(*o));
        apply_send_error_text(r, r.message);
      }
    } else {
      classify_error(r, o, redactor, response, /*is_send=*/true);
    }
    apply_hints(r, read_rate_hints(response.headers, now));
    return r;
  }

  Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::string_view username) const override {
    (void)account;
    if (provider.api_key.empty()) return make_error("getxapi: the provider has no api_key");
    if (username.empty()) return make_error("getxapi: the lookup names no username");
    return base_request(provider, "GET", "/twitter/user/info?userName=" + url_encode(username));
  }

  UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                      AccountCredentials const& account, std::string_view username,
                                      TimePoint now) const override {
    (void)username;
    return parse_profile(response, redactor_for(provider, account), now);
  }

  Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string_view user_id) const override {
    (void)account;
    if (provider.api_key.empty()) return make_error("getxapi: the provider has no api_key");
    if (!is_decimal_id(user_id)) return make_error("getxapi: the user id is not a decimal id");
    return base_request(provider, "GET", "/twitter/user/info_by_id?userId=" + std::string(user_id));
  }

  UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view user_id,
                                TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    UserLookup lookup = parse_profile(response, redactor, now);
    require_user(lookup, user_id, redactor, response.body);
    return lookup;
  }

  bool reads_inbox() const override { return true; }

  Result<HttpRequest> inbox_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                    std::optional<std::string_view> cursor) const override {
    if (auto missing = check_credentials(provider, account)) return *missing;
    json::object body;
    body["auth_token"] = account.auth_token.reveal();
    if (cursor) {
      if (!is_cursor(*cursor)) return bad_cursor_error("getxapi");
      body["cursor"] = *cursor;
    }
    body["count"] = kInboxPageSize;
    return session_post(provider, account, "/twitter/dm/list", std::move(body));
  }

  InboxPage parse_inbox(HttpResponse const& response, ProviderCredentials const& provider,
                        AccountCredentials const& account, std::string_view own_id, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    InboxPage page;
    page.result = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_read_error(page.result, o, redactor, response);
    } else if (!o) {
      fail_page(page, "getxapi inbox response is not a JSON object", response.body);
    } else if (reports_error(*o)) {
      page.result.message = redactor.clean(error_text(*o));
      if (!apply_account_evidence(page.result, page.result.message)) page.result.signal = ProviderSignal::transient;
    } else {
      read_inbox_page(page, *o, own_id, redactor, response.body);
    }
    close_page(page, response.headers, now);
    return page;
  }

 private:
  static constexpr int kInboxPageSize = 100;

  static std::optional<Error> check_credentials(ProviderCredentials const& provider, AccountCredentials const& account) {
    if (provider.api_key.empty()) return make_error("getxapi: the provider has no api_key");
    if (account.auth_token.empty()) return make_error("getxapi: the account has no auth_token");
    return std::nullopt;
  }

  /// A POST that acts with the account's X session (a send, an inbox read): the JSON body, with the
  /// account's proxy when it has one, so that X sees the session from one address whatever it does.
  static Result<HttpRequest> session_post(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string path, json::object body) {
    if (!account.proxy.empty()) {
      auto proxy = proxy_url_form(account.proxy.reveal());
      if (!proxy) return make_error("getxapi: " + proxy.error().message);
      body["proxy"] = *proxy;
    }
    HttpRequest request = base_request(provider, "POST", std::move(path));
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = serialize(body);
    return request;
  }

  static HttpRequest base_request(ProviderCredentials const& provider, std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers.emplace_back("Authorization", "Bearer " + std::string(provider.api_key.reveal()));
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  /// Non-2xx answers (docs/providers.md#getxapi).
  static void classify_error(ProviderResult& r, json::object const* o, Redactor const& redactor,
                             HttpResponse const& response, bool is_send) {
    const int s = response.status;
    r.message = o ? redactor.clean(error_text(*o)) : unreadable_body_text(redactor, s, response.body);
    const std::string_view text = o ? std::string_view(r.message) : std::string_view{};
    if (s == 400 || s == 403 || s == 422) {
      // X's refusal text can surface on a 400/403 too; otherwise the payload or the key is at fault.
      if (!apply_x_evidence(r, text))
        r.signal = s == 403 ? ProviderSignal::account_error : ProviderSignal::invalid_request;
    } else if (s == 401 || s == 402) {
      r.signal = ProviderSignal::account_error;  // bad API key, bad auth_token, or no credit
    } else if (s == 404) {
      r.signal = ProviderSignal::not_found;
    } else if (s == 429) {
      r.signal = ProviderSignal::rate_limited;
    } else if (s == 502 && is_send) {
      // X rejected the mutation: its own reason (349, 226, …) is inside `error`.
      apply_send_error_text(r, text);
    } else if (!o) {
      r.signal = ProviderSignal::malformed;  // the status decides
    }
  }

  /// Non-2xx answers to an inbox read (docs/providers.md#reading-the-inbox).
  static void classify_read_error(ProviderResult& r, json::object const* o, Redactor const& redactor,
                                  HttpResponse const& response) {
    const int s = response.status;
    r.message = o ? redactor.clean(error_text(*o)) : unreadable_body_text(redactor, s, response.body);
    const std::string_view text = o ? std::string_view(r.message) : std::string_view{};
    if (s == 401 || s == 402) {
      r.signal = ProviderSignal::account_error;  // bad API key, bad auth_token, or no credit
    } else if (s == 429) {
      r.signal = ProviderSignal::rate_limited;
    } else if (((s >= 400 && s < 500) || s == 502) && apply_account_evidence(r, text)) {
      // X's own words about the session (locked, 226, expired cookie); a 502 is X's own answer.
    } else if (s == 403 || s == 404) {
      // Reading refused (a plan without DM reads, an endpoint that is not there): sends may still work.
      r.signal = ProviderSignal::read_refused;
    } else if (s == 400 || s == 422) {
      r.signal = ProviderSignal::invalid_request;
    } else if (!o) {
      r.signal = ProviderSignal::malformed;  // the status decides
    }
  }

  /// A 2xx inbox page: `userId`, `messages[]`, `has_more`, `next_cursor`.
  static void read_inbox_page(InboxPage& page, json::object const& o, std::string_view own_id,
                              Redactor const& redactor, std::string_view body) {
    auto account_id = id_member(o, "userId");
    if (!account_id) return fail_page(page, "getxapi inbox response lacks a decimal \"userId\"", body);
    if (!own_id.empty() && compare_decimal_ids(*account_id, own_id) != 0) {
      const std::string expected = is_decimal_id(own_id) ? std::string(own_id) : "the account's own id";
      return fail_page(page, "getxapi inbox response is about user " + *account_id + ", not " + expected, body);
    }
    // Paging: has_more false ends it whatever next_cursor says; more pages need a usable cursor.
    bool bad_cursor = false;
    auto cursor = cursor_member(o, "next_cursor", redactor, bad_cursor);
    auto const* has_more_value = o.if_contains("has_more");
    const std::optional<bool> has_more = bool_member(o, "has_more");
    if (has_more_value && !has_more_value->is_null() && !has_more)
      return fail_page(page, "getxapi inbox response's \"has_more\" is not a boolean", body);
    if (has_more == false) {
      cursor.reset();
    } else if (bad_cursor) {
      return fail_page(page, "getxapi inbox response's \"next_cursor\" is not a usable cursor", body);
    } else if (has_more == true && !cursor) {
      return fail_page(page, "getxapi inbox response has more pages but no \"next_cursor\"", body);
    }
    json::array const* messages = array_member(o, "messages");
    if (!messages) {
      auto const* value = o.if_contains("messages");
      const auto count = int_member(o, "message_count");
      if ((value && !value->is_null()) || (count && *count != 0) || cursor)
        return fail_page(page, "getxapi inbox response lacks a \"messages\" array", body);
    }
    if (messages) {
      page.messages.reserve(messages->size());
      for (std::size_t i = 0; i < messages->size(); ++i) {
        if (!read_message(page, (*messages)[i], *account_id))
          return fail_page(page, "getxapi inbox message " + std::to_string(i + 1) +
                                               " lacks a decimal id, senderId or recipientId, a readable createdAt or a text string",
                           body);
      }
    }
    page.account_id = std::move(account_id);
    page.next_cursor = std::move(cursor);
    page.result.signal = ProviderSignal::success;
  }

  /// Appends one message to the page; false when it is unreadable. Messages that do not involve
  /// the account (a group conversation) are skipped.
  static bool read_message(InboxPage& page, json::value const& v, std::string const& account_id) {
    auto const* m = v.if_object();
    if (!m) return false;
    auto id = id_member(*m, "id");
    auto sender = id_member(*m, "senderId");
    auto created = time_member(*m, "createdAt");
    if (!id || !sender || !created) return false;
    std::optional<std::string> recipient;
    if (auto const* r = m->if_contains("recipientId"); r && !r->is_null()) {
      recipient = id_member(*m, "recipientId");
      if (!recipient) return false;
    }
    const bool outgoing = compare_decimal_ids(*sender, account_id) == 0;
    if (!recipient) {
      if (outgoing) return false;  // a message the account sent, to nobody named
      recipient = account_id;      // received: the account is the recipient
    }
    std::string text;
    if (auto const* t = m->if_contains("text"); t && !t->is_null()) {
      auto const* str = t->if_string();
      if (!str) return false;
      text = std::string(*str);
    }
    if (!outgoing && compare_decimal_ids(*recipient, account_id) != 0) return true;  // not ours: skipped
    page.messages.push_back(InboxMessage{std::move(*id), *created, std::move(*sender), std::move(*recipient), std::move(text)});
    return true;
  }

  static UserLookup parse_profile(HttpResponse const& response, Redactor const& redactor, TimePoint now) {
    UserLookup lookup;
    ProviderResult& r = lookup.result;
    r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_error(r, o, redactor, response, /*is_send=*/false);
    } else if (!o) {
      set_malformed(r, redactor, "getxapi user response is not a JSON object", response.body);
    } else if (reports_error(*o)) {
      r.message = redactor.clean(error_text(*o));
      r.signal = mentions_not_found(r.message) ? ProviderSignal::not_found : ProviderSignal::transient;
    } else if (auto const* user = object_member(*o, "data")) {
      read_profile(lookup, *user, redactor, response.body);
    } else if (o->contains("id")) {
      read_profile(lookup, *o, redactor, response.body);  // tolerate an unwrapped profile
    } else if (auto const* data = o->if_contains("data"); data && data->is_null()) {
      r.signal = ProviderSignal::not_found;
      r.message = "getxapi returned no user (data is null)";
    } else {
      set_malformed(r, redactor, "getxapi user response lacks \"data\"", response.body);
    }
    close_lookup(lookup, response.headers, now);
    return lookup;
  }
};

}  // namespace

std::unique_ptr<ProviderCodec> make_getxapi_codec() { return std::make_unique<GetxapiCodec>(); }

}  // namespace outreach::codec
