// The HTTP URL parsers: config/url_check (base_url and proxy shape checks at config load) and
// daemon/url.cpp (parse_base_url, what the HTTP client connects with; pure, no Asio), plus the
// codecs' proxy spellings (core/providers/wire_format: split_proxy and friends) and the Redactor
// that must hide them. The input is one URL or proxy address.
// Invariants:
// - a base_url the config accepts is normalized idempotently, parses in the HTTP client to the
//   same scheme/host/port/prefix as the text as written, and is_remote_plain_http agrees with
//   the parsed host; rejections never repeat the text (it may hold credentials);
// - parse_base_url's result is consistent (default ports, origin, Host header, join) and
//   re-parses from its own parts; a rejected URL with credentials does not echo them;
// - a proxy the config accepts is usable by the codecs (split_proxy, URL and tweetapi forms
//   succeed), its URL form is canonical (accepted again, and unchanged by a second pass), and
//   the Redactor scrubs every form the codecs send; config messages never repeat the proxy.
#include <algorithm>
#include <cctype>

#include "common.hpp"
#include "config/url_check.hpp"
#include "core/providers/redactor.hpp"
#include "core/providers/wire_format.hpp"
#include "daemon/url.hpp"

using namespace outreach;

namespace {

// config/url_check's messages are fixed sentences: none repeats any part of what it was given.
const std::vector<std::string> kAuthorityProblems{
    "the IPv6 address has no closing ]", "the IPv6 address is malformed", "there is text after the IPv6 address",
    "the host is missing", "the host name has an invalid character", "the port is not a number from 1 to 65535",
    "the port is missing"};

bool fixed_base_url_message(std::string const& m) {
  for (char const* s : {"must start with http:// or https://", "must not contain spaces or control characters",
                        "must not carry a query or fragment",
                        "must not carry credentials (the provider's key belongs in api_key)"})
    if (m == s) return true;
  for (auto const& a : kAuthorityProblems)
    if (m == "is not a valid URL: " + a) return true;
  return false;
}

bool fixed_proxy_message(std::string const& m) {
  for (char const* s : {"it is empty", "it contains spaces or control characters",
                        "the scheme is not http, https, socks4 or socks5", "the credentials are not user:pass",
                        "it has a path"})
    if (m == s) return true;
  return std::find(kAuthorityProblems.begin(), kAuthorityProblems.end(), m) != kAuthorityProblems.end();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void check_base_url_parts(std::string_view url, BaseUrl const& b) {
  FUZZ_CHECK(b.port >= 1, fuzz::show(url));
  FUZZ_CHECK(b.path_prefix.empty() || (b.path_prefix.back() != '/' && b.path_prefix.front() == '/'),
             fuzz::show(b.path_prefix));
  const bool bracket = fuzz::starts_with(b.host_header, "[");
  const std::string shown = bracket ? "[" + b.host + "]" : b.host;
  const bool default_port = b.port == (b.tls ? 443 : 80);
  FUZZ_CHECK(b.host_header == (default_port ? shown : shown + ":" + std::to_string(b.port)), b.host_header);
  FUZZ_CHECK(b.origin == std::string(b.tls ? "https" : "http") + "://" + shown + ":" + std::to_string(b.port), b.origin);
  if (!bracket) FUZZ_CHECK(b.host == lower(b.host), b.host);
  FUZZ_CHECK(b.join("") == (b.path_prefix.empty() ? "/" : b.path_prefix), "");
  FUZZ_CHECK(b.join("x") == b.path_prefix + "/x" && b.join("/x") == b.path_prefix + "/x" &&
                 b.join("?q") == b.path_prefix + "?q",
             "join");
  // Rebuilt from its parts, it parses to the same parts.
  const std::string rebuilt = std::string(b.tls ? "https://" : "http://") + b.host_header + b.path_prefix;
  auto again = parse_base_url(rebuilt);
  FUZZ_CHECK(again, "the rebuilt " + fuzz::show(rebuilt) + " does not parse: " + again.error().message);
  FUZZ_CHECK(again->tls == b.tls && again->host == b.host && again->port == b.port && again->path_prefix == b.path_prefix &&
                 again->origin == b.origin && again->host_header == b.host_header,
             "re-parsing " + fuzz::show(rebuilt) + " changes it");
}

void check_base_url(std::string_view url) {
  auto parsed = parse_base_url(url);
  if (parsed) {
    check_base_url_parts(url, *parsed);
  } else {
    FUZZ_CHECK(fuzz::starts_with(parsed.error().message, "base_url"), parsed.error().message);
    // Credentials in the authority are refused without being echoed.
    const auto scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string_view::npos ? std::string() : lower(url.substr(0, scheme_end));
    if (scheme == "http" || scheme == "https") {
      const std::string_view rest = url.substr(scheme_end + 3);
      const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
      if (authority.find('@') != std::string_view::npos)
        FUZZ_CHECK(parsed.error().message == "base_url must not contain credentials (user:password@host).",
                   "credentials may be echoed in " + fuzz::show(parsed.error().message));
    }
  }

  auto normalized = normalize_base_url(url);
  if (!normalized) {
    FUZZ_CHECK(fixed_base_url_message(normalized.error().message), "not a fixed sentence: " + normalized.error().message);
    return;
  }
  std::string const& n = *normalized;
  FUZZ_CHECK(fuzz::starts_with(n, "http://") || fuzz::starts_with(n, "https://"), n);
  FUZZ_CHECK(n.back() != '/', n);
  auto twice = normalize_base_url(n);
  FUZZ_CHECK(twice && *twice == n, "normalize_base_url is not idempotent on " + fuzz::show(n));
  // What check-config accepts, the HTTP client must be able to use.
  auto client = parse_base_url(n);
  FUZZ_CHECK(client, "config accepts " + fuzz::show(n) + " but the HTTP client rejects it: " + client.error().message);
  FUZZ_CHECK(parsed, "config accepts " + fuzz::show(url) + " but the HTTP client rejects it as written");
  FUZZ_CHECK(client->tls == parsed->tls && client->host == parsed->host && client->port == parsed->port &&
                 client->path_prefix == parsed->path_prefix,
             "normalizing changed what " + fuzz::show(url) + " means");
  FUZZ_CHECK(is_remote_plain_http(n) == (!client->tls && !is_loopback_host(client->host)),
             "is_remote_plain_http disagrees with the parsed host of " + fuzz::show(n));
}

void check_proxy(std::string_view proxy) {
  (void)proxy_has_credentials(proxy);
  const auto problem = proxy_problem(proxy);
  if (problem) {
    FUZZ_CHECK(fixed_proxy_message(*problem), "not a fixed sentence: " + *problem);
    return;
  }
  // Accepted by the config: the codecs must be able to send it.
  auto parts = codec::split_proxy(proxy);
  FUZZ_CHECK(parts, "config accepts the proxy " + fuzz::show(proxy) + " but split_proxy rejects it: " + parts.error().message);
  auto url_form = codec::proxy_url_form(proxy);
  auto tweetapi_form = codec::tweetapi_proxy_form(proxy);
  FUZZ_CHECK(url_form && tweetapi_form, "");
  FUZZ_CHECK(parts->userinfo.empty() != proxy_has_credentials(proxy),
             "split_proxy and proxy_has_credentials disagree on " + fuzz::show(proxy));
  // The URL form is canonical: accepted by the config, read the same way, unchanged by a second pass.
  const auto url_problem = proxy_problem(*url_form);
  FUZZ_CHECK(!url_problem, "the URL form " + fuzz::show(*url_form) + " of the accepted proxy " + fuzz::show(proxy) +
                               " is rejected: " + url_problem.value_or(""));
  auto again = codec::split_proxy(*url_form);
  FUZZ_CHECK(again && again->userinfo == parts->userinfo && again->hostport == parts->hostport,
             fuzz::show(proxy) + " and its URL form " + fuzz::show(*url_form) + " name different proxies");
  auto url_twice = codec::proxy_url_form(*url_form);
  FUZZ_CHECK(url_twice && *url_twice == *url_form, "proxy_url_form is not idempotent on " + fuzz::show(proxy));

  // Whatever form a request carried, an echo of it is scrubbed.
  if (!parts->userinfo.empty()) {
    ProviderCredentials provider;
    AccountCredentials account;
    account.proxy = Secret(std::string(proxy));
    const codec::Redactor redactor(provider, account);
    const std::string userinfo = parts->userinfo;
    const auto colon = userinfo.find(':');
    const std::string password = colon == std::string::npos ? std::string() : userinfo.substr(colon + 1);
    const std::string decoded = codec::percent_decode(password);
    for (std::string const& form : {*url_form, *tweetapi_form, std::string(proxy)}) {
      // What is left beside the redaction marks must not hold the password or the whole form.
      std::string scrubbed = redactor.scrub("<" + form + ">");
      for (auto at = scrubbed.find("[redacted]"); at != std::string::npos; at = scrubbed.find("[redacted]"))
        scrubbed.replace(at, 10, "\x01");
      if (password.size() >= 4) FUZZ_CHECK(!fuzz::contains(scrubbed, password), "the password survives in " + fuzz::show(scrubbed));
      if (decoded.size() >= 4) FUZZ_CHECK(!fuzz::contains(scrubbed, decoded), "the password survives in " + fuzz::show(scrubbed));
      FUZZ_CHECK(!fuzz::contains(scrubbed, form), "the proxy survives in " + fuzz::show(scrubbed));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_base_url(text);
  check_proxy(text);
  const bool loopback = is_loopback_host(text);
  if (text.empty() || text.front() != '[')
    FUZZ_CHECK(loopback == is_loopback_host("[" + std::string(text) + "]"), "brackets change is_loopback_host");
  return 0;
}
