#pragma once
// x_api OAuth 2.0 tokens. X rotates the refresh token on every refresh and the old one stops
// working, so the newest pair must outlive restarts: it is kept in the database, remembering which
// config token it descends from, so that putting a different token in the config replaces it.
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

struct StoredOAuthTokens {
  Secret access_token;
  Secret refresh_token;
  std::optional<TimePoint> expires_at;  ///< of the access token, when the provider said
};

/// The tokens to use at start-up or reload: the stored (rotated) pair when it descends from the
/// config's current tokens, otherwise the config's pair, which is stored from then on.
Result<StoredOAuthTokens> adopt_oauth_tokens(Database& db, std::string_view account,
                                             StoredOAuthTokens const& from_config, TimePoint now);

/// Stores a refreshed pair durably (the old refresh token is already dead). The account's tokens
/// must have been adopted first.
Result<void> save_rotated_tokens(Database& db, std::string_view account, StoredOAuthTokens const& tokens,
                                 TimePoint now);

/// The stored pair, if any.
Result<std::optional<StoredOAuthTokens>> load_oauth_tokens(Database& db, std::string_view account);

}  // namespace outreach
