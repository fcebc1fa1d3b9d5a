#pragma once
// A provider's base_url: "scheme://host[:port][/path-prefix]" as written in the config
// (README.md#config-reference), e.g. "https://api.getxapi.com" or "http://127.0.0.1:8080/getxapi".
// This is the only reader of one: check-config (config/url_check) and the HTTP client both go
// through parse_base_url, so what the config accepts is exactly what the client connects to.
//
// No message repeats the URL: a base_url may carry a credential by mistake (user:password@ in the
// authority, or a key pasted into the path or query). The one piece of text that is named is an
// unsupported scheme, and only when it is a well-formed scheme (letters, digits, '+', '-', '.').
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace outreach {

/// What is wrong with a base URL, so that each caller can word it for its own reader.
enum class BaseUrlProblem : std::uint8_t {
  no_scheme,           ///< no well-formed "scheme://" in front
  unsupported_scheme,  ///< a scheme other than http or https (in any case)
  space_or_control,    ///< a space, a control character or DEL anywhere after the scheme
  credentials,         ///< "user:password@" in the authority
  query_or_fragment,   ///< a '?' or '#'
  unterminated_ipv6,   ///< "[" without "]"
  invalid_ipv6,        ///< "[...]" holding something other than hex digits, ':' and '.'
  text_after_ipv6,     ///< "]" followed by something other than ":port"
  missing_host,
  invalid_host,  ///< a host name with a byte other than letters, digits, '-', '.', '_'
  invalid_port,  ///< a port that is not 1–5 digits with a value from 1 to 65535 (an empty one included)
};

/// The problem as a fixed sentence fragment, e.g. "the port is not a number from 1 to 65535".
std::string_view describe(BaseUrlProblem problem);

struct BaseUrlError {
  BaseUrlProblem problem = BaseUrlProblem::no_scheme;
  std::string message;  ///< one sentence starting "base_url"
};

/// Called by boost::system::result::value() on an error (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(BaseUrlError const& error, boost::source_location const& location);

struct BaseUrl {
  bool tls = false;          ///< https
  std::string host;          ///< name (lowercased) or address, IPv6 without brackets
  std::uint16_t port = 0;    ///< explicit or the scheme's default
  std::string path_prefix;   ///< "" or "/getxapi" (never a trailing '/')
  std::string host_header;   ///< value for the Host header: host, bracketed if IPv6, ":port" if not default
  std::string origin;        ///< "https://host:port": identifies a connection pool

  /// path_prefix + target; a target not starting with '/' or '?' gets a '/' between; "" → prefix or "/".
  std::string join(std::string_view target) const;
};

using BaseUrlResult = boost::system::result<BaseUrl, BaseUrlError>;

/// Reads http:// or https:// (the scheme in any case, RFC 3986 §3.1), a host (name, IPv4 or
/// [IPv6]), an optional port 1–65535 and an optional path prefix; refuses credentials, a query, a
/// fragment, spaces and control characters. Trailing slashes of the path are dropped.
BaseUrlResult parse_base_url(std::string_view url);

}  // namespace outreach
