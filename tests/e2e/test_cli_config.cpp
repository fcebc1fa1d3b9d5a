// End to end: the real `outreachd` binary's command-line frame and `check-config`
// (README.md#command-line, README.md#config-reference).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using outreach::test::ProcessOptions;
using outreach::test::ProcessResult;
using outreach::test::run_process;

namespace {

std::string binary() { return outreach::test::outreachd_bin(); }

using outreach::testing::TempDir;

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

std::size_t line_count(std::string const& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

// The child never sees the test runner's config or credentials by accident.
ProcessOptions isolated(std::map<std::string, std::string> env = {}) {
  ProcessOptions o;
  o.env = std::move(env);
  o.unset_env = {"OUTREACHD_CONFIG", "CREDENTIALS_DIRECTORY"};
  return o;
}

ProcessResult outreachd(std::vector<std::string> args, ProcessOptions const& options = isolated()) {
  args.insert(args.begin(), binary());
  ProcessResult r = run_process(args, options);
  REQUIRE_FALSE_MESSAGE(r.timed_out, "outreachd did not exit in time; stderr: " << r.err);
  return r;
}

// Secret values used below; none may ever be printed.
const std::vector<std::string> kSecrets = {"env-api-key-S3CRET", "file-api-key-S3CRET", "credential-S3CRET",
                                           "plain-token-S3CRET", "proxy-pass-S3CRET", "access-S3CRET",
                                           "refresh-S3CRET"};

void check_no_secret(ProcessResult const& r) {
  for (auto const& s : kSecrets) {
    CHECK_MESSAGE(!contains(r.out, s), "stdout shows " << s << ":\n" << r.out);
    CHECK_MESSAGE(!contains(r.err, s), "stderr shows " << s << ":\n" << r.err);
  }
}

// A valid config using every secret source; returns its path.
std::string write_valid_config(TempDir const& dir, TempDir const& creds) {
  dir.write("twitterapi_io.key", "file-api-key-S3CRET\n");
  dir.write("brand.refresh", "refresh-S3CRET\n");
  creds.write("tweetapi.key", "credential-S3CRET\n");
  return dir.write("outreachd.toml", R"(
state_dir = "state"
log_level = "debug"

[pacing]
min_delay = "10ms"
max_delay = "20ms"

[providers.getxapi]
api_key = { env = "GETXAPI_KEY" }
base_url = "http://127.0.0.1:9/getxapi"

[providers.twitterapi_io]
api_key = { file = "twitterapi_io.key" }

[providers.tweetapi]
api_key = { credential = "tweetapi.key" }

[providers.x_api]
client_id = "demo-client"

[[accounts]]
name = "sales-1"
provider = "getxapi"
tier = "established"
daily_cap = 800
auth_token = "plain-token-S3CRET"

[[accounts]]
name = "tio"
provider = "twitterapi_io"
tier = "new"
auth_token = { env = "GETXAPI_KEY" }
proxy = "http://user:proxy-pass-S3CRET@proxy.example:8080"

[[accounts]]
name = "brand"
provider = "x_api"
tier = "premium"
access_token = { env = "BRAND_ACCESS" }
refresh_token = { file = "brand.refresh" }
)");
}

ProcessOptions valid_env(TempDir const& creds) {
  return isolated({{"GETXAPI_KEY", "env-api-key-S3CRET"},
                   {"BRAND_ACCESS", "access-S3CRET"},
                   {"CREDENTIALS_DIRECTORY", creds.str()}});
}

}  // namespace

TEST_CASE("check-config: a valid config exits 0 with a summary and no secret") {
  TempDir dir;
  TempDir creds;
  const std::string config = write_valid_config(dir, creds);

  ProcessResult r = outreachd({"check-config", "--config", config}, valid_env(creds));
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, config + " is valid"));
  CHECK(contains(r.out, dir.str() + "/state"));
  CHECK(contains(r.out, dir.str() + "/state/campaigns"));
  CHECK(contains(r.out, "http://127.0.0.1:9/getxapi"));
  CHECK(contains(r.out, "sales-1"));
  CHECK(contains(r.out, "cap 800 per 24h"));
  CHECK(contains(r.out, "cap 500 per 24h"));
  CHECK(contains(r.out, "cap 1500 per 24h"));
  // Plain-string secrets work but are warned about, naming the key.
  CHECK_MESSAGE(contains(r.err, "warning: " + config + ":27: accounts[0].auth_token: is a plain string"), r.err);
  CHECK(contains(r.err, "accounts[1].proxy: is a plain string"));
  CHECK_FALSE(contains(r.err, "error:"));
  check_no_secret(r);
}

TEST_CASE("check-config: problems exit 1, one per line on stderr, naming file, line and key") {
  TempDir dir;
  const std::string config = dir.write("bad.toml", R"([pacing]
min_delay = "10"
max_delay = "1s"

[providers.getxapi]
api_key = "plain-token-S3CRET"
colour = "blue"

[[accounts]]
name = "sales-1"
provider = "getxapi"
tier = "new"
daily_cap = 900
auth_token = { env = "UNSET_TOKEN" }
proxy = "http://user:proxy-pass-S3CRET@no-port"

[[accounts]]
name = "brand"
provider = "x_api"
tier = "premium"
)");
  ProcessResult r = outreachd({"check-config", "--config", config});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "error: " + config + ":2: pacing.min_delay: duration \"10\" has no unit"));
  CHECK(contains(r.err, "error: " + config + ":7: providers.getxapi.colour: unknown key"));
  CHECK(contains(r.err, "error: " + config + ":13: accounts[0].daily_cap: 900 is above the new tier's 500"));
  CHECK(contains(r.err, "error: " + config + ":14: accounts[0].auth_token: environment variable UNSET_TOKEN is not set"));
  CHECK(contains(r.err, "error: " + config + ":15: accounts[0].proxy: is not a proxy address"));
  CHECK(contains(r.err, "error: " + config + ":19: accounts[1].provider: \"x_api\" is not configured"));
  CHECK(contains(r.err, "outreachd check-config: 8 problems in " + config));
  // 8 problems (the x_api account also lacks both tokens), 2 warnings, 1 summary line.
  CHECK_MESSAGE(line_count(r.err) == 11, r.err);
  check_no_secret(r);
}

const std::string kServiceCheck =
    "check them as the service sees them: sudo systemd-run --pipe --wait --quiet -p User=outreachd "
    "-p LoadCredential=outreachd:/etc/outreachd/credentials outreachd check-config";

TEST_CASE("check-config outside the service: the shipped example's credentials are one sentence with the fix") {
  // The package's example uses { credential = … } secrets, which exist only inside the service:
  // in a shell they are one sentence with the command that works, not an error per secret.
  TempDir dir;
  std::ifstream in(outreach::test::source_dir() + "/packaging/outreachd.toml.example");
  const std::string config = dir.write("outreachd.toml", std::string(std::istreambuf_iterator<char>(in), {}));

  ProcessResult r = outreachd({"check-config", "--config", config});
  CHECK(r.exit_code == 1);  // the secrets could not be checked
  CHECK(r.out.empty());
  CHECK_MESSAGE(line_count(r.err) == 1, r.err);
  CHECK_MESSAGE(r.err == "outreachd check-config: no other problem in " + config +
                             ", but 11 secrets are systemd credentials ({ credential = \"…\" }), which exist only "
                             "inside the service; " + kServiceCheck + " --config " + config + "\n",
                r.err);
  CHECK_FALSE(contains(r.err, "needs $CREDENTIALS_DIRECTORY"));

  // $OUTREACHD_CONFIG does not reach the systemd-run child, so the command names the file too.
  r = outreachd({"check-config"}, isolated({{"OUTREACHD_CONFIG", config}}));
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.err, kServiceCheck + " --config " + config + "\n"), r.err);

  // Inside the service (credentials present) the same file is valid.
  TempDir creds;
  for (std::string const name :
       {"outreachd_getxapi.key", "outreachd_twitterapi_io.key", "outreachd_tweetapi.key", "outreachd_x_client_secret",
        "outreachd_sales-1.auth_token", "outreachd_sales-2.login_cookies", "outreachd_sales-3.auth_token",
        "outreachd_brand.access_token", "outreachd_brand.refresh_token"})
    creds.write(name, "credential-S3CRET\n");
  creds.write("outreachd_sales-2.proxy", "http://user:proxy-pass-S3CRET@proxy.example:8080\n");
  creds.write("outreachd_sales-3.proxy", "http://user:proxy-pass-S3CRET@proxy.example:8080\n");
  r = outreachd({"check-config", "--config", config}, isolated({{"CREDENTIALS_DIRECTORY", creds.str()}}));
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, config + " is valid"));
  check_no_secret(r);
}

TEST_CASE("check-config outside the service: other problems are still listed one per line, before the sentence") {
  TempDir dir;
  const std::string config = dir.write("my config.toml", R"([pacing]
min_delay = "10"

[providers.getxapi]
api_key = { credential = "outreachd_getxapi.key" }

[[accounts]]
name = "sales-1"
provider = "getxapi"
tier = "new"
auth_token = { credential = "../escape" }
)");
  ProcessResult r = outreachd({"check-config", "--config", config});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "error: " + config + ":2: pacing.min_delay: duration \"10\" has no unit"));
  // A credential name that could never work is a problem of the file, listed as before.
  CHECK(contains(r.err, "error: " + config + ":11: accounts[0].auth_token: credential name \"../escape\""));
  CHECK_FALSE(contains(r.err, "needs $CREDENTIALS_DIRECTORY"));
  // One credential: singular; the path is quoted for the shell (it has a space).
  CHECK_MESSAGE(contains(r.err, "outreachd check-config: 2 problems in " + config +
                                    ", and 1 secret is a systemd credential ({ credential = \"…\" }), which exists "
                                    "only inside the service; check it as the service sees it: sudo systemd-run "
                                    "--pipe --wait --quiet -p User=outreachd "
                                    "-p LoadCredential=outreachd:/etc/outreachd/credentials outreachd check-config "
                                    "--config '" + config + "'\n"),
                r.err);
  CHECK_MESSAGE(line_count(r.err) == 3, r.err);
}

TEST_CASE("check-config: an unreadable config file is a failed check naming the path") {
  TempDir dir;
  const std::string missing = dir.str() + "/nope.toml";
  ProcessResult r = outreachd({"check-config", "--config", missing});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "cannot read config file " + missing + ": No such file or directory"));

  // Without --config, $OUTREACHD_CONFIG names the file.
  r = outreachd({"check-config"}, isolated({{"OUTREACHD_CONFIG", missing}}));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, missing));
}

TEST_CASE("options may come before or after the command's words, as --opt VALUE or --opt=VALUE") {
  TempDir dir;
  TempDir creds;
  const std::string config = write_valid_config(dir, creds);
  for (auto const& args : std::vector<std::vector<std::string>>{
           {"check-config", "--config", config},
           {"check-config", "--config=" + config},
           {"--config", config, "check-config"},
           {"--config=" + config, "check-config"}}) {
    ProcessResult r = outreachd(args, valid_env(creds));
    CHECK_MESSAGE(r.exit_code == 0, args[0] << " " << args[1] << ": " << r.err);
    CHECK(contains(r.out, "is valid"));
  }
  // The default config path comes from the environment when --config is absent.
  auto env = valid_env(creds);
  env.env["OUTREACHD_CONFIG"] = config;
  ProcessResult r = outreachd({"check-config"}, env);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  // A positional before an option: `help COMMAND` takes one, and --help after it still wins.
  r = outreachd({"help", "check-config", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "usage: outreachd help"));
}

TEST_CASE("usage errors exit 2 with one sentence on stderr") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"check-config", "--bogus"}, "outreachd check-config: unknown option --bogus;"},
      {{"check-config", "--config"}, "outreachd check-config: option --config needs a value (FILE);"},
      {{"check-config", "--config="}, "outreachd check-config: option --config needs a value (FILE);"},
      {{"check-config", "--config", "a", "--config", "b"}, "--config is given more than once"},
      {{"check-config", "extra.toml"}, "outreachd check-config: takes no arguments, but got 1 argument;"},
      {{"check-config", "-x"}, "unknown option -x"},
      {{"frobnicate"}, "outreachd: unknown command \"frobnicate\""},
      {{"--config", "x.toml"}, "outreachd: missing command after the options"},
      {{"help", "frobnicate"}, "outreachd help: unknown command \"frobnicate\""},
      {{"version", "extra"}, "outreachd version: takes no arguments"},
  };
  for (auto const& c : cases) {
    ProcessResult r = outreachd(c.args);
    CHECK_MESSAGE(r.exit_code == 2, c.args[0] << ": " << r.err);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK_MESSAGE(line_count(r.err) == 1, r.err);
    CHECK(r.out.empty());
  }
  // No command at all: the overview, on stderr, exit 2.
  ProcessResult r = outreachd({});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "usage: outreachd <command>"));
}

TEST_CASE("--help on every command prints its usage to stdout and exits 0") {
  ProcessResult r = outreachd({"check-config", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("usage: outreachd check-config [--config FILE]\n", 0) == 0);
  CHECK(contains(r.out, "--config FILE"));
  CHECK(r.err.empty());

  // --help wins over anything else on the line, even a usage error.
  r = outreachd({"check-config", "--bogus", "--config", "x", "-h"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("usage: outreachd check-config", 0) == 0);

  r = outreachd({"help", "check-config"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("usage: outreachd check-config", 0) == 0);

  for (std::string top : {"--help", "-h", "help"}) {
    r = outreachd({top});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "check-config"));
    CHECK(contains(r.out, "Every command accepts --help"));
  }
  r = outreachd({"version", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("usage: outreachd version", 0) == 0);
  r = outreachd({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("outreachd ", 0) == 0);
  // README.md#command-line: every command accepts --config FILE, these two included (they have no
  // use for it).
  r = outreachd({"version", "--config", "/nonexistent/outreachd.toml"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("outreachd ", 0) == 0);
  r = outreachd({"help", "--config", "/nonexistent/outreachd.toml", "status"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("usage: outreachd status", 0) == 0);
}

TEST_CASE("process helper: exit status, both streams, environment, PATH lookup and a bounded wait") {
  ProcessOptions options;
  options.env = {{"GREETING", "hello"}};
  options.stdin_data = "from stdin\n";
  ProcessResult r = run_process({"sh", "-c", "echo \"$GREETING\"; cat; echo oops >&2; exit 3"}, options);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "hello\nfrom stdin\n");
  CHECK(r.err == "oops\n");
  CHECK_FALSE(r.timed_out);

  r = run_process({"sh", "-c", "kill -TERM $$"});
  CHECK(r.exit_code == -1);
  CHECK(r.term_signal == SIGTERM);

  // A child that never exits is killed at the deadline instead of hanging the suite.
  r = run_process({"sh", "-c", "exec sleep 60"}, {}, std::chrono::milliseconds{200});
  CHECK(r.timed_out);
  CHECK(r.term_signal == SIGKILL);

  r = run_process({"/nonexistent/program"});
  CHECK(r.exit_code == 127);
}
