#include "core/providers/x_oauth.hpp"

#include <boost/json/object.hpp>

#include <chrono>

#include "core/providers/codec_support.hpp"

namespace outreach {
namespace {

namespace json = boost::json;

constexpr Duration kDefaultLifetime = std::chrono::hours{2};

std::string basic_credentials(ProviderCredentials const& provider) {
  return base64_encode(provider.client_id + ":" + std::string(provider.client_secret->reveal()));
}

codec::Redactor refresh_redactor(ProviderCredentials const& provider, AccountCredentials const& account) {
  codec::Redactor r(provider, account);
  if (provider.client_secret && !provider.client_secret->empty()) r.add(basic_credentials(provider));
  return r;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
    const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<HttpRequest> x_token_refresh_request(ProviderCredentials const& provider, AccountCredentials const& account) {
  Secret const& refresh_token = account.refresh_token;
  if (provider.client_id.empty()) return make_error("x_api: the provider has no client_id");
  if (refresh_token.empty()) return make_error("x_api: the account has no refresh_token");
  HttpRequest request;
  request.method = "POST";
  request.target = "/2/oauth2/token";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  if (provider.client_secret && !provider.client_secret->empty())
    request.headers.emplace_back("Authorization", "Basic " + basic_credentials(provider));
  request.body = "grant_type=refresh_token&refresh_token=" + url_encode(refresh_token.reveal()) +
                 "&client_id=" + url_encode(provider.client_id);
  return request;
}

TokenRefresh parse_x_token_refresh(HttpResponse const& response, ProviderCredentials const& provider,
                                   AccountCredentials const& account, TimePoint now) {
  const codec::Redactor redactor = refresh_redactor(provider, account);
  TokenRefresh out;
  ProviderResult& r = out.result;
  r = codec::responded(response);
  const auto parsed = codec::parse_json(response.body);
  json::object const* o = parsed ? parsed->if_object() : nullptr;
  const int s = response.status;
  if (codec::is_2xx(s)) {
    // A 2xx body from the token endpoint may hold freshly minted tokens the redactor has never
    // seen, so unlike other malformed answers none of it is quoted in the message.
    const auto reject_unquoted = [&r](std::string_view what) {
      r.signal = ProviderSignal::malformed;
      r.message = std::string(what) + " (body not shown: it may carry new tokens)";
    };
    if (!o) {
      reject_unquoted("X token response is not a JSON object");
      return out;
    }
    const std::string_view access = codec::string_member(*o, "access_token");
    const std::string_view type = codec::string_member(*o, "token_type");
    const auto expires = codec::int_member(*o, "expires_in");
    if (access.empty()) {
      reject_unquoted("X token response lacks \"access_token\"");
    } else if (!type.empty() && !codec::contains_ci(type, "bearer")) {
      reject_unquoted("X token response has a token_type other than bearer");
    } else if (o->contains("expires_in") && (!expires || *expires <= 0 || *expires > 366LL * 24 * 3600)) {
      reject_unquoted("X token response has an unusable \"expires_in\"");
    } else {
      OAuthTokens tokens;
      tokens.access_token = Secret(std::string(access));
      if (const std::string_view rt = codec::string_member(*o, "refresh_token"); !rt.empty())
        tokens.refresh_token = Secret(std::string(rt));
      tokens.expires_in = expires ? Duration{std::chrono::seconds{*expires}} : kDefaultLifetime;
      tokens.expires_at = now + tokens.expires_in;
      out.tokens = std::move(tokens);
      r.signal = ProviderSignal::success;
      return out;
    }
    return out;
  }
  // {"error":"invalid_request","error_description":"..."} (RFC 6749 §5.2), or an X problem object.
  if (o) {
    r.provider_code = redactor.clean(codec::string_member(*o, "error"));
    std::string text = redactor.clean(codec::first_string(*o, {"error_description", "detail", "message", "title"}));
    r.message = r.provider_code.empty() ? text : (text.empty() ? r.provider_code : r.provider_code + ": " + text);
  } else {
    r.message = codec::unreadable_body_text(redactor, s, response.body);
  }
  if (s == 429) {
    r.signal = ProviderSignal::rate_limited;
  } else if (s >= 400 && s < 500) {
    // A rejected refresh token or client: only a new authorization helps.
    r.signal = ProviderSignal::account_error;
    if (r.message.empty()) r.message = "the token refresh was rejected";
  } else if (!o) {
    r.signal = ProviderSignal::malformed;
  }
  codec::apply_hints(r, codec::read_rate_hints(response.headers, now));
  return out;
}

}  // namespace outreach
