// The URL readers: core/base_url (parse_base_url, the one reader of a provider's base_url, used
// by the HTTP client and by config/url_check's normalize_base_url and is_remote_plain_http), the
// config's proxy check (config/url_check), the codecs' proxy spellings (core/providers/wire_format:
// split_proxy and friends) and the Redactor that must hide them. The input is one URL or proxy address.
// Invariants:
// - parse_base_url reads what is written: an accepted URL has the scheme, host, port and path
//   prefix that an independent split of the text finds; its parts are consistent (default ports,
//   origin, Host header, join) and re-parse from themselves; a rejection is the fixed sentence of
//   its problem, naming at most a well-formed scheme (the URL may hold credentials);
// - normalize_base_url accepts exactly what parse_base_url accepts with a lowercase scheme, is
//   idempotent, keeps the meaning (same parts), and rejects with fixed sentences only;
//   is_remote_plain_http agrees with the host as written in the normalized text;
// - a proxy the config accepts is usable by the codecs (split_proxy, URL and tweetapi forms
//   succeed), its URL form is canonical (accepted again, and unchanged by a second pass), and
//   the Redactor scrubs every form the codecs send; config messages never repeat the proxy.
#include <algorithm>
#include <cctype>

#include "common.hpp"
#include "config/url_check.hpp"
#include "core/base_url.hpp"
#include "core/providers/redactor.hpp"
#include "core/providers/wire_format.hpp"

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

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// The text as written, split without parse_base_url's rules: scheme, authority (up to the first
// '/'), host (brackets kept) and port text, path. For URLs parse_base_url accepted, so no '?' or '#'.
struct WrittenUrl {
  std::string_view scheme, authority, host, port, path;
  bool has_port = false;
};

WrittenUrl split_written(std::string_view url) {
  WrittenUrl w;
  const auto scheme_end = url.find("://");
  w.scheme = url.substr(0, scheme_end);
  const std::string_view rest = url.substr(scheme_end + 3);
  w.authority = rest.substr(0, rest.find('/'));
  w.path = rest.substr(w.authority.size());
  const auto port_colon = w.authority.front() == '[' ? w.authority.find(':', w.authority.find(']')) : w.authority.rfind(':');
  w.host = w.authority.substr(0, port_colon);
  if (port_colon != std::string_view::npos) {
    w.has_port = true;
    w.port = w.authority.substr(port_colon + 1);
  }
  return w;
}

void check_base_url_parts(std::string_view url, BaseUrl const& b) {
  // The parts are what the text says.
  const WrittenUrl w = split_written(url);
  FUZZ_CHECK(lower(w.scheme) == (b.tls ? "https" : "http"), fuzz::show(url));
  const bool bracket = w.host.front() == '[';
  FUZZ_CHECK(bracket ? "[" + b.host + "]" == w.host : b.host == lower(w.host), fuzz::show(url) + " -> " + b.host);
  unsigned written_port = b.tls ? 443 : 80;
  if (w.has_port) {
    FUZZ_CHECK(!w.port.empty() && w.port.size() <= 5, fuzz::show(url));
    written_port = 0;
    for (char c : w.port) {
      FUZZ_CHECK(c >= '0' && c <= '9', fuzz::show(url));
      written_port = written_port * 10 + static_cast<unsigned>(c - '0');
    }
  }
  FUZZ_CHECK(b.port == written_port, fuzz::show(url) + " -> port " + std::to_string(b.port));
  std::string_view prefix = w.path;
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  FUZZ_CHECK(b.path_prefix == prefix, fuzz::show(url) + " -> " + fuzz::show(b.path_prefix));

  FUZZ_CHECK(b.port >= 1, fuzz::show(url));
  FUZZ_CHECK(b.path_prefix.empty() || (b.path_prefix.back() != '/' && b.path_prefix.front() == '/'),
             fuzz::show(b.path_prefix));
  FUZZ_CHECK(fuzz::starts_with(b.host_header, "[") == bracket, b.host_header);
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

// A rejection is the fixed sentence of its problem; an unsupported scheme is named only when it
// is the well-formed scheme written in front of "://".
void check_base_url_error(std::string_view url, BaseUrlError const& e) {
  if (e.problem != BaseUrlProblem::unsupported_scheme) {
    FUZZ_CHECK(e.message == "base_url: " + std::string(describe(e.problem)) + ".", "not a fixed sentence: " + e.message);
    return;
  }
  const std::string_view scheme = url.substr(0, url.find("://"));
  FUZZ_CHECK(!scheme.empty() && scheme.size() < url.size() && std::all_of(scheme.begin(), scheme.end(), is_scheme_char),
             "unsupported_scheme for " + fuzz::show(url));
  FUZZ_CHECK(lower(scheme) != "http" && lower(scheme) != "https", fuzz::show(url));
  FUZZ_CHECK(e.message == "base_url: unsupported scheme \"" + lower(scheme) + "\"; " +
                              std::string(describe(BaseUrlProblem::unsupported_scheme)) + ".",
             "not a fixed sentence: " + e.message);
}

void check_base_url(std::string_view url) {
  auto parsed = parse_base_url(url);
  if (parsed)
    check_base_url_parts(url, *parsed);
  else
    check_base_url_error(url, parsed.error());

  auto normalized = normalize_base_url(url);
  const bool lowercase_scheme = fuzz::starts_with(url, "http://") || fuzz::starts_with(url, "https://");
  FUZZ_CHECK(normalized.has_value() == (parsed && lowercase_scheme),
             "check-config and the HTTP client disagree on " + fuzz::show(url));
  // The plain-http check sees the host as written; a URL that does not parse is never sent to.
  if (parsed) {
    const WrittenUrl w = split_written(url);
    FUZZ_CHECK(is_remote_plain_http(url) == (lower(w.scheme) == "http" && !is_loopback_host(w.host)),
               "is_remote_plain_http disagrees with the host written in " + fuzz::show(url));
  } else {
    FUZZ_CHECK(!is_remote_plain_http(url), fuzz::show(url));
  }
  if (!normalized) {
    FUZZ_CHECK(fixed_base_url_message(normalized.error().message), "not a fixed sentence: " + normalized.error().message);
    return;
  }
  std::string const& n = *normalized;
  FUZZ_CHECK(fuzz::starts_with(n, "http://") || fuzz::starts_with(n, "https://"), n);
  FUZZ_CHECK(n.back() != '/', n);
  FUZZ_CHECK(fuzz::starts_with(url, n), "normalizing did more than drop trailing slashes: " + fuzz::show(n));
  auto twice = normalize_base_url(n);
  FUZZ_CHECK(twice && *twice == n, "normalize_base_url is not idempotent on " + fuzz::show(n));
  auto client = parse_base_url(n);
  FUZZ_CHECK(client, "config accepts " + fuzz::show(n) + " but the HTTP client rejects it: " + client.error().message);
  FUZZ_CHECK(client->tls == parsed->tls && client->host == parsed->host && client->port == parsed->port &&
                 client->path_prefix == parsed->path_prefix,
             "normalizing changed what " + fuzz::show(url) + " means");
  FUZZ_CHECK(is_remote_plain_http(n) == is_remote_plain_http(url), fuzz::show(url));
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
