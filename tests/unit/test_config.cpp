#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/secret_source.hpp"
#include "config/url_check.hpp"
#include "support/temp_dir.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

using outreach::testing::TempDir;

std::string joined(std::vector<std::string> const& lines) {
  std::string out;
  for (auto const& l : lines) out += l + "\n";
  return out;
}

/// The defaults of every top-level setting (README.md#config-reference).
void check_spec_defaults(Config const& c) {
  CHECK(c.state_dir == "/var/lib/outreachd");
  CHECK(c.watch_dir == "/var/lib/outreachd/campaigns");
  CHECK(c.log_level == LogLevel::info);
  CHECK(c.pacing.min == 2s);
  CHECK(c.pacing.max == 5s);
  CHECK(c.retry.backoff.base == 30s);
  CHECK(c.retry.backoff.max == 1h);
  CHECK(c.retry.max_attempts == 5);
  CHECK(c.can_dm.cache_ttl == 24h);
  CHECK(c.http.connect_timeout == 10s);
  CHECK(c.http.request_timeout == 30s);
}

bool contains(std::string const& haystack, std::string const& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Exactly one error mentions `fragment`, and that error also names the file (and line when given).
void check_one_error(ConfigLoad const& load, std::string const& fragment, std::string const& location = {}) {
  int hits = 0;
  for (auto const& e : load.errors) {
    if (!contains(e, fragment)) continue;
    ++hits;
    if (!location.empty()) CHECK_MESSAGE(e.rfind(location + ": ", 0) == 0, e);
  }
  CHECK_MESSAGE(hits == 1, "expected one error with \"" << fragment << "\" in:\n" << joined(load.errors));
  CHECK_FALSE(load.config.has_value());
}

ConfigLoad load(std::string const& text, SecretEnvironment const& env = SecretEnvironment::from_map({})) {
  return load_config_text(text, "test.toml", env);
}

// Minimal valid provider table and account, for tests that break one thing elsewhere.
constexpr char const* kGetxapi = R"(
[providers.getxapi]
api_key = { env = "KEY" }
)";

SecretEnvironment key_env() { return SecretEnvironment::from_map({{"KEY", "key-value-1234"}}); }

}  // namespace

TEST_CASE("the full example config loads, with secrets from env, file and credential") {
  TempDir dir;
  TempDir creds;
  const auto twitterapi_key = dir.write("twitterapi_io.key", "tio-key-SECRET\n");
  const auto access = dir.write("brand.access", "brand-access-SECRET\r\n");
  const auto refresh = dir.write("brand.refresh", "brand-refresh-SECRET");
  creds.write("tweetapi.key", "tweetapi-key-SECRET\n");
  const auto env = SecretEnvironment::from_map({{"GETXAPI_KEY", "getx-key-SECRET"},
                                                {"X_CLIENT_SECRET", "x-client-SECRET"},
                                                {"SALES1_AUTH_TOKEN", "sales1-token-SECRET"},
                                                {"CREDENTIALS_DIRECTORY", creds.str()}});
  const std::string text = R"(
state_dir = "/var/lib/outreachd"            # outreachd.db lives here
watch_dir = "/var/lib/outreachd/campaigns"  # campaign files are dropped here
log_level = "info"                           # trace|debug|info|warn|error

[pacing]
min_delay = "2s"
max_delay = "5s"

[retry]
base_delay = "30s"
max_delay = "1h"
max_attempts = 5

[can_dm]
cache_ttl = "24h"

[http]
connect_timeout = "10s"
request_timeout = "30s"

[providers.getxapi]
api_key = { env = "GETXAPI_KEY" }
base_url = "https://api.getxapi.com"

[providers.twitterapi_io]
api_key = { file = ")" + twitterapi_key + R"(" }

[providers.tweetapi]
api_key = { credential = "tweetapi.key" }

[providers.x_api]
client_id = "my-client-id"
client_secret = { env = "X_CLIENT_SECRET" }

[[accounts]]
name = "sales-1"
provider = "getxapi"
tier = "established"
daily_cap = 800
auth_token = { env = "SALES1_AUTH_TOKEN" }
proxy = "http://user:pass-SECRET@proxy.example:8080"
user_id = "1858475867762270208"

[[accounts]]
name = "brand"
provider = "x_api"
tier = "premium"
access_token = { file = ")" + access + R"(" }
refresh_token = { file = ")" + refresh + R"(" }
)";
  const ConfigLoad result = load_config_text(text, "outreachd.toml", env);
  REQUIRE_MESSAGE(result.errors.empty(), joined(result.errors));
  REQUIRE(result.config.has_value());
  Config const& c = *result.config;
  check_spec_defaults(c);

  REQUIRE(c.providers.size() == 4);
  auto const* getx = c.find_provider(ProviderKind::getxapi);
  REQUIRE(getx != nullptr);
  CHECK(getx->api_key.reveal() == "getx-key-SECRET");
  CHECK(getx->base_url == "https://api.getxapi.com");
  auto const* tio = c.find_provider(ProviderKind::twitterapi_io);
  REQUIRE(tio != nullptr);
  CHECK(tio->api_key.reveal() == "tio-key-SECRET");  // trailing newline trimmed
  CHECK(tio->base_url == default_base_url(ProviderKind::twitterapi_io));
  auto const* tweet = c.find_provider(ProviderKind::tweetapi);
  REQUIRE(tweet != nullptr);
  CHECK(tweet->api_key.reveal() == "tweetapi-key-SECRET");
  auto const* x = c.find_provider(ProviderKind::x_api);
  REQUIRE(x != nullptr);
  CHECK(x->client_id == "my-client-id");
  REQUIRE(x->client_secret.has_value());
  CHECK(x->client_secret->reveal() == "x-client-SECRET");
  CHECK(x->base_url == "https://api.x.com");

  REQUIRE(c.accounts.size() == 2);
  auto const* sales = c.find_account("sales-1");
  REQUIRE(sales != nullptr);
  CHECK(sales->provider == ProviderKind::getxapi);
  CHECK(sales->tier == AccountTier::established);
  CHECK(sales->daily_cap == 800);
  CHECK(sales->effective_cap == 800);
  CHECK(sales->auth_token.reveal() == "sales1-token-SECRET");
  REQUIRE(sales->proxy.has_value());
  CHECK(sales->proxy->reveal() == "http://user:pass-SECRET@proxy.example:8080");
  CHECK(sales->user_id == "1858475867762270208");
  auto const* brand = c.find_account("brand");
  REQUIRE(brand != nullptr);
  CHECK(brand->provider == ProviderKind::x_api);
  CHECK(brand->tier == AccountTier::premium);
  CHECK_FALSE(brand->daily_cap.has_value());
  CHECK(brand->effective_cap == 1500);
  CHECK(brand->access_token.reveal() == "brand-access-SECRET");  // \r\n trimmed
  CHECK(brand->refresh_token.reveal() == "brand-refresh-SECRET");
  CHECK(c.find_account("nobody") == nullptr);

  // The only plain-string secret is the proxy with a password in it.
  REQUIRE(result.warnings.size() == 1);
  CHECK_MESSAGE(contains(result.warnings[0], "outreachd.toml:42: accounts[0].proxy: is a plain string"), result.warnings[0]);
  CHECK_FALSE(contains(joined(result.warnings), "SECRET"));
}

TEST_CASE("an empty config gets the documented defaults") {
  const ConfigLoad result = load("");
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  Config const& c = *result.config;
  check_spec_defaults(c);
  CHECK(c.providers.empty());
  CHECK(c.accounts.empty());
  CHECK(result.warnings.empty());
}

TEST_CASE("watch_dir follows state_dir unless given, relative paths follow the config file") {
  auto r = load(R"(state_dir = "/srv/outreach/")");
  REQUIRE(r.config.has_value());
  CHECK(r.config->state_dir == "/srv/outreach");
  CHECK(r.config->watch_dir == "/srv/outreach/campaigns");

  TempDir dir;
  dir.write("key", "file-key-value\n");
  r = load_config_text(R"(
state_dir = "state"
watch_dir = "./drop"
[providers.getxapi]
api_key = { file = "key" }
)",
                       "x.toml", SecretEnvironment::from_map({}), dir.str());
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->state_dir == dir.str() + "/state");
  CHECK(r.config->watch_dir == dir.str() + "/drop");
  CHECK(r.config->find_provider(ProviderKind::getxapi)->api_key.reveal() == "file-key-value");
}

TEST_CASE("load_config_file reads a file and names it in messages") {
  TempDir dir;
  dir.write("k", "the-key-value");
  const auto path = dir.write("outreachd.toml", "log_level = \"debug\"\n[providers.getxapi]\napi_key = { file = \"k\" }\n");
  auto r = load_config_file(path, SecretEnvironment::from_map({}));
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->log_level == LogLevel::debug);
  CHECK(r.config->find_provider(ProviderKind::getxapi)->api_key.reveal() == "the-key-value");

  const auto bad = dir.write("bad.toml", "\n\nlog_level = \"loud\"\n");
  r = load_config_file(bad, SecretEnvironment::from_map({}));
  check_one_error(r, "log_level: \"loud\" is not one of trace, debug, info, warn or error", bad + ":3");

  r = load_config_file(dir.str() + "/missing.toml", SecretEnvironment::from_map({}));
  REQUIRE(r.errors.size() == 1);
  CHECK(contains(r.errors[0], dir.str() + "/missing.toml"));
  CHECK(contains(r.errors[0], "No such file or directory"));

  r = load_config_file(dir.str(), SecretEnvironment::from_map({}));
  REQUIRE(r.errors.size() == 1);
  CHECK(contains(r.errors[0], "is a directory"));
}

TEST_CASE("invalid TOML is one error with its line") {
  auto r = load("a = 1\n[pacing\nmin_delay = \"2s\"\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(contains(r.errors[0], "test.toml:2: invalid TOML"));
}

TEST_CASE("unknown keys are errors at every level, each naming its key path") {
  auto r = load(std::string(R"(
colour = "blue"
[pacing]
min_dealy = "2s"
[retry]
tries = 3
[can_dm]
ttl = "1h"
[http]
timeout = "1s"
[providers.getxapi]
api_key = { env = "KEY", fallback = "x" }
apikey = "x"
[providers.smtp]
host = "x"
[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
auth_token = { env = "KEY" }
color = "red"
)"),
                key_env());
  check_one_error(r, "colour: unknown key", "test.toml:2");
  check_one_error(r, "pacing.min_dealy: unknown key; expected min_delay or max_delay", "test.toml:4");
  check_one_error(r, "retry.tries: unknown key", "test.toml:6");
  check_one_error(r, "can_dm.ttl: unknown key", "test.toml:8");
  check_one_error(r, "http.timeout: unknown key", "test.toml:10");
  check_one_error(r, "providers.getxapi.api_key.fallback: unknown key; expected env, file or credential",
                  "test.toml:12");
  check_one_error(r, "providers.getxapi.apikey: unknown key", "test.toml:13");
  check_one_error(r, "providers.smtp: unknown provider; expected getxapi, twitterapi_io, tweetapi or x_api",
                  "test.toml:14");
  check_one_error(r, "accounts[0].color: unknown key", "test.toml:21");
  CHECK(r.errors.size() == 9);
}

TEST_CASE("a credential of another provider is named as not used by this one") {
  auto r = load(std::string(kGetxapi) + R"(
[providers.x_api]
client_id = "cid"
api_key = "k"
[[accounts]]
name = "a"
provider = "x_api"
tier = "new"
access_token = { env = "KEY" }
refresh_token = { env = "KEY" }
auth_token = { env = "KEY" }
proxy = "host:8080"
[[accounts]]
name = "b"
provider = "getxapi"
tier = "new"
auth_token = { env = "KEY" }
refresh_token = { env = "KEY" }
)",
                key_env());
  check_one_error(r,
                  "providers.x_api.api_key: unknown key; expected client_id, client_secret, base_url or "
                  "allow_insecure_http");
  check_one_error(r, "accounts[0].auth_token: is not used by provider x_api");
  check_one_error(r, "accounts[0].proxy: is not used by provider x_api");
  check_one_error(r, "accounts[1].refresh_token: is not used by provider getxapi");
  CHECK(r.errors.size() == 4);
}

TEST_CASE("missing secrets are errors naming the key and the source, never a value") {
  TempDir dir;
  dir.write("empty.key", "\n");
  const auto env = SecretEnvironment::from_map({{"EMPTY", ""}, {"KEY", "key-value-1234"}});
  auto r = load_config_text(R"(
[providers.getxapi]
api_key = { env = "NOT_SET" }
[providers.twitterapi_io]
api_key = { file = "missing.key" }
[providers.tweetapi]
api_key = { credential = "tweetapi.key" }
[providers.x_api]
client_id = "cid"
client_secret = { file = "empty.key" }
[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
auth_token = { env = "EMPTY" }
[[accounts]]
name = "b"
provider = "getxapi"
tier = "new"
[[accounts]]
name = "c"
provider = "x_api"
tier = "new"
access_token = { env = "KEY", file = "/x" }
refresh_token = {}
)",
                            "test.toml", env, dir.str());
  check_one_error(r, "providers.getxapi.api_key: environment variable NOT_SET is not set", "test.toml:3");
  check_one_error(r, "providers.twitterapi_io.api_key: cannot read secret file " + dir.str() +
                         "/missing.key: No such file or directory",
                  "test.toml:5");
  check_one_error(r, "providers.tweetapi.api_key: credential \"tweetapi.key\" needs $CREDENTIALS_DIRECTORY",
                  "test.toml:7");
  check_one_error(r, "providers.x_api.client_secret: secret file " + dir.str() + "/empty.key is empty",
                  "test.toml:10");
  check_one_error(r, "accounts[0].auth_token: environment variable EMPTY is empty", "test.toml:15");
  check_one_error(r, "accounts[1].auth_token: is missing; getxapi accounts need auth_token", "test.toml:16");
  check_one_error(r, "accounts[2].access_token: names more than one source", "test.toml:24");
  check_one_error(r, "accounts[2].refresh_token: names no source", "test.toml:25");
  CHECK(r.errors.size() == 8);
}

TEST_CASE("credentials read outside the service are marked apart from the other errors") {
  TempDir creds;
  const std::string text = R"(
[providers.getxapi]
api_key = { credential = "getxapi.key" }

[providers.tweetapi]
api_key = { env = "NOT_SET" }

[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
auth_token = { credential = "a.token" }
proxy = { credential = "a.proxy" }

[[accounts]]
name = "b"
provider = "getxapi"
tier = "nope"
auth_token = { credential = "../b.token" }
)";
  // Outside the service: the three well-formed credentials are marked; the unset variable, the
  // bad tier and the credential name that could never work are ordinary errors.
  auto outside = load_config_text(text, "test.toml", SecretEnvironment::from_map({}));
  REQUIRE(outside.errors.size() == 6);
  std::vector<std::string> marked, unmarked;
  for (std::size_t i = 0; i < outside.errors.size(); ++i) {
    const bool is_marked = std::find(outside.outside_service_errors.begin(), outside.outside_service_errors.end(),
                                     i) != outside.outside_service_errors.end();
    (is_marked ? marked : unmarked).push_back(outside.errors[i]);
  }
  CHECK(std::is_sorted(outside.outside_service_errors.begin(), outside.outside_service_errors.end()));
  REQUIRE_MESSAGE(marked.size() == 3, joined(marked));
  CHECK(contains(marked[0], "test.toml:3: providers.getxapi.api_key: credential \"getxapi.key\" needs"));
  CHECK(contains(marked[1], "test.toml:12: accounts[0].auth_token: credential \"a.token\" needs"));
  CHECK(contains(marked[2], "test.toml:13: accounts[0].proxy: credential \"a.proxy\" needs"));
  REQUIRE_MESSAGE(unmarked.size() == 3, joined(unmarked));
  CHECK(contains(unmarked[0], "providers.tweetapi.api_key: environment variable NOT_SET is not set"));
  CHECK(contains(unmarked[1], "accounts[1].tier"));
  CHECK(contains(unmarked[2], "accounts[1].auth_token: credential name \"../b.token\" must be a plain file name"));

  // Inside it, a missing credential file is a real problem: nothing is marked.
  auto inside = load_config_text(text, "test.toml", SecretEnvironment::from_map({{"CREDENTIALS_DIRECTORY", creds.str()}}));
  CHECK(inside.errors.size() == 6);
  CHECK(inside.outside_service_errors.empty());

  SecretRef ref{SecretSourceKind::credential, "x"};
  CHECK(credential_outside_service(ref, SecretEnvironment::from_map({})));
  CHECK_FALSE(credential_outside_service(ref, SecretEnvironment::from_map({{"CREDENTIALS_DIRECTORY", creds.str()}})));
  CHECK_FALSE(credential_outside_service({SecretSourceKind::credential, "a/b"}, SecretEnvironment::from_map({})));
  CHECK_FALSE(credential_outside_service({SecretSourceKind::env, "x"}, SecretEnvironment::from_map({})));
}

TEST_CASE("durations need a unit and pacing needs min_delay <= max_delay") {
  auto r = load(R"(
[pacing]
min_delay = "10s"
max_delay = "5s"
[retry]
base_delay = "30"
max_delay = 60
[can_dm]
cache_ttl = "1.5h"
[http]
connect_timeout = "0s"
request_timeout = "-1s"
)");
  check_one_error(r, "pacing.min_delay: 10s is longer than pacing.max_delay 5s", "test.toml:3");
  check_one_error(r, "retry.base_delay: duration \"30\" has no unit", "test.toml:6");
  check_one_error(r, "retry.max_delay: must be a string with a unit such as \"2s\", not an integer", "test.toml:7");
  check_one_error(r, "can_dm.cache_ttl: duration \"1.5h\" has unknown unit", "test.toml:9");
  check_one_error(r, "http.connect_timeout: must be longer than 0s", "test.toml:11");
  check_one_error(r, "http.request_timeout: duration \"-1s\" is negative", "test.toml:12");
  CHECK(r.errors.size() == 6);

  r = load("[retry]\nbase_delay = \"2h\"\n");  // above the default max_delay of 1h
  check_one_error(r, "retry.base_delay: 2h is longer than retry.max_delay 1h", "test.toml:2");

  r = load("[pacing]\nmin_delay = \"0s\"\nmax_delay = \"0s\"\n[retry]\nbase_delay = \"10ms\"\nmax_delay = \"10ms\"\n");
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->pacing.max == 0ms);
  CHECK(r.config->retry.backoff.max == 10ms);
}

TEST_CASE("accounts: provider, name, tier, daily_cap, user_id and proxy are checked") {
  const std::string providers = R"(
[providers.getxapi]
api_key = { env = "KEY" }
[providers.tweetapi]
api_key = { env = "KEY" }
base_url = "http://127.0.0.1:8080/tweetapi/"
[providers.twitterapi_io]
api_key = { env = "KEY" }
)";
  auto r = load(providers + R"(
[[accounts]]
name = "a"
provider = "x_api"
tier = "new"
access_token = { env = "KEY" }
refresh_token = { env = "KEY" }
[[accounts]]
name = "b"
provider = "mastodon"
tier = "new"
[[accounts]]
name = "a"
provider = "getxapi"
tier = "gold"
auth_token = { env = "KEY" }
[[accounts]]
name = "has space"
provider = "getxapi"
tier = "established"
daily_cap = 1001
auth_token = { env = "KEY" }
[[accounts]]
name = "d"
provider = "getxapi"
tier = "new"
daily_cap = -1
auth_token = { env = "KEY" }
[[accounts]]
name = "e"
provider = "tweetapi"
tier = "new"
auth_token = { env = "KEY" }
[[accounts]]
name = "f"
provider = "twitterapi_io"
tier = "new"
auth_token = { env = "KEY" }
proxy = "http://user:pw@host"
user_id = 12345
)",
                key_env());
  // line numbers: the providers block is 8 lines, then the accounts start at line 10.
  check_one_error(r, "accounts[0].provider: \"x_api\" is not configured; add a [providers.x_api] table",
                  "test.toml:12");
  check_one_error(r, "accounts[1].provider: \"mastodon\" is not one of getxapi, twitterapi_io, tweetapi or x_api",
                  "test.toml:18");
  check_one_error(r, "accounts[2].name: \"a\" is already used by accounts[0]", "test.toml:21");
  check_one_error(r, "accounts[2].tier: \"gold\" is not one of new, established or premium", "test.toml:23");
  check_one_error(r, "accounts[3].name: \"has space\" may contain only letters", "test.toml:26");
  check_one_error(r, "accounts[3].daily_cap: 1001 is above the established tier's 1000 sends per 24 h",
                  "test.toml:29");
  check_one_error(r, "accounts[4].daily_cap: -1 is negative", "test.toml:35");
  check_one_error(r, "accounts[5].proxy: is missing; tweetapi accounts need a proxy", "test.toml:37");
  check_one_error(r, "accounts[5].user_id: is missing; tweetapi accounts need", "test.toml:37");
  check_one_error(r, "accounts[6].proxy: is not a proxy address (the port is missing)", "test.toml:47");
  check_one_error(r, "accounts[6].user_id: must be a quoted decimal string", "test.toml:48");
  CHECK(r.errors.size() == 11);
  // The malformed proxy held a password, but no message repeats it.
  CHECK_FALSE(contains(joined(r.errors), "user:pw"));
}

TEST_CASE("daily_cap below the tier sets the effective cap, the tier figure otherwise") {
  auto r = load(std::string(kGetxapi) + R"(
[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
daily_cap = 0
auth_token = { env = "KEY" }
[[accounts]]
name = "b"
provider = "getxapi"
tier = "premium"
daily_cap = 1500
auth_token = { env = "KEY" }
[[accounts]]
name = "c.d_e-9"
provider = "getxapi"
tier = "established"
auth_token = { env = "KEY" }
proxy = "proxy.example:3128"
)",
                key_env());
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->accounts[0].effective_cap == 0);
  CHECK(r.config->accounts[1].effective_cap == 1500);
  CHECK(r.config->accounts[2].effective_cap == 1000);
  CHECK(r.config->accounts[2].proxy->reveal() == "proxy.example:3128");
  CHECK(r.warnings.empty());  // a proxy without credentials holds no secret
}

TEST_CASE("wrong types name the key and the type found") {
  auto r = load(R"(
state_dir = 5
log_level = ["info"]
pacing = "fast"
[retry]
max_attempts = "5"
[providers]
getxapi = "key"
[[accounts]]
name = "a"
provider = "getxapi"
tier = 1
daily_cap = 1.5
auth_token = 42
)");
  check_one_error(r, "state_dir: must be a string, not an integer", "test.toml:2");
  check_one_error(r, "log_level: must be a string, not an array", "test.toml:3");
  check_one_error(r, "pacing: must be a table, not a string", "test.toml:4");
  check_one_error(r, "retry.max_attempts: must be an integer, not a string", "test.toml:6");
  check_one_error(r, "providers.getxapi: must be a table, not a string", "test.toml:8");
  check_one_error(r, "accounts[0].tier: must be a string, not an integer", "test.toml:12");
  check_one_error(r, "accounts[0].daily_cap: must be an integer, not a floating-point number", "test.toml:13");
  check_one_error(r, "accounts[0].auth_token: must be a string or a table such as { env = \"VAR\" }, not an integer",
                  "test.toml:14");
  CHECK(r.errors.size() == 8);

  r = load("accounts = [\"a\", 1]\n");
  check_one_error(r, "accounts[0]: must be a table ([[accounts]]), not a string", "test.toml:1");
  check_one_error(r, "accounts[1]: must be a table ([[accounts]]), not an integer", "test.toml:1");
  r = load("accounts = 3\n");
  check_one_error(r, "accounts: must be an array of tables ([[accounts]]), not an integer", "test.toml:1");
}

TEST_CASE("retry.max_attempts must be at least 1") {
  check_one_error(load("[retry]\nmax_attempts = 0\n"), "retry.max_attempts: 0 is out of range", "test.toml:2");
  auto r = load("[retry]\nmax_attempts = 1\n");
  REQUIRE(r.config.has_value());
  CHECK(r.config->retry.max_attempts == 1);
}

TEST_CASE("providers: base_url may carry a path prefix, x_api needs a client_id") {
  auto r = load(R"(
[providers.getxapi]
api_key = { env = "KEY" }
base_url = "http://127.0.0.1:8080/getxapi/"
[providers.x_api]
client_id = "cid"
base_url = "https://[::1]:8443"
)",
                key_env());
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->find_provider(ProviderKind::getxapi)->base_url == "http://127.0.0.1:8080/getxapi");
  auto const* x = r.config->find_provider(ProviderKind::x_api);
  CHECK(x->base_url == "https://[::1]:8443");
  CHECK_FALSE(x->client_secret.has_value());

  r = load(R"(
[providers.getxapi]
api_key = { env = "KEY" }
base_url = "ftp://example.com"
[providers.twitterapi_io]
api_key = { env = "KEY" }
base_url = "https://user:pw-SECRET@example.com"
[providers.tweetapi]
api_key = { env = "KEY" }
base_url = "https://example.com:99999"
[providers.x_api]
base_url = "https://example.com/?a=1"
)",
           key_env());
  check_one_error(r, "providers.getxapi.base_url: must start with http:// or https://", "test.toml:4");
  check_one_error(r, "providers.twitterapi_io.base_url: must not carry credentials", "test.toml:7");
  check_one_error(r, "providers.tweetapi.base_url: is not a valid URL: the port is not a number", "test.toml:10");
  check_one_error(r, "providers.x_api.client_id: is missing", "test.toml:11");
  check_one_error(r, "providers.x_api.base_url: must not carry a query or fragment", "test.toml:12");
  CHECK(r.errors.size() == 5);
  CHECK_FALSE(contains(joined(r.errors), "pw-SECRET"));
}

TEST_CASE("providers: plain http:// to a host that is not loopback needs allow_insecure_http") {
  auto config_with = [](std::string const& url, std::string const& extra = {}) {
    return load("[providers.getxapi]\napi_key = { env = \"KEY\" }\nbase_url = \"" + url + "\"\n" + extra, key_env());
  };
  for (std::string const url :
       {"https://api.example.com", "https://10.0.0.5:8443/p", "http://127.0.0.1:8080/getxapi", "http://127.9.8.7",
        "http://localhost:8080", "http://LocalHost", "http://[::1]:8080/x", "http://[::ffff:127.0.0.1]:80",
        "http://[0:0:0:0:0:0:0:1]"}) {
    auto r = config_with(url);
    CHECK_MESSAGE(r.config.has_value(), url << ": " << joined(r.errors));
  }
  for (std::string const url :
       {"http://api.example.com", "http://10.0.0.5:8080/getxapi", "http://128.0.0.1", "http://[::2]:80",
        "http://[2001:db8::1]", "http://localhost.example.com", "http://127.0.0.1.example.com", "http://127.1",
        "http://0.0.0.0:8080", "http://[::]:8080"}) {
    CAPTURE(url);
    auto r = config_with(url);
    check_one_error(r,
                    "providers.getxapi.base_url: uses plain http:// to a host that is not loopback (127.0.0.0/8, "
                    "::1, localhost), so keys and sessions would travel in clear text; use https://, or set "
                    "providers.getxapi.allow_insecure_http = true",
                    "test.toml:3");
    CHECK(r.errors.size() == 1);

    auto allowed = config_with(url, "allow_insecure_http = true\n");
    REQUIRE_MESSAGE(allowed.config.has_value(), joined(allowed.errors));
    auto const* provider = allowed.config->find_provider(ProviderKind::getxapi);
    CHECK(provider->base_url == url);
    CHECK(provider->allow_insecure_http);
    check_one_error(config_with(url, "allow_insecure_http = false\n"), "providers.getxapi.base_url: uses plain http://");
  }
  // Every provider table takes the key, x_api's included.
  auto x = load("[providers.x_api]\nclient_id = \"cid\"\nbase_url = \"http://x.example\"\n");
  check_one_error(x, "set providers.x_api.allow_insecure_http = true", "test.toml:3");
  x = load("[providers.x_api]\nclient_id = \"cid\"\nbase_url = \"http://x.example\"\nallow_insecure_http = true\n");
  REQUIRE_MESSAGE(x.config.has_value(), joined(x.errors));
  CHECK(x.config->find_provider(ProviderKind::x_api)->allow_insecure_http);
  // Absent, it is off; https needs nothing; the default base_urls are https.
  auto defaults = load(std::string(kGetxapi), key_env());
  REQUIRE(defaults.config.has_value());
  CHECK_FALSE(defaults.config->find_provider(ProviderKind::getxapi)->allow_insecure_http);
  check_one_error(config_with("https://api.example.com", "allow_insecure_http = \"yes\"\n"),
                  "providers.getxapi.allow_insecure_http: must be true or false, not a string", "test.toml:4");
}

TEST_CASE("base_url loopback detection") {
  for (auto host : {"localhost", "LOCALHOST", "127.0.0.1", "127.255.255.254", "[::1]", "::1", "[::ffff:127.0.0.2]"})
    CHECK_MESSAGE(is_loopback_host(host), host);
  for (auto host : {"", "localhost.", "localhostx", "128.0.0.1", "126.255.255.255", "0.0.0.0", "[::]", "[::2]",
                    "::ffff:10.0.0.1", "127.1", "example.com", "[fe80::1]"})
    CHECK_FALSE_MESSAGE(is_loopback_host(host), host);
  CHECK_FALSE(is_remote_plain_http("https://example.com"));
  CHECK_FALSE(is_remote_plain_http("http://127.0.0.1:8080/p"));
  CHECK_FALSE(is_remote_plain_http("http://[::1]"));
  CHECK(is_remote_plain_http("http://example.com:80/p"));
  CHECK(is_remote_plain_http("http://[2001:db8::1]:8080"));
}

TEST_CASE("state_dir: a path too long for the control socket is an error naming the socket, its length and the limit") {
  // state_dir + "/outreachd.ctl" must fit sun_path: 107 bytes and a NUL.
  const std::string fits = "/" + std::string(92, 'd');  // 93 + 14 = 107 bytes
  auto r = load("state_dir = \"" + fits + "\"\n");
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(control_socket_path(r.config->state_dir) == fits + "/outreachd.ctl");
  CHECK(control_socket_path(r.config->state_dir).size() == kMaxUnixSocketPathBytes);

  const std::string too_long = fits + "x";
  r = load("log_level = \"info\"\nstate_dir = \"" + too_long + "/\"\n");
  check_one_error(r,
                  "state_dir: is too long: the daemon's control socket " + too_long +
                      "/outreachd.ctl would be 108 bytes, over the 107-byte limit of a Unix socket path "
                      "(sockaddr_un.sun_path); use a shorter state_dir",
                  "test.toml:2");

  // The length that counts is the path after resolving it against the config file's directory.
  r = load_config_text("state_dir = \"" + std::string(60, 's') + "\"\n", "x.toml", SecretEnvironment::from_map({}),
                       "/" + std::string(40, 'b'));
  check_one_error(r, "would be 116 bytes", "x.toml:1");
}

TEST_CASE("all problems are collected, not just the first") {
  auto r = load(R"(
log_level = "verbose"
[pacing]
min_delay = "5"
[retry]
max_attempts = 0
[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
auth_token = { env = "NOPE" }
)");
  CHECK(r.errors.size() == 5);
  check_one_error(r, "log_level:", "test.toml:2");
  check_one_error(r, "pacing.min_delay:", "test.toml:4");
  check_one_error(r, "retry.max_attempts:", "test.toml:6");
  check_one_error(r, "accounts[0].provider: \"getxapi\" is not configured", "test.toml:9");
  check_one_error(r, "accounts[0].auth_token: environment variable NOPE is not set", "test.toml:11");
}

TEST_CASE("a plain-string secret works but warns, naming the key") {
  auto r = load(R"(
[providers.getxapi]
api_key = "plain-api-key-SECRET"
[[accounts]]
name = "a"
provider = "getxapi"
tier = "new"
auth_token = "plain-token-SECRET"
)");
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.config->find_provider(ProviderKind::getxapi)->api_key.reveal() == "plain-api-key-SECRET");
  CHECK(r.config->accounts[0].auth_token.reveal() == "plain-token-SECRET");
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[0].rfind("test.toml:3: providers.getxapi.api_key: is a plain string", 0) == 0);
  CHECK(r.warnings[1].rfind("test.toml:8: accounts[0].auth_token: is a plain string", 0) == 0);
  CHECK_FALSE(contains(joined(r.warnings), "SECRET"));
}

TEST_CASE("no secret value appears in any error or warning") {
  TempDir dir;
  TempDir creds;
  const auto file = dir.write("key", "file-value-SECRET\n");
  creds.write("cred", "cred-value-SECRET");
  const auto env = SecretEnvironment::from_map(
      {{"A", "env-value-SECRET"}, {"P", "http://u:proxy-env-SECRET@h"}, {"CREDENTIALS_DIRECTORY", creds.str()}});
  // Every secret resolves, and each sits in a config that is wrong in other ways, so errors and
  // warnings are produced right next to the values.
  auto r = load_config_text(R"(
[providers.getxapi]
api_key = { env = "A" }
base_url = "https://u:base-url-SECRET@example.com"
[providers.twitterapi_io]
api_key = { file = ")" + file + R"(" }
[providers.tweetapi]
api_key = { credential = "cred" }
[providers.x_api]
client_id = "cid"
client_secret = "plain-client-SECRET"
[[accounts]]
name = "a"
provider = "twitterapi_io"
tier = "new"
daily_cap = 501
auth_token = "plain-token-SECRET"
proxy = "http://u:plain-proxy-SECRET@"
[[accounts]]
name = "b"
provider = "tweetapi"
tier = "new"
auth_token = { env = "A" }
proxy = { env = "P" }
user_id = "12x"
[[accounts]]
name = "c"
provider = "x_api"
tier = "premium"
access_token = "plain-access-SECRET"
refresh_token = { file = ")" + file + R"(" }
auth_token = "plain-auth-SECRET"
)",
                            "test.toml", env, dir.str());
  CHECK(r.errors.size() >= 6);
  CHECK(r.warnings.size() >= 3);
  const std::string all = joined(r.errors) + joined(r.warnings);
  CHECK_MESSAGE(!contains(all, "SECRET"), all);
  check_one_error(r, "accounts[0].proxy: is not a proxy address");
  check_one_error(r, "accounts[1].proxy: is not a proxy address");
}

TEST_CASE("secret sources resolve through the injected environment") {
  TempDir dir;
  TempDir creds;
  const auto crlf = dir.write("crlf", "value\r\n\n");
  const auto inner = dir.write("inner", "line1\nline2\n");
  const auto big = dir.write("big", std::string(kMaxSecretFileBytes + 1, 'x'));
  creds.write("svc.key", "cred-value\n");
  const auto env = SecretEnvironment::from_map({{"V", "env-value"}, {"CREDENTIALS_DIRECTORY", creds.str() + "/"}});

  CHECK(resolve_secret({SecretSourceKind::env, "V"}, env).value().reveal() == "env-value");
  CHECK(resolve_secret({SecretSourceKind::file, crlf}, env).value().reveal() == "value");
  CHECK(resolve_secret({SecretSourceKind::file, inner}, env).value().reveal() == "line1\nline2");
  CHECK(resolve_secret({SecretSourceKind::credential, "svc.key"}, env).value().reveal() == "cred-value");

  auto r = resolve_secret({SecretSourceKind::file, big}, env);
  REQUIRE(r.has_error());
  CHECK(contains(r.error().message, "larger than 64 KiB"));
  r = resolve_secret({SecretSourceKind::file, dir.str()}, env);
  REQUIRE(r.has_error());
  CHECK(contains(r.error().message, "not a regular file"));
  r = resolve_secret({SecretSourceKind::credential, "../crlf"}, env);
  REQUIRE(r.has_error());
  CHECK(contains(r.error().message, "plain file name"));
  r = resolve_secret({SecretSourceKind::credential, "absent"}, env);
  REQUIRE(r.has_error());
  CHECK(contains(r.error().message, "credential \"absent\" (" + creds.str() + "/absent)"));
  CHECK(resolve_secret({SecretSourceKind::env, "UNSET"}, env).has_error());
}

TEST_CASE("default_config_path honours OUTREACHD_CONFIG") {
  CHECK(default_config_path(SecretEnvironment::from_map({})) == "/etc/outreachd/outreachd.toml");
  CHECK(default_config_path(SecretEnvironment::from_map({{"OUTREACHD_CONFIG", ""}})) ==
        "/etc/outreachd/outreachd.toml");
  CHECK(default_config_path(SecretEnvironment::from_map({{"OUTREACHD_CONFIG", "/tmp/o.toml"}})) == "/tmp/o.toml");
}

TEST_CASE("log levels parse and print") {
  for (auto text : {"trace", "debug", "info", "warn", "error"}) CHECK(to_string(parse_log_level(text).value()) == text);
  CHECK_FALSE(parse_log_level("warning").has_value());
  CHECK_FALSE(parse_log_level("INFO").has_value());
}

TEST_CASE("base_url and proxy shapes") {
  CHECK(normalize_base_url("https://api.getxapi.com").value() == "https://api.getxapi.com");
  CHECK(normalize_base_url("http://127.0.0.1:8080/x_api//").value() == "http://127.0.0.1:8080/x_api");
  CHECK(normalize_base_url("https://example.com/").value() == "https://example.com");
  CHECK(normalize_base_url("HTTPS://example.com").has_error());
  CHECK(normalize_base_url("https://").has_error());
  CHECK(normalize_base_url("https://exa mple.com").has_error());
  CHECK(normalize_base_url("https://example.com:0").has_error());
  CHECK(normalize_base_url("https://[::1").has_error());
  CHECK(normalize_base_url("example.com").has_error());

  for (auto ok : {"http://user:pass@host.example:8080", "host.example:8080", "10.0.0.1:3128", "user:pass@h:1",
                  "socks5://u:p@h:1080", "https://h:443/", "http://u:p@ss@h:80", "[2001:db8::1]:8080",
                  "proxy.example:8080@user:pass"})
    CHECK_MESSAGE(!proxy_problem(ok).has_value(), ok);
  CHECK(proxy_problem("http://user:pass@host:port") == "the port is not a number from 1 to 65535");
  CHECK(proxy_problem("host") == "the port is missing");
  CHECK(proxy_problem(":8080") == "the host is missing");
  CHECK(proxy_problem("ftp://h:21") == "the scheme is not http, https, socks4 or socks5");
  CHECK(proxy_problem("user@h:80") == "the credentials are not user:pass");
  CHECK(proxy_problem("u:@h:80") == "the credentials are not user:pass");
  CHECK(proxy_problem("h:80/path") == "it has a path");
  CHECK(proxy_problem("") == "it is empty");
  CHECK(proxy_problem("http://h:80@user:pass") == "the port is not a number from 1 to 65535");  // no swap with a scheme
  CHECK(proxy_has_credentials("u:p@h:1"));
  CHECK_FALSE(proxy_has_credentials("h:1"));
}

TEST_CASE("CLI commands can load a config without reading its secrets") {
  const std::string text = R"(
[providers.getxapi]
api_key = { env = "UNSET_GETXAPI_KEY_FOR_TEST" }

[[accounts]]
name = "sales-1"
provider = "getxapi"
tier = "new"
auth_token = { credential = "sales1.token" }
)";
  auto env = outreach::SecretEnvironment::from_map({});
  const auto strict = outreach::load_config_text(text, "t.toml", env);
  CHECK_FALSE(strict.config.has_value());
  CHECK(strict.errors.size() == 2);

  env.resolve = false;
  const auto lenient = outreach::load_config_text(text, "t.toml", env);
  REQUIRE(lenient.config.has_value());
  CHECK(lenient.config->accounts.at(0).name == "sales-1");
  CHECK(lenient.config->accounts.at(0).auth_token.empty());

  // A proxy kept as a secret has no value to check either.
  const auto with_proxy = outreach::load_config_text(R"(
[providers.tweetapi]
api_key = { env = "UNSET_TWEETAPI_KEY_FOR_TEST" }

[[accounts]]
name = "sales-3"
provider = "tweetapi"
tier = "new"
auth_token = { env = "UNSET_TOKEN_FOR_TEST" }
proxy = { env = "UNSET_PROXY_FOR_TEST" }
user_id = "1858475867762270208"
)", "t.toml", env);
  CHECK_MESSAGE(with_proxy.config.has_value(), (with_proxy.errors.empty() ? "" : with_proxy.errors.front()));

  // The shape is still checked.
  const auto malformed = outreach::load_config_text(
      "[providers.getxapi]\napi_key = { env = \"A\", file = \"/b\" }\n", "t.toml", env);
  CHECK_FALSE(malformed.config.has_value());
}
