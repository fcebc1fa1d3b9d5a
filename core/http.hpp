#pragma once
// Plain HTTP request/response values: what provider codecs build and parse, and what the daemon's
// Beast client sends and receives. Keeping these free of Beast keeps core/ pure and cheap to compile.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outreach {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  ///< "GET" or "POST"
  std::string target;          ///< path (after the base_url's own prefix) plus query, e.g. "/twitter/user/info?userName=a"
  HttpHeaders headers;         ///< includes auth and Content-Type; may hold secrets: never log whole
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

/// Case-insensitive header lookup (HTTP field names are case-insensitive); first match wins.
std::optional<std::string_view> find_header(HttpHeaders const& headers, std::string_view name);

/// Percent-encodes a query-string component (RFC 3986 unreserved characters pass through).
std::string url_encode(std::string_view text);

}  // namespace outreach
