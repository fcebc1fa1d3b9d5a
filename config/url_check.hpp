#pragma once
// Shape checks for the two kinds of address in the config: a provider's base_url and an
// account's proxy. Messages never repeat the text they were given: a base_url may carry
// credentials by mistake, and a proxy always may.
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace outreach {

/// A base_url that parse_base_url (core/base_url.hpp) accepts, with the scheme spelled http:// or
/// https:// in lowercase: a host (name, IPv4 or [IPv6]), an optional port 1–65535 and an optional
/// path prefix; no credentials, query, fragment, spaces or control characters. Returns the URL as
/// written without trailing slashes.
Result<std::string> normalize_base_url(std::string_view url);

/// True for a host that names this machine's loopback interface: `localhost`, an IPv4 address in
/// 127.0.0.0/8, or ::1 (also written as an IPv4-mapped ::ffff:127.x.y.z). `host` is as written in a
/// URL, an IPv6 address with or without its brackets.
bool is_loopback_host(std::string_view host);

/// True when a base_url is plain http:// to a host that is not loopback, i.e. its requests (and the
/// keys and sessions in them) would cross a network unencrypted. False for a base_url that
/// parse_base_url rejects: nothing is ever sent to one.
bool is_remote_plain_http(std::string_view base_url);

/// Proxy addresses: `[scheme://][user:pass@]host:port` with scheme http, https, socks4 or socks5,
/// or tweetapi's own spelling `host:port@user:pass`.
/// Returns the problem as a sentence fragment, or nullopt when the address is well formed.
std::optional<std::string> proxy_problem(std::string_view proxy);

/// True when the proxy address carries `user:pass@` (and so is a secret worth hiding).
bool proxy_has_credentials(std::string_view proxy);

}  // namespace outreach
