// config/config: load_config_text, the TOML config's own checks (toml++ parses; we check).
// Secrets resolve through a fake environment map only: no real variables, and never files. A
// text that could name a secret file (`file` anywhere, or a TOML escape that could spell it) is
// loaded with resolve = false (shapes checked, nothing read); credentials never resolve (no
// $CREDENTIALS_DIRECTORY). Every other input is loaded both ways.
// Invariants:
// - a config is returned exactly when there are no errors; loading is deterministic;
// - every error and warning names the file, and the line when it has one (within the text);
//   outside_service_errors index errors in ascending order;
// - no secret value (from the fake environment, or a plain-string secret of a loaded config)
//   appears in any error or warning;
// - a loaded config keeps its promises: valid unique account names whose provider is
//   configured, caps within the tier, pacing min <= max, positive timeouts and durations that
//   round-trip, base_urls that are normalized and usable by the HTTP client (core/base_url),
//   proxies the codecs can split, tweetapi accounts with a decimal user_id and a proxy, and a
//   control socket path that fits sockaddr_un.
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common.hpp"
#include "config/config.hpp"
#include "config/url_check.hpp"
#include "core/base_url.hpp"
#include "core/duration.hpp"
#include "core/providers/wire_format.hpp"

using namespace outreach;

namespace {

const std::string kSource = "fuzz.toml";
const std::map<std::string, std::string> kEnvironment{
    {"API_KEY", "FUZZ-ENV-API-KEY-93f1c2"},
    {"AUTH_TOKEN", "FUZZ-ENV-AUTH-TOKEN-7d41aa"},
    {"PROXY", "http://envuser:FuzzEnvProxyPw55@10.1.2.3:3128"},
    {"BAD_PROXY", "not a proxy FUZZ-ENV-BAD-PROXY-61"},
    {"ACCESS", "FUZZ-ENV-ACCESS-0c9e"},
    {"REFRESH", "FUZZ-ENV-REFRESH-11ab"},
    {"EMPTY", ""},
};
const std::vector<std::string> kEnvSecrets{"FUZZ-ENV-API-KEY-93f1c2", "FUZZ-ENV-AUTH-TOKEN-7d41aa", "FuzzEnvProxyPw55",
                                           "FUZZ-ENV-BAD-PROXY-61",   "FUZZ-ENV-ACCESS-0c9e",       "FUZZ-ENV-REFRESH-11ab"};

bool may_name_a_file(std::string_view text) {
  return fuzz::contains(text, "file") || fuzz::contains(text, "\\u") || fuzz::contains(text, "\\U") ||
         fuzz::contains(text, "\\x");
}

/// Whether `s` looks like a credential rather than words a message may hold anyway: 12 or more of
/// [A-Za-z0-9_-], letters and digits mixed (no message's fixed text has such a run).
bool credential_like(std::string_view s) {
  if (s.size() < 12) return false;
  bool digit = false, letter = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') digit = true;
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) letter = true;
    else if (c != '_' && c != '-') return false;
  }
  return digit && letter;
}

/// Plain-string secrets in the text (values of the secret keys, and a proxy's password), as
/// toml++ reads them. Only credential-like values count, and not those that also occur inside a
/// key or another string value (a message may quote those legitimately).
std::vector<std::string> plain_secrets(std::string_view text) {
  static const std::vector<std::string_view> kSecretKeys{"api_key",      "client_secret", "auth_token",
                                                         "access_token", "refresh_token", "proxy"};
  toml::table root;
  try {
    root = toml::parse(text, std::string_view{kSource});
  } catch (toml::parse_error const&) {
    return {};
  }
  std::vector<std::string> secret, other;
  auto walk = [&](auto&& self, toml::node const& node, std::string_view key) -> void {
    if (auto t = node.as_table()) {
      for (auto&& [k, v] : *t) {
        other.emplace_back(k.str());
        self(self, v, k.str());
      }
    } else if (auto a = node.as_array()) {
      for (auto const& v : *a) self(self, v, key);
    } else if (auto str = node.as_string()) {
      const bool is_secret = std::find(kSecretKeys.begin(), kSecretKeys.end(), key) != kSecretKeys.end();
      (is_secret ? secret : other).push_back(str->get());
      if (key == "proxy") {
        if (auto parts = codec::split_proxy(str->get()); parts && parts->userinfo.find(':') != std::string::npos)
          secret.push_back(codec::percent_decode(parts->userinfo.substr(parts->userinfo.find(':') + 1)));
      }
    }
  };
  walk(walk, root, {});
  std::vector<std::string> out;
  for (std::string const& s : secret) {
    if (!credential_like(s)) continue;
    const bool elsewhere = std::any_of(other.begin(), other.end(), [&](std::string const& o) { return fuzz::contains(o, s); });
    if (!elsewhere) out.push_back(s);
  }
  return out;
}

void check_message(std::string const& m, std::size_t last_line, std::vector<std::string> const& secrets) {
  FUZZ_CHECK(fuzz::starts_with(m, kSource + ":"), "a message that does not name the file: " + fuzz::show(m));
  std::size_t line = 0;
  if (fuzz::number_after(m, kSource + ":", line)) {
    FUZZ_CHECK(line >= 1 && line <= last_line, "line " + std::to_string(line) + " of " + std::to_string(last_line));
  }
  FUZZ_CHECK(m.size() > kSource.size() + 2, "a message without text");
  for (std::string const& s : secrets) FUZZ_CHECK(!fuzz::contains(m, s), "the secret " + s + " appears in " + fuzz::show(m));
}

void check_duration(Duration d, char const* what) {
  auto back = parse_duration(format_duration(d));
  FUZZ_CHECK(back && *back == d, std::string(what) + " does not round-trip");
}

void check_config(Config const& c, bool resolved) {
  FUZZ_CHECK(!c.state_dir.empty() && !c.watch_dir.empty(), "");
  FUZZ_CHECK(control_socket_path(c.state_dir).size() <= kMaxUnixSocketPathBytes, c.state_dir);
  FUZZ_CHECK(c.pacing.min <= c.pacing.max, "pacing");
  FUZZ_CHECK(c.pacing.min >= Duration{0}, "pacing");
  FUZZ_CHECK(c.http.connect_timeout > Duration{0} && c.http.request_timeout > Duration{0}, "http timeouts");
  FUZZ_CHECK(c.retry.max_attempts >= 1, "max_attempts");
  check_duration(c.pacing.min, "pacing.min_delay");
  check_duration(c.pacing.max, "pacing.max_delay");
  check_duration(c.can_dm.cache_ttl, "can_dm.cache_ttl");
  check_duration(c.safety.contact_cooldown, "safety.contact_cooldown");
  check_duration(c.http.connect_timeout, "http.connect_timeout");
  for (std::size_t i = 0; i < c.providers.size(); ++i) {
    ProviderConfig const& p = c.providers[i];
    if (i > 0) FUZZ_CHECK(c.providers[i - 1].kind < p.kind, "providers out of order or repeated");
    auto normalized = normalize_base_url(p.base_url);
    FUZZ_CHECK(normalized && *normalized == p.base_url, "base_url not normalized: " + p.base_url);
    auto client = parse_base_url(p.base_url);
    FUZZ_CHECK(client, "the HTTP client rejects the loaded base_url " + p.base_url + ": " + client.error().message);
    FUZZ_CHECK(!is_remote_plain_http(p.base_url) || p.allow_insecure_http, "plain http to a remote host");
    if (p.kind == ProviderKind::x_api) FUZZ_CHECK(!p.client_id.empty(), "x_api without client_id");
  }
  for (std::size_t i = 0; i < c.accounts.size(); ++i) {
    AccountConfig const& a = c.accounts[i];
    FUZZ_CHECK(!a.name.empty(), "");
    for (char ch : a.name)
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-', a.name);
    for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(c.accounts[j].name != a.name, "duplicate account " + a.name);
    FUZZ_CHECK(c.find_provider(a.provider) != nullptr, a.name + "'s provider is not configured");
    FUZZ_CHECK(c.find_account(a.name) == &a || c.find_account(a.name) != nullptr, "");
    FUZZ_CHECK(a.effective_cap >= 0 && a.effective_cap <= tier_cap(a.tier), "effective_cap");
    if (a.daily_cap) FUZZ_CHECK(*a.daily_cap >= 0 && *a.daily_cap <= tier_cap(a.tier), "daily_cap above the tier");
    if (a.user_id) FUZZ_CHECK(codec::is_decimal_id(*a.user_id), *a.user_id);
    if (a.provider == ProviderKind::tweetapi) FUZZ_CHECK(a.user_id.has_value(), "tweetapi without user_id");
    if (a.provider == ProviderKind::tweetapi || a.provider == ProviderKind::twitterapi_io)
      FUZZ_CHECK(a.proxy.has_value(), "an account that needs a proxy has none");
    if (resolved && a.proxy) {
      FUZZ_CHECK(!proxy_problem(a.proxy->reveal()), "");
      auto parts = codec::split_proxy(a.proxy->reveal());
      FUZZ_CHECK(parts, "the codecs cannot use the loaded proxy: " + parts.error().message);
    }
    if (resolved && a.provider != ProviderKind::x_api) FUZZ_CHECK(!a.auth_token.empty(), "no auth_token");
    if (resolved && a.provider == ProviderKind::x_api)
      FUZZ_CHECK(!a.access_token.empty() && !a.refresh_token.empty(), "no OAuth tokens");
  }
}

ConfigLoad load(std::string_view text, bool resolve) {
  SecretEnvironment env = SecretEnvironment::from_map(kEnvironment);
  env.resolve = resolve;
  return load_config_text(text, kSource, env, "/nonexistent-fuzz-base");
}

void check_load(std::string_view text, bool resolve) {
  const ConfigLoad out = load(text, resolve);
  const ConfigLoad again = load(text, resolve);
  FUZZ_CHECK(out.errors == again.errors && out.warnings == again.warnings && out.state_dir == again.state_dir,
             "loading is not deterministic");
  FUZZ_CHECK(out.config.has_value() == out.errors.empty(), "a config with errors, or no config without errors");

  // Secrets that must never be quoted: the fake environment's values (unless the text itself
  // spells them, e.g. as a key) and the plain-string secrets of the text.
  std::vector<std::string> secrets = plain_secrets(text);
  for (std::string const& s : kEnvSecrets)
    if (!fuzz::contains(text, s)) secrets.push_back(s);
  // The last line a message may name: toml++ counts LF-terminated lines.
  const std::size_t last_line = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (std::string const& e : out.errors) check_message(e, last_line, secrets);
  for (std::string const& w : out.warnings) {
    check_message(w, last_line, secrets);
    // The only warning there is: "<file>:<line>: <key path>: is a plain string ...".
    FUZZ_CHECK(fuzz::contains(w, ": is a plain string in the config file; prefer { env = \"VAR\" }"), fuzz::show(w));
  }
  for (std::size_t i = 0; i < out.outside_service_errors.size(); ++i) {
    FUZZ_CHECK(out.outside_service_errors[i] < out.errors.size(), "");
    if (i > 0) FUZZ_CHECK(out.outside_service_errors[i - 1] < out.outside_service_errors[i], "");
    FUZZ_CHECK(fuzz::contains(out.errors[out.outside_service_errors[i]], "CREDENTIALS_DIRECTORY"),
               out.errors[out.outside_service_errors[i]]);
  }
  if (out.config) {
    FUZZ_CHECK(out.state_dir == out.config->state_dir, "");
    check_config(*out.config, resolve);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_load(text, /*resolve=*/false);
  if (!may_name_a_file(text)) check_load(text, /*resolve=*/true);
  return 0;
}
