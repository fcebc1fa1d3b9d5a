// End to end: every whole config the documentation shows passes the real `outreachd check-config`,
// and every place that tells an operator how to check a config gives the command check-config
// itself suggests (an example that check-config rejects, or advice that cannot work with the
// example's own credentials, would send an operator the wrong way).
//
// Which ```toml blocks are whole configs: in README.md and docs/*.md, a block with a line that
// starts `[[accounts]]` or `state_dir =` is a whole config and must pass; any other ```toml block
// is a snippet (one table or a few keys, shown to explain them) and is not checked on its own.
// packaging/outreachd.toml.example is a whole config.
//
// The secrets the configs name are supplied with dummy values: an environment variable for each
// `{ env = "VAR" }`, a file in a temporary $CREDENTIALS_DIRECTORY for each `{ credential = "NAME" }`,
// and a temporary file for each `{ file = "/path" }` (its path rewritten in the copy checked). A
// secret under the key `proxy` gets a proxy URL, since its value is checked. state_dir and
// watch_dir are left as written: check-config neither creates nor opens them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using outreach::test::ProcessOptions;
using outreach::test::ProcessResult;
using outreach::test::run_process;
using outreach::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string binary() { return outreach::test::outreachd_bin(); }
fs::path source_dir() { return outreach::test::source_dir(); }

std::string read_file(fs::path const& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

struct ShownConfig {
  std::string where;  ///< "docs/simulator.md:317" — the file and the line of the opening fence
  std::string text;
};

bool is_whole_config(std::string const& toml) {
  static const std::regex whole(R"((^|\n)[ \t]*(\[\[accounts\]\]|state_dir[ \t]*=))");
  return std::regex_search(toml, whole);
}

// The ```toml blocks of a Markdown file, each with the line of its opening fence.
std::vector<ShownConfig> toml_blocks(fs::path const& file, std::string const& name) {
  std::vector<ShownConfig> out;
  std::istringstream lines(read_file(file));
  std::string line;
  int number = 0;
  std::optional<ShownConfig> open;
  while (std::getline(lines, line)) {
    ++number;
    const std::string trimmed = line.substr(0, line.find_last_not_of(" \t\r") + 1);
    if (open) {
      if (trimmed.find_first_not_of(' ') != std::string::npos &&
          trimmed.substr(trimmed.find_first_not_of(' ')) == "```") {
        out.push_back(std::move(*open));
        open.reset();
      } else {
        open->text += line + "\n";
      }
    } else if (trimmed.find_first_not_of(' ') != std::string::npos &&
               trimmed.substr(trimmed.find_first_not_of(' ')) == "```toml") {
      open = ShownConfig{name + ":" + std::to_string(number), {}};
    }
  }
  REQUIRE_MESSAGE(!open, name << ": a ```toml block is never closed");
  return out;
}

// Every whole config shown in README.md, docs/*.md and the packaged example.
std::vector<ShownConfig> shown_configs() {
  const fs::path root = source_dir();
  std::vector<std::pair<fs::path, std::string>> markdown{{root / "README.md", "README.md"}};
  for (auto const& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") markdown.emplace_back(entry.path(), "docs/" + entry.path().filename().string());
  std::vector<ShownConfig> out;
  for (auto const& [path, name] : markdown)
    for (auto& block : toml_blocks(path, name))
      if (is_whole_config(block.text)) out.push_back(std::move(block));
  out.push_back({"packaging/outreachd.toml.example", read_file(root / "packaging/outreachd.toml.example")});
  return out;
}

// Runs check-config on `shown` with dummy values for every secret it names.
ProcessResult check_shown_config(ShownConfig const& shown) {
  TempDir dir;
  TempDir creds;
  ProcessOptions options;
  options.unset_env = {"OUTREACHD_CONFIG"};
  options.env["CREDENTIALS_DIRECTORY"] = creds.str();

  static const std::regex secret(R"re(([A-Za-z0-9_]+)[ \t]*=[ \t]*\{[ \t]*(env|file|credential)[ \t]*=[ \t]*"([^"]*)"[ \t]*\})re");
  std::string text;
  std::string rest = shown.text;
  std::smatch m;
  int files = 0;
  while (std::regex_search(rest, m, secret)) {
    const std::string key = m[1], kind = m[2], name = m[3];
    const std::string value = key == "proxy" ? "http://user:dummy-pass@127.0.0.1:3128" : "dummy-" + key;
    std::string replacement = m[0];
    if (kind == "env") {
      options.env[name] = value;
    } else if (kind == "credential") {
      creds.write(name, value + "\n");
    } else {
      const std::string path = dir.write("secret-file-" + std::to_string(++files), value + "\n");
      replacement = key + " = { file = \"" + path + "\" }";
    }
    text += m.prefix().str() + replacement;
    rest = m.suffix().str();
  }
  text += rest;
  const std::string config = dir.write("outreachd.toml", text);
  ProcessResult r = run_process({binary(), "check-config", "--config", config}, options);
  REQUIRE_FALSE_MESSAGE(r.timed_out, shown.where << ": check-config did not exit in time");
  return r;
}

// Joins shell lines continued with a backslash (also inside '#' comments) and collapses blanks,
// so a command split over several lines reads as on one.
std::string joined_lines(std::string const& text) {
  std::string out = std::regex_replace(text, std::regex(R"(\\[ \t]*\n[ \t]*(#[ \t]*)?)"), " ");
  return std::regex_replace(out, std::regex(R"([ \t]+)"), " ");
}

}  // namespace

TEST_CASE("every whole config shown in README.md, docs/*.md and the packaged example passes check-config") {
  const std::vector<ShownConfig> configs = shown_configs();
  // The rule must find the configs known to be there, or it would silently check nothing.
  int in_docs = 0;
  for (auto const& c : configs) in_docs += c.where.rfind("docs/", 0) == 0 ? 1 : 0;
  CHECK_MESSAGE(in_docs >= 1, "no whole config found in docs/*.md: the rule above no longer matches them");
  CHECK(configs.size() >= 2);

  for (auto const& shown : configs) {
    CAPTURE(shown.where);
    ProcessResult r = check_shown_config(shown);
    CHECK_MESSAGE(r.exit_code == 0, shown.where << " is rejected by check-config:\n" << r.err);
    CHECK_MESSAGE(!contains(r.err, "error:"), shown.where << ":\n" << r.err);
    CHECK_MESSAGE(contains(r.out, " is valid"), shown.where << ":\n" << r.out);
  }
}

TEST_CASE("the snippet rule: a block with an accounts table or state_dir is a whole config, others are not") {
  CHECK(is_whole_config("state_dir = \"/x\"\n"));
  CHECK(is_whole_config("[providers.getxapi]\napi_key = \"k\"\n\n[[accounts]]\nname = \"a\"\n"));
  CHECK(is_whole_config("  [[accounts]]\n"));
  CHECK_FALSE(is_whole_config("[pacing]\nmin_delay = \"2s\"\n"));
  CHECK_FALSE(is_whole_config("# see [[accounts]] below\n[safety]\ncontact_cooldown = \"30d\"\n"));
  CHECK_FALSE(is_whole_config("other_state_dir = 1\n"));
}

TEST_CASE("the package's advice on checking a config is the command check-config itself suggests") {
  // What check-config says outside the service about the example's credentials …
  const fs::path root = source_dir();
  TempDir dir;
  const std::string copy = dir.write("outreachd.toml", read_file(root / "packaging/outreachd.toml.example"));
  ProcessOptions options;
  options.unset_env = {"OUTREACHD_CONFIG", "CREDENTIALS_DIRECTORY"};
  ProcessResult r = run_process({binary(), "check-config", "--config", copy}, options);
  REQUIRE_FALSE(r.timed_out);
  const std::string lead = "as the service sees them: ";
  REQUIRE_MESSAGE(contains(r.err, lead), r.err);
  std::string command = r.err.substr(r.err.find(lead) + lead.size());
  command = command.substr(0, command.find(" --config "));  // the copy's path; the docs mean the default
  command = command.substr(0, command.find('\n'));
  CHECK(command ==
        "sudo systemd-run --pipe --wait --quiet -p User=outreachd -p LoadCredential=outreachd:/etc/outreachd/credentials "
        "outreachd check-config");

  // … is what the postinst message, the example's header and the README's install steps say.
  for (std::string const file : {"packaging/postinst", "packaging/outreachd.toml.example", "README.md"}) {
    CAPTURE(file);
    const std::string text = joined_lines(read_file(root / file));
    CHECK_MESSAGE(contains(text, command), file << " does not give the command\n  " << command);
  }
  // And the postinst no longer suggests a bare `outreachd check-config`, which cannot read them.
  const std::string postinst = joined_lines(read_file(root / "packaging/postinst"));
  CHECK_FALSE(contains(postinst, "'outreachd check-config'"));
}
