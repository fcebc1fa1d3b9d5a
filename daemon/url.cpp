#include "daemon/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace outreach {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_reg_name(std::string_view host) {
  // Letters, digits, '-', '.', '_' cover DNS names and IPv4 literals; anything else (spaces, '%',
  // control bytes) would end up in a Host header or SNI, so it is refused here.
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

std::string BaseUrl::join(std::string_view target) const {
  if (target.empty()) return path_prefix.empty() ? std::string("/") : path_prefix;
  std::string out = path_prefix;
  if (target.front() != '/' && target.front() != '?') out.push_back('/');
  out.append(target);
  return out;
}

Result<BaseUrl> parse_base_url(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return make_error("base_url \"" + std::string(url) + "\": " + std::string(why) + ".");
  };
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail("expected scheme://host, e.g. https://api.example.com");
  std::string const scheme = lower(url.substr(0, scheme_end));
  BaseUrl out;
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.port = 80;
  } else {
    return make_error("base_url has unsupported scheme \"" + scheme + "\" (only http and https are supported).");
  }

  std::string_view rest = url.substr(scheme_end + 3);
  auto const authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    // Not echoed: the user-info part may be a password.
    return make_error("base_url must not contain credentials (user:password@host).");
  }
  if (path.find_first_of("?#") != std::string_view::npos) return fail("a query or fragment is not allowed");
  if (path.find_first_of(" \t\r\n") != std::string_view::npos) return fail("the path must not contain spaces");

  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    auto const close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
    bracketed = true;
    bool const hex_and_colons = std::all_of(host.begin(), host.end(), [](unsigned char c) {
      return std::isxdigit(c) != 0 || c == ':' || c == '.';
    });
    if (host.empty() || !hex_and_colons) return fail("invalid IPv6 address");
  } else {
    auto const colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (host.empty()) return fail("missing host");
    if (!valid_reg_name(host)) return fail("invalid host name");
  }
  if (authority.find(':') != std::string_view::npos && !bracketed && port_text.empty()) return fail("empty port");
  if (bracketed && authority.back() == ':') return fail("empty port");

  if (!port_text.empty()) {
    unsigned value = 0;
    auto const [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return fail("invalid port");
    out.port = static_cast<std::uint16_t>(value);
  }

  out.host = bracketed ? std::string(host) : lower(host);
  out.path_prefix = std::string(path);
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();

  std::string const shown_host = bracketed ? "[" + out.host + "]" : out.host;
  bool const default_port = out.port == (out.tls ? 443 : 80);
  out.host_header = default_port ? shown_host : shown_host + ":" + std::to_string(out.port);
  out.origin = scheme + "://" + shown_host + ":" + std::to_string(out.port);
  return out;
}

}  // namespace outreach
