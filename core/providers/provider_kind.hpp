#pragma once
// The four supported DM providers (docs/providers.md), as named in the config's `provider = "..."`.
#include <array>
#include <optional>
#include <string_view>

namespace outreach {

enum class ProviderKind { getxapi, twitterapi_io, tweetapi, x_api };

inline constexpr std::array<ProviderKind, 4> kAllProviders{ProviderKind::getxapi, ProviderKind::twitterapi_io,
                                                           ProviderKind::tweetapi, ProviderKind::x_api};

constexpr std::string_view to_string(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::getxapi: return "getxapi";
    case ProviderKind::twitterapi_io: return "twitterapi_io";
    case ProviderKind::tweetapi: return "tweetapi";
    case ProviderKind::x_api: return "x_api";
  }
  return "getxapi";
}

constexpr std::optional<ProviderKind> parse_provider_kind(std::string_view text) {
  for (ProviderKind kind : kAllProviders)
    if (to_string(kind) == text) return kind;
  return std::nullopt;
}

/// Whether the daemon can read the account's DMs through this provider (docs/send-rules.md#the-inbox):
/// getxapi (POST /twitter/dm/list) and x_api (GET /2/dm_events). The others' in-doubt rows stay
/// `unknown`. storage keeps it per account (accounts.reads_inbox, written by sync_accounts).
constexpr bool reads_inbox(ProviderKind kind) { return kind == ProviderKind::getxapi || kind == ProviderKind::x_api; }

/// The provider's public API root, used when the config gives no base_url.
constexpr std::string_view default_base_url(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::getxapi: return "https://api.getxapi.com";
    case ProviderKind::twitterapi_io: return "https://api.twitterapi.io";
    case ProviderKind::tweetapi: return "https://api.tweetapi.com";
    case ProviderKind::x_api: return "https://api.x.com";
  }
  return "";
}

}  // namespace outreach
