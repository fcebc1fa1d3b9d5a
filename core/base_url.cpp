#include "core/base_url.hpp"

#include <algorithm>

#include "core/result.hpp"

namespace outreach {

namespace {

// ASCII only and locale-independent: the same bytes must parse the same way in every process.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

// RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Such a name holds no ':', '@' or
// '/', so naming it in a message cannot leak user-info.
bool is_scheme(std::string_view text) {
  return !text.empty() && is_alpha(text.front()) && std::all_of(text.begin(), text.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  });
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// Letters, digits, '-', '.', '_' cover DNS names and IPv4 literals; anything else (a '%', a ':')
// would end up in a Host header or SNI.
bool valid_reg_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
  });
}

// At most 5 digits: "0000080" is refused rather than read as 80.
bool read_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) return false;
  unsigned value = 0;
  for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

BaseUrlError failure(BaseUrlProblem problem) {
  return BaseUrlError{problem, "base_url: " + std::string(describe(problem)) + "."};
}

}  // namespace

std::string_view describe(BaseUrlProblem problem) {
  switch (problem) {
    case BaseUrlProblem::no_scheme: return "expected scheme://host, e.g. https://api.example.com";
    case BaseUrlProblem::unsupported_scheme: return "only http and https are supported";
    case BaseUrlProblem::space_or_control: return "spaces and control characters are not allowed";
    case BaseUrlProblem::credentials: return "credentials (user:password@host) are not allowed";
    case BaseUrlProblem::query_or_fragment: return "a query or fragment is not allowed";
    case BaseUrlProblem::unterminated_ipv6: return "the IPv6 address has no closing ]";
    case BaseUrlProblem::invalid_ipv6: return "the IPv6 address is malformed";
    case BaseUrlProblem::text_after_ipv6: return "there is text after the IPv6 address";
    case BaseUrlProblem::missing_host: return "the host is missing";
    case BaseUrlProblem::invalid_host: return "the host name has an invalid character";
    case BaseUrlProblem::invalid_port: return "the port is not a number from 1 to 65535";
  }
  return "it is not a valid URL";
}

void throw_exception_from_error(BaseUrlError const& error, boost::source_location const&) {
  throw ErrorException(error.message);
}

std::string BaseUrl::join(std::string_view target) const {
  if (target.empty()) return path_prefix.empty() ? std::string("/") : path_prefix;
  std::string out = path_prefix;
  if (target.front() != '/' && target.front() != '?') out.push_back('/');
  out.append(target);
  return out;
}

BaseUrlResult parse_base_url(std::string_view url) {
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || !is_scheme(url.substr(0, scheme_end)))
    return failure(BaseUrlProblem::no_scheme);
  std::string const scheme = lower(url.substr(0, scheme_end));
  BaseUrl out;
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.port = 80;
  } else {
    return BaseUrlError{BaseUrlProblem::unsupported_scheme,
                        "base_url: unsupported scheme \"" + scheme + "\"; " +
                            std::string(describe(BaseUrlProblem::unsupported_scheme)) + "."};
  }

  std::string_view const rest = url.substr(scheme_end + 3);
  if (has_space_or_control(rest)) return failure(BaseUrlProblem::space_or_control);
  auto const authority_end = rest.find_first_of("/?#");
  std::string_view const authority = rest.substr(0, authority_end);
  std::string_view const path = rest.substr(authority.size());
  if (authority.find('@') != std::string_view::npos) return failure(BaseUrlProblem::credentials);
  if (path.find_first_of("?#") != std::string_view::npos) return failure(BaseUrlProblem::query_or_fragment);

  std::string_view host;
  bool has_port = false;
  std::string_view port_text;
  bool const bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    auto const close = authority.find(']');
    if (close == std::string_view::npos) return failure(BaseUrlProblem::unterminated_ipv6);
    host = authority.substr(1, close - 1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; }))
      return failure(BaseUrlProblem::invalid_ipv6);
    std::string_view const after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return failure(BaseUrlProblem::text_after_ipv6);
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    auto const colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) return failure(BaseUrlProblem::missing_host);
    if (!valid_reg_name(host)) return failure(BaseUrlProblem::invalid_host);
  }
  if (has_port && !read_port(port_text, out.port)) return failure(BaseUrlProblem::invalid_port);

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
