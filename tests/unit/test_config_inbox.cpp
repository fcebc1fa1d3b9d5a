// The [inbox] config section (README.md#config-reference, docs/send-rules.md#the-inbox).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/secret_source.hpp"
#include "core/opt_out.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

std::string joined(std::vector<std::string> const& lines) {
  std::string out;
  for (auto const& l : lines) out += l + "\n";
  return out;
}

bool contains(std::string const& haystack, std::string const& needle) {
  return haystack.find(needle) != std::string::npos;
}

ConfigLoad load(std::string const& text) { return load_config_text(text, "test.toml", SecretEnvironment::from_map({})); }

// Exactly one error mentions `fragment`, and that error starts with `location` (file and line).
void check_one_error(ConfigLoad const& load, std::string const& fragment, std::string const& location) {
  int hits = 0;
  for (auto const& e : load.errors) {
    if (!contains(e, fragment)) continue;
    ++hits;
    CHECK_MESSAGE(e.rfind(location + ": ", 0) == 0, e);
  }
  CHECK_MESSAGE(hits == 1, "expected one error with \"" << fragment << "\" in:\n" << joined(load.errors));
  CHECK_FALSE(load.config.has_value());
}

// The config loads; returns its [inbox].
InboxConfig loaded_inbox(std::string const& text) {
  const ConfigLoad r = load(text);
  REQUIRE_MESSAGE(r.config.has_value(), joined(r.errors));
  CHECK(r.warnings.empty());
  return r.config->inbox;
}

// Loads `[inbox]\nopt_out_keywords = <array>` and expects exactly one error, on line 2.
void check_keywords_error(std::string const& array, std::string const& fragment) {
  INFO("opt_out_keywords = " << array);
  const ConfigLoad r = load("[inbox]\nopt_out_keywords = " + array + "\n");
  check_one_error(r, fragment, "test.toml:2");
  CHECK_MESSAGE(r.errors.size() == 1, joined(r.errors));
}

}  // namespace

TEST_CASE("inbox config: absent or empty section gets the documented defaults") {
  for (std::string const text : {"", "[inbox]\n"}) {
    INFO("config: " << text);
    const InboxConfig inbox = loaded_inbox(text);
    CHECK(inbox.poll_interval == 10min);
    CHECK(inbox.lookback == std::chrono::days{7});
    CHECK(inbox.reconcile_after == 30s);
    CHECK_FALSE(inbox.requeue_unconfirmed);
    CHECK(inbox.opt_out_keywords == std::vector<std::string>{"stop", "unsubscribe", "opt out", "optout", "remove me"});
    CHECK(inbox.opt_out_keywords == default_opt_out_keywords());
  }
}

TEST_CASE("inbox config: every key set is read") {
  const InboxConfig inbox = loaded_inbox(R"(
[inbox]
poll_interval = "2m"
lookback = "3d"
reconcile_after = "90s"
requeue_unconfirmed = true
opt_out_keywords = ["STOP", "halt please", "  cancel  ", "arrête"]
)");
  CHECK(inbox.poll_interval == 2min);
  CHECK(inbox.lookback == std::chrono::days{3});
  CHECK(inbox.reconcile_after == 90s);
  CHECK(inbox.requeue_unconfirmed);
  // Kept as written: matching normalises both sides (core/opt_out.hpp).
  CHECK(inbox.opt_out_keywords == std::vector<std::string>{"STOP", "halt please", "  cancel  ", "arrête"});
  CHECK(is_opt_out("Cancel!", inbox.opt_out_keywords));
  CHECK_FALSE(is_opt_out("unsubscribe", inbox.opt_out_keywords));  // the defaults are replaced, not extended
}

TEST_CASE("inbox config: the boundary values load") {
  SUBCASE("poll_interval 0s never polls") { CHECK(loaded_inbox("[inbox]\npoll_interval = \"0s\"\n").poll_interval == 0ms); }
  SUBCASE("lookback of exactly 30 days") {
    CHECK(loaded_inbox("[inbox]\nlookback = \"30d\"\n").lookback == std::chrono::days{30});
    CHECK(loaded_inbox("[inbox]\nlookback = \"720h\"\n").lookback == std::chrono::days{30});
  }
  SUBCASE("reconcile_after just under lookback") {
    const InboxConfig inbox = loaded_inbox("[inbox]\nlookback = \"1m\"\nreconcile_after = \"59999ms\"\n");
    CHECK(inbox.lookback == 1min);
    CHECK(inbox.reconcile_after == 59999ms);
  }
  SUBCASE("the smallest reconcile_after and lookback") {
    const InboxConfig inbox = loaded_inbox("[inbox]\nlookback = \"2ms\"\nreconcile_after = \"1ms\"\n");
    CHECK(inbox.reconcile_after == 1ms);
  }
  SUBCASE("an empty keyword list means no opt-out keywords") {
    const InboxConfig inbox = loaded_inbox("[inbox]\nopt_out_keywords = []\n");
    CHECK(inbox.opt_out_keywords.empty());
    CHECK_FALSE(is_opt_out("stop", inbox.opt_out_keywords));
  }
  SUBCASE("100 keywords of 64 bytes each") {
    std::string array = "[";
    for (int i = 0; i < 100; ++i) {
      std::string keyword = "k" + std::to_string(i);
      keyword += std::string(64 - keyword.size(), 'x');
      array += (i > 0 ? ", \"" : "\"") + keyword + "\"";
    }
    array += "]";
    const InboxConfig inbox = loaded_inbox("[inbox]\nopt_out_keywords = " + array + "\n");
    REQUIRE(inbox.opt_out_keywords.size() == 100);
    CHECK(inbox.opt_out_keywords[99].size() == 64);
  }
  SUBCASE("a multi-byte keyword is measured in bytes") {
    // 32 × "é" (2 bytes each) = 64 bytes: allowed.
    std::string keyword;
    for (int i = 0; i < 32; ++i) keyword += "\xC3\xA9";
    CHECK(loaded_inbox("[inbox]\nopt_out_keywords = [\"" + keyword + "\"]\n").opt_out_keywords.at(0) == keyword);
  }
}

TEST_CASE("inbox config: lookback must be longer than 0s and at most 30 days") {
  auto r = load("[inbox]\nlookback = \"0s\"\n");
  check_one_error(r, "inbox.lookback: must be longer than 0s", "test.toml:2");
  CHECK(r.errors.size() == 1);  // no second complaint about reconcile_after

  r = load("[inbox]\nlookback = \"31d\"\n");
  check_one_error(r, "inbox.lookback: 31d is longer than 30d; X keeps only 30 days of DM history", "test.toml:2");
  CHECK(r.errors.size() == 1);

  r = load("[inbox]\nlookback = \"2592000001ms\"\n");  // 30 days and 1 ms
  check_one_error(r, "inbox.lookback: 2592000001ms is longer than 30d", "test.toml:2");
}

TEST_CASE("inbox config: reconcile_after must be longer than 0s and shorter than lookback") {
  auto r = load("[inbox]\nreconcile_after = \"0s\"\n");
  check_one_error(r, "inbox.reconcile_after: must be longer than 0s", "test.toml:2");
  CHECK(r.errors.size() == 1);

  r = load("[inbox]\nlookback = \"1h\"\nreconcile_after = \"1h\"\n");
  check_one_error(r, "inbox.reconcile_after: 1h is not shorter than inbox.lookback 1h", "test.toml:3");
  CHECK(r.errors.size() == 1);

  r = load("[inbox]\nreconcile_after = \"8d\"\n");  // above the default lookback of 7d
  check_one_error(r, "inbox.reconcile_after: 8d is not shorter than inbox.lookback 7d", "test.toml:2");

  // A lookback shorter than the default reconcile_after: reported at the lookback, naming the default.
  r = load("[inbox]\nlookback = \"20s\"\n");
  check_one_error(r, "inbox.reconcile_after: 30s (the default) is not shorter than inbox.lookback 20s", "test.toml:2");

  // An invalid lookback is reported alone, not compared.
  r = load("[inbox]\nlookback = \"40d\"\nreconcile_after = \"35d\"\n");
  check_one_error(r, "inbox.lookback: 40d is longer than 30d", "test.toml:2");
  CHECK_MESSAGE(r.errors.size() == 1, joined(r.errors));
}

TEST_CASE("inbox config: durations use the shared parser and are never negative") {
  auto r = load(R"(
[inbox]
poll_interval = "-1s"
lookback = "7"
reconcile_after = "1.5s"
)");
  check_one_error(r, "inbox.poll_interval: duration \"-1s\" is negative", "test.toml:3");
  check_one_error(r, "inbox.lookback: duration \"7\" has no unit", "test.toml:4");
  check_one_error(r, "inbox.reconcile_after: duration \"1.5s\" has unknown unit", "test.toml:5");
  CHECK_MESSAGE(r.errors.size() == 3, joined(r.errors));
}

TEST_CASE("inbox config: wrong types name the key and the type found") {
  auto r = load(R"(
[inbox]
poll_interval = 600
lookback = 7.5
reconcile_after = true
requeue_unconfirmed = "yes"
opt_out_keywords = "stop"
)");
  check_one_error(r, "inbox.poll_interval: must be a string with a unit such as \"2s\", not an integer", "test.toml:3");
  check_one_error(r, "inbox.lookback: must be a string with a unit such as \"2s\", not a floating-point number",
                  "test.toml:4");
  check_one_error(r, "inbox.reconcile_after: must be a string with a unit such as \"2s\", not a boolean",
                  "test.toml:5");
  check_one_error(r, "inbox.requeue_unconfirmed: must be true or false, not a string", "test.toml:6");
  check_one_error(r, "inbox.opt_out_keywords: must be an array of strings such as [\"stop\", \"unsubscribe\"], not a string",
                  "test.toml:7");
  CHECK_MESSAGE(r.errors.size() == 5, joined(r.errors));

  r = load("inbox = \"on\"\n");
  check_one_error(r, "inbox: must be a table, not a string", "test.toml:1");

  r = load("[inbox]\nrequeue_unconfirmed = 1\n");
  check_one_error(r, "inbox.requeue_unconfirmed: must be true or false, not an integer", "test.toml:2");

  r = load("[inbox]\nopt_out_keywords = { stop = true }\n");
  check_one_error(r, "inbox.opt_out_keywords: must be an array of strings", "test.toml:2");
}

TEST_CASE("inbox config: each opt_out_keywords entry must be a string") {
  auto r = load("[inbox]\nopt_out_keywords = [\"stop\", 1, [\"quit\"], \"end\", false]\n");
  check_one_error(r, "inbox.opt_out_keywords[1]: must be a string, not an integer", "test.toml:2");
  check_one_error(r, "inbox.opt_out_keywords[2]: must be a string, not an array", "test.toml:2");
  check_one_error(r, "inbox.opt_out_keywords[4]: must be a string, not a boolean", "test.toml:2");
  CHECK_MESSAGE(r.errors.size() == 3, joined(r.errors));
}

TEST_CASE("inbox config: opt_out_keywords entries must not be blank") {
  check_keywords_error(R"(["stop", ""])", "inbox.opt_out_keywords[1]: is empty or only whitespace");
  check_keywords_error(R"(["   "])", "inbox.opt_out_keywords[0]: is empty or only whitespace");
  check_keywords_error("[\"\\u00A0\\u3000\"]", "inbox.opt_out_keywords[0]: is empty or only whitespace");
}

TEST_CASE("inbox config: opt_out_keywords holds at most 100 entries of at most 64 bytes") {
  std::string array = "[";
  for (int i = 0; i < 101; ++i) array += (i > 0 ? ", \"k" : "\"k") + std::to_string(i) + "\"";
  array += "]";
  check_keywords_error(array, "inbox.opt_out_keywords: has 101 keywords; at most 100 are allowed");

  check_keywords_error("[\"stop\", \"" + std::string(65, 'x') + "\"]",
                       "inbox.opt_out_keywords[1]: is 65 bytes long; at most 64 are allowed");
  std::string multibyte = "x";  // 1 + 32 × 2 = 65 bytes, 33 characters
  for (int i = 0; i < 32; ++i) multibyte += "\xC3\xA9";
  check_keywords_error("[\"" + multibyte + "\"]", "inbox.opt_out_keywords[0]: is 65 bytes long");
}

TEST_CASE("inbox config: opt_out_keywords entries must not hold control characters") {
  check_keywords_error(R"(["opt\tout"])", "inbox.opt_out_keywords[0]: contains the control character U+0009 (HT) at character 4");
  check_keywords_error(R"(["stop\n"])", "inbox.opt_out_keywords[0]: contains the control character U+000A (LF) at character 5");
  check_keywords_error(R"(["stop", "st\r\nop"])", "inbox.opt_out_keywords[1]: contains the control character U+000D (CR) at character 3");
  check_keywords_error(R"(["\u001bstop"])", "inbox.opt_out_keywords[0]: contains the control character U+001B (ESC) at character 1");
  check_keywords_error(R"(["é\u007F"])", "inbox.opt_out_keywords[0]: contains the control character U+007F (DEL) at character 2");
  check_keywords_error(R"(["stop\u0085"])", "inbox.opt_out_keywords[0]: contains the control character U+0085 at character 5");

  // The keyword itself never appears in the message: it would carry the control character along.
  const ConfigLoad r = load("[inbox]\nopt_out_keywords = [\"secretword\\u001b\"]\n");
  REQUIRE(r.errors.size() == 1);
  CHECK_FALSE(contains(r.errors[0], "secretword"));
}

TEST_CASE("inbox config: every problem in the section is reported at once") {
  auto r = load(R"(
[inbox]
poll_interval = "soon"
lookback = "0s"
requeue_unconfirmed = "no"
opt_out_keywords = ["", 7]
)");
  check_one_error(r, "inbox.poll_interval:", "test.toml:3");
  check_one_error(r, "inbox.lookback: must be longer than 0s", "test.toml:4");
  check_one_error(r, "inbox.requeue_unconfirmed:", "test.toml:5");
  check_one_error(r, "inbox.opt_out_keywords[0]: is empty", "test.toml:6");
  check_one_error(r, "inbox.opt_out_keywords[1]: must be a string", "test.toml:6");
  CHECK_MESSAGE(r.errors.size() == 5, joined(r.errors));
}

TEST_CASE("inbox config: unknown keys are errors naming the key and the expected ones") {
  auto r = load(R"(
[inbox]
poll_interval = "5m"
pol_interval = "5m"
keywords = ["stop"]
)");
  check_one_error(r,
                  "inbox.pol_interval: unknown key; expected poll_interval, lookback, reconcile_after, "
                  "requeue_unconfirmed or opt_out_keywords",
                  "test.toml:4");
  check_one_error(r, "inbox.keywords: unknown key", "test.toml:5");
  CHECK_MESSAGE(r.errors.size() == 2, joined(r.errors));

  // A sub-table of [inbox] is an unknown key too.
  r = load("[inbox.x_api]\npoll_interval = \"1m\"\n");
  check_one_error(r, "inbox.x_api: unknown key", "test.toml:1");
}
