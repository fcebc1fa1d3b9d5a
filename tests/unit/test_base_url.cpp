// core/base_url: the one reader of a provider's base_url, for check-config and the HTTP client.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include "config/url_check.hpp"
#include "core/base_url.hpp"

using namespace outreach;

TEST_CASE("base_url parsing") {
  SUBCASE("https with default port and no prefix") {
    auto url = parse_base_url("https://api.getxapi.com");
    REQUIRE(url.has_value());
    CHECK(url->tls);
    CHECK(url->host == "api.getxapi.com");
    CHECK(url->port == 443);
    CHECK(url->path_prefix.empty());
    CHECK(url->host_header == "api.getxapi.com");
    CHECK(url->origin == "https://api.getxapi.com:443");
    CHECK(url->join("/twitter/dm/send") == "/twitter/dm/send");
    CHECK(url->join("") == "/");
  }
  SUBCASE("http with port and path prefix, trailing slash dropped") {
    auto url = parse_base_url("HTTP://LocalHost:8080/getxapi/");
    REQUIRE(url.has_value());
    CHECK_FALSE(url->tls);
    CHECK(url->host == "localhost");
    CHECK(url->port == 8080);
    CHECK(url->path_prefix == "/getxapi");
    CHECK(url->host_header == "localhost:8080");
    CHECK(url->join("/twitter/dm/send") == "/getxapi/twitter/dm/send");
    CHECK(url->join("twitter/user/info?userName=a") == "/getxapi/twitter/user/info?userName=a");
    CHECK(url->join("?q=1") == "/getxapi?q=1");
    CHECK(url->join("") == "/getxapi");
  }
  SUBCASE("IPv6 literal") {
    auto url = parse_base_url("http://[::1]:9000/p");
    REQUIRE(url.has_value());
    CHECK(url->host == "::1");
    CHECK(url->port == 9000);
    CHECK(url->host_header == "[::1]:9000");
  }
  SUBCASE("rejections") {
    auto scheme = parse_base_url("ftp://example.com");
    REQUIRE_FALSE(scheme.has_value());
    CHECK(scheme.error().message.find("unsupported scheme \"ftp\"") != std::string::npos);
    auto credentials = parse_base_url("https://user:hunter2@example.com");
    REQUIRE_FALSE(credentials.has_value());
    CHECK(credentials.error().message.find("hunter2") == std::string::npos);
    for (auto bad : {"example.com", "http://", "http://:80", "http://host:0", "http://host:65536", "http://host:",
                     "http://host:8x", "http://ho st", "http://host/p?q=1", "http://host#f", "http://[::1", "http://[zz]",
                     "http://[::1]x"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_base_url(bad).has_value());
    }
  }
}

TEST_CASE("base_url parsing: every rejection names its problem and repeats no part of the URL") {
  using P = BaseUrlProblem;
  std::pair<char const*, P> const cases[] = {
      {"example.com", P::no_scheme},
      {"://host", P::no_scheme},
      {"1http://host", P::no_scheme},
      {"user:pw-SECRET@host://x", P::no_scheme},
      {"ftp://example.com", P::unsupported_scheme},
      {"https://exa mple.com", P::space_or_control},
      {"https://host/a\tb", P::space_or_control},
      {"https://host/a\x01", P::space_or_control},
      {"https://host/a\x7f", P::space_or_control},
      {"https://user:pw-SECRET@example.com", P::credentials},
      {"https://pw-SECRET@example.com/p", P::credentials},
      {"https://example.com/?key=pw-SECRET", P::query_or_fragment},
      {"https://example.com#pw-SECRET", P::query_or_fragment},
      {"https://[::1", P::unterminated_ipv6},
      {"https://[zz]", P::invalid_ipv6},
      {"https://[]", P::invalid_ipv6},
      {"https://[::1]x", P::text_after_ipv6},
      {"https://", P::missing_host},
      {"https://:443", P::missing_host},
      {"https:///p", P::missing_host},
      {"https://ho%73t", P::invalid_host},
      {"https://a:b:443", P::invalid_host},
      {"https://host:", P::invalid_port},
      {"https://host:0", P::invalid_port},
      {"https://host:65536", P::invalid_port},
      {"https://host:000443", P::invalid_port},
      {"https://host:+443", P::invalid_port},
      {"https://[::1]:", P::invalid_port},
  };
  for (auto const& [url, problem] : cases) {
    CAPTURE(url);
    auto const parsed = parse_base_url(url);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().problem == problem);
    std::string const& message = parsed.error().message;
    CHECK(message.rfind("base_url", 0) == 0);
    CHECK(message.find("SECRET") == std::string::npos);
    if (problem != P::unsupported_scheme) CHECK(message == "base_url: " + std::string(describe(problem)) + ".");
  }
  // An unsupported scheme is named (lowercased): a well-formed scheme cannot hold user-info.
  CHECK(parse_base_url("FTP://example.com").error().message ==
        "base_url: unsupported scheme \"ftp\"; only http and https are supported.");
}

TEST_CASE("base_url parsing: ports, hosts and paths") {
  CHECK(parse_base_url("https://h:08443").value().port == 8443);
  CHECK(parse_base_url("http://h:65535").value().port == 65535);
  CHECK(parse_base_url("http://h:1").value().host_header == "h:1");
  CHECK(parse_base_url("http://h:80").value().host_header == "h");          // the default port is implied
  CHECK(parse_base_url("https://h:80").value().origin == "https://h:80");
  CHECK(parse_base_url("http://Host_1.Example-2").value().host == "host_1.example-2");
  CHECK(parse_base_url("https://[::FFFF:127.0.0.1]").value().host == "::FFFF:127.0.0.1");  // an address, as written
  CHECK(parse_base_url("https://h//a//b//").value().path_prefix == "//a//b");
  CHECK(parse_base_url("https://h/caf\xC3\xA9/@x").value().path_prefix == "/caf\xC3\xA9/@x");  // '@' after the authority is a path byte
  CHECK_THROWS_AS((void)parse_base_url("ftp://h").value(), ErrorException);
}

TEST_CASE("check-config's base_url is parse_base_url's, with the scheme in lowercase") {
  for (std::string const url : {"https://api.getxapi.com", "http://127.0.0.1:8080/x_api//", "https://[::1]:8443/p",
                                "HTTPS://example.com", "Http://example.com", "https://h:000443", "https://h/a\x01",
                                "https://u:pw-SECRET@h", "https://h/?k=pw-SECRET", "ftp://pw-SECRET", "https://[::1]x"}) {
    CAPTURE(url);
    auto const parsed = parse_base_url(url);
    auto const normalized = normalize_base_url(url);
    bool const lowercase_scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    CHECK(normalized.has_value() == (parsed.has_value() && lowercase_scheme));
    if (normalized) {
      auto const again = parse_base_url(*normalized);
      REQUIRE(again.has_value());
      CHECK(again->origin == parsed->origin);
      CHECK(again->path_prefix == parsed->path_prefix);
      CHECK(normalize_base_url(*normalized).value() == *normalized);
    } else {
      CHECK(normalized.error().message.find("SECRET") == std::string::npos);
    }
  }
  CHECK(normalize_base_url("https://[::1]x").error().message == "is not a valid URL: there is text after the IPv6 address");
  CHECK(normalize_base_url("HTTPS://example.com").error().message == "must start with http:// or https://");
  // A URL the parser rejects is never "remote plain http": nothing is sent to it.
  CHECK_FALSE(is_remote_plain_http("http://exa mple.com"));
  CHECK(is_remote_plain_http("HTTP://example.com"));
  CHECK_FALSE(is_remote_plain_http("HTTP://LOCALHOST"));
}
