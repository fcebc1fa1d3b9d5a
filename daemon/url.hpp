#pragma once
// base_url parsing for the HTTP client: "scheme://host[:port][/path-prefix]" as written in the
// config (SPEC §2), e.g. "https://api.getxapi.com" or "http://127.0.0.1:8080/getxapi".
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace outreach {

struct BaseUrl {
  bool tls = false;          ///< https
  std::string host;          ///< name or address, IPv6 without brackets
  std::uint16_t port = 0;    ///< explicit or the scheme's default
  std::string path_prefix;   ///< "" or "/getxapi" (never a trailing '/')
  std::string host_header;   ///< value for the Host header: host, bracketed if IPv6, ":port" if not default
  std::string origin;        ///< "https://host:port": identifies a connection pool

  /// path_prefix + target; a target not starting with '/' or '?' gets a '/' between; "" → prefix or "/".
  std::string join(std::string_view target) const;
};

/// Parses a base URL. Errors name the problem in one sentence and repeat the URL (base URLs
/// carry no secrets: credentials in the authority are refused rather than echoed).
Result<BaseUrl> parse_base_url(std::string_view url);

}  // namespace outreach
