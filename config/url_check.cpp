#include "config/url_check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "core/base_url.hpp"

namespace outreach {
namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

bool has_space_or_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

// A proxy's host[:port], host a name, an IPv4 address or a bracketed IPv6 address; the same host
// and port rules as parse_base_url, but a proxy may require the port. Returns what is wrong.
std::optional<std::string> authority_problem(std::string_view authority, bool port_required) {
  std::string_view host;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "the IPv6 address has no closing ]";
    host = authority.substr(1, close - 1);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      return "the IPv6 address is malformed";
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "there is text after the IPv6 address";
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (host.empty()) return "the host is missing";
    for (char c : host)
      if (!is_host_char(c)) return "the host name has an invalid character";
  }
  if (port) {
    if (!valid_port(*port)) return "the port is not a number from 1 to 65535";
  } else if (port_required) {
    return "the port is missing";
  }
  return std::nullopt;
}

constexpr std::string_view kSchemeMessage = "must start with http:// or https://";

// normalize_base_url's wording: fixed sentences, so that no part of the URL is repeated.
std::string config_message(BaseUrlProblem problem) {
  switch (problem) {
    case BaseUrlProblem::no_scheme:
    case BaseUrlProblem::unsupported_scheme: return std::string(kSchemeMessage);
    case BaseUrlProblem::space_or_control: return "must not contain spaces or control characters";
    case BaseUrlProblem::query_or_fragment: return "must not carry a query or fragment";
    case BaseUrlProblem::credentials: return "must not carry credentials (the provider's key belongs in api_key)";
    case BaseUrlProblem::unterminated_ipv6:
    case BaseUrlProblem::invalid_ipv6:
    case BaseUrlProblem::text_after_ipv6:
    case BaseUrlProblem::missing_host:
    case BaseUrlProblem::invalid_host:
    case BaseUrlProblem::invalid_port: break;
  }
  return "is not a valid URL: " + std::string(describe(problem));
}

}  // namespace

Result<std::string> normalize_base_url(std::string_view url) {
  auto const parsed = parse_base_url(url);
  if (!parsed) return make_error(config_message(parsed.error().problem));
  // The parser reads the scheme in any case; the config keeps to the lowercase spelling its
  // documentation and defaults use.
  if (!url.starts_with("http://") && !url.starts_with("https://")) return make_error(std::string(kSchemeMessage));
  // "https://host/prefix/" and "https://host/prefix" name the same root; request paths are appended.
  // The host is never empty, so this stops short of the "//" after the scheme.
  while (url.back() == '/') url.remove_suffix(1);
  return Result<std::string>(boost::system::in_place_value, std::string(url));
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.size() == 9 && ::strncasecmp(host.data(), "localhost", 9) == 0) return true;
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) return false;
  const std::string text(host);  // inet_pton needs a terminated string
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  unsigned char const* b = v6.s6_addr;
  const bool zero_prefix = std::all_of(b, b + 10, [](unsigned char c) { return c == 0; });
  const bool loopback = zero_prefix && b[10] == 0 && b[11] == 0 && b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1;
  const bool mapped_v4_loopback = zero_prefix && b[10] == 0xFF && b[11] == 0xFF && b[12] == 127;
  return loopback || mapped_v4_loopback;
}

bool is_remote_plain_http(std::string_view base_url) {
  auto const parsed = parse_base_url(base_url);
  return parsed && !parsed->tls && !is_loopback_host(parsed->host);
}

std::optional<std::string> proxy_problem(std::string_view proxy) {
  if (proxy.empty()) return "it is empty";
  if (has_space_or_control(proxy)) return "it contains spaces or control characters";
  std::string_view rest = proxy;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, sep);
    constexpr std::array<std::string_view, 4> kSchemes{"http", "https", "socks4", "socks5"};
    bool known = false;
    for (auto s : kSchemes) known = known || scheme == s;
    if (!known) return "the scheme is not http, https, socks4 or socks5";
    rest = rest.substr(sep + 3);
  }
  const bool has_scheme = rest.size() != proxy.size();
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  // Split credentials at the last '@': an unencoded '@' in a password is common in the wild.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    std::string_view address = rest.substr(at + 1);
    // tweetapi documents its own spelling, host:port@user:pass; accept it as written there.
    if (!has_scheme && !authority_problem(credentials, true) && authority_problem(address, true))
      std::swap(credentials, address);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size())
      return "the credentials are not user:pass";
    rest = address;
  }
  if (rest.find('/') != std::string_view::npos) return "it has a path";
  return authority_problem(rest, true);
}

bool proxy_has_credentials(std::string_view proxy) { return proxy.find('@') != std::string_view::npos; }

}  // namespace outreach
