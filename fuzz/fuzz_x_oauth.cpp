// core/providers/x_oauth: the x_api token refresh answer (and request, and base64).
// Input: an HTTP answer in the codec targets' format (see codec_harness.hpp).
// Invariants (beyond check_result's, shared with the codecs):
// - tokens are returned exactly when the result is success; the access token is non-empty, the
//   lifetime is within (0, 366 days] and expires_at = now + expires_in;
// - a 2xx answer that is rejected quotes nothing of its body (it may carry new tokens);
// - no text quotes a secret of the request, including the Basic client credentials;
// - the request is a form POST to /2/oauth2/token carrying the refresh token and client id;
// - base64_encode is standard base64 (decoded back to the input).
#include "core/providers/provider_kind.hpp"
#define FUZZ_PROVIDER ::outreach::ProviderKind::x_api
#include "codec_harness.hpp"

using namespace outreach;

namespace {

std::string base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const int v = value(c);
    FUZZ_CHECK(v >= 0, "not base64: " + fuzz::show(s));
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const fuzz::codec::Input in = fuzz::codec::parse_input(fuzz::as_text(data, size));
  fuzz::codec::CredentialSet c = fuzz::codec::make_credentials(in.credentials);
  if (c.provider.client_secret) {
    c.secrets.push_back(base64_encode(c.provider.client_id + ":" + std::string(c.provider.client_secret->reveal())));
  }
  HttpResponse const& resp = in.response;

  const TokenRefresh refresh = parse_x_token_refresh(resp, c.provider, c.account, fuzz::codec::kNow);
  fuzz::codec::check_result(refresh.result, resp, RequestKind::lookup, c);
  const bool success = refresh.result.signal == ProviderSignal::success;
  FUZZ_CHECK(refresh.tokens.has_value() == success, "tokens without success, or success without tokens");
  if (refresh.tokens) {
    OAuthTokens const& t = *refresh.tokens;
    FUZZ_CHECK(!t.access_token.empty(), "an empty access token");
    FUZZ_CHECK(t.expires_in > Duration{0} && t.expires_in <= std::chrono::hours{24 * 366}, "expires_in");
    FUZZ_CHECK(t.expires_at == fuzz::codec::kNow + t.expires_in, "expires_at");
    if (t.refresh_token) FUZZ_CHECK(!t.refresh_token->empty(), "an empty refresh token");
    FUZZ_CHECK(outreach::codec::is_2xx(resp.status), "tokens from a non-2xx answer");
  } else if (outreach::codec::is_2xx(resp.status)) {
    // Not a byte of a rejected 2xx body is shown: it may hold tokens no redactor knows yet.
    FUZZ_CHECK(fuzz::contains(refresh.result.message, "body not shown"), fuzz::show(refresh.result.message));
    FUZZ_CHECK(!fuzz::contains(refresh.result.message, "body starts with"), fuzz::show(refresh.result.message));
  }

  // The request, for this credential set and for one with the fuzzed body as the refresh token.
  auto check = [&](AccountCredentials const& account, fuzz::codec::CredentialSet const& secrets) {
    auto request = x_token_refresh_request(c.provider, account);
    if (!request) {
      fuzz::codec::check_no_secret(secrets, request.error().message, "request error");
      return;
    }
    FUZZ_CHECK(request->method == "POST" && request->target == "/2/oauth2/token", request->target);
    FUZZ_CHECK(fuzz::contains(request->body, "grant_type=refresh_token&refresh_token=" +
                                                 url_encode(account.refresh_token.reveal()) + "&client_id="),
               request->body);
    const auto basic = find_header(request->headers, "Authorization");
    FUZZ_CHECK(basic.has_value() == (c.provider.client_secret && !c.provider.client_secret->empty()), "Basic auth");
    if (basic) {
      FUZZ_CHECK(fuzz::starts_with(*basic, "Basic "), std::string(*basic));
      FUZZ_CHECK(base64_decode(basic->substr(6)) == c.provider.client_id + ":" + std::string(c.provider.client_secret->reveal()),
                 "Basic credentials do not decode");
    }
  };
  check(c.account, c);
  AccountCredentials fuzzed = c.account;
  fuzzed.refresh_token = Secret(resp.body);
  check(fuzzed, c);

  // base64 round trip on arbitrary bytes.
  const std::string_view bytes = fuzz::as_text(data, size);
  const std::string encoded = base64_encode(bytes);
  FUZZ_CHECK(encoded.size() == (bytes.size() + 2) / 3 * 4, "base64 length");
  FUZZ_CHECK(base64_decode(encoded) == bytes, "base64 does not decode back");
  return 0;
}
