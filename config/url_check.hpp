#pragma once
// Shape checks for the two kinds of address in the config: a provider's base_url and an
// account's proxy. Messages never repeat the text they were given: a base_url may carry
// credentials by mistake, and a proxy always may.
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace outreach {

/// http:// or https://, a host (name, IPv4 or [IPv6]), an optional port 1–65535 and an optional
/// path prefix; no credentials, query or fragment. Returns the URL without trailing slashes.
Result<std::string> normalize_base_url(std::string_view url);

/// Proxy addresses: `[scheme://][user:pass@]host:port` with scheme http, https, socks4 or socks5,
/// or tweetapi's own spelling `host:port@user:pass`.
/// Returns the problem as a sentence fragment, or nullopt when the address is well formed.
std::optional<std::string> proxy_problem(std::string_view proxy);

/// True when the proxy address carries `user:pass@` (and so is a secret worth hiding).
bool proxy_has_credentials(std::string_view proxy);

}  // namespace outreach
