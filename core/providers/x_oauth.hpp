#pragma once
// x_api OAuth 2.0 token refresh (docs/providers.md#x_api-token-refresh): build the request, read
// the answer.
//
// Contract for the daemon — refresh tokens ROTATE and are SINGLE-USE:
//   1. On a successful parse, durably persist tokens.refresh_token (with the new access token and
//      expires_at, in one transaction) BEFORE sending anything with the new access token. If the
//      process dies in between, the stored refresh token must already be the new one: the old one
//      is spent, and reusing it fails and, by some reports, revokes the whole token family.
//   2. Never retry a refresh with a token that a successful answer has replaced.
//   3. If the refresh request was written but no answer arrived (Transport::failed_after_write or
//      timed_out_after_write), X may or may not have rotated the token. Retrying with the old token
//      is the only option: it works if X never processed the request, otherwise it is rejected
//      (an account_error) and the account needs a new authorization.
//   4. Refresh at most once per 401 (ProviderSignal::auth_expired); a failed refresh is an
//      account_error: classify(RequestKind::lookup, result, …) turns it into AccountStop.
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/providers/codec.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

namespace outreach {

struct OAuthTokens {
  Secret access_token;
  /// The rotated refresh token. X always sends one when offline.access was granted; if it is
  /// absent the old one is spent all the same and the next refresh will need a new authorization.
  std::optional<Secret> refresh_token;
  Duration expires_in{0};  ///< `expires_in`; 2 hours (X's documented lifetime) when not given
  TimePoint expires_at;    ///< now + expires_in
};

struct TokenRefresh {
  ProviderResult result;              ///< success, or a classified failure
  std::optional<OAuthTokens> tokens;  ///< set exactly when result.signal == success
};

/// POST /2/oauth2/token (target relative to base_url), form-encoded
/// grant_type=refresh_token&refresh_token=…&client_id=…; confidential clients (client_secret set)
/// also send Authorization: Basic base64(client_id:client_secret).
/// Uses account.refresh_token.
Result<HttpRequest> x_token_refresh_request(ProviderCredentials const& provider, AccountCredentials const& account);

/// Reads the token endpoint's answer. 400 invalid_request/invalid_grant and 401
/// unauthorized_client are account errors (re-authorize); 429 waits; 5xx is left to the status.
/// `account` holds the refresh token that was sent; its secrets are scrubbed from every text.
TokenRefresh parse_x_token_refresh(HttpResponse const& response, ProviderCredentials const& provider,
                                   AccountCredentials const& account, TimePoint now);

/// Standard base64 (RFC 4648 §4, with padding), for the Basic credentials.
std::string base64_encode(std::string_view bytes);

}  // namespace outreach
