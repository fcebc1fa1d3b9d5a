// core/opt_out: a reply whose whole text is an opt-out keyword.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/opt_out.hpp"

using namespace outreach;

TEST_CASE("opt-out: the default keywords") {
  CHECK(kDefaultOptOutKeywords.size() == 5);
  CHECK(default_opt_out_keywords() ==
        std::vector<std::string>{"stop", "unsubscribe", "opt out", "optout", "remove me"});
}

TEST_CASE("opt-out: normalisation lower-cases ASCII, trims, collapses and drops trailing punctuation") {
  struct Case {
    char const* what;
    std::string input;
    std::string expected;
  };
  Case const cases[] = {
      {"empty", "", ""},
      {"example", "  Opt   OUT!! \n", "opt out"},
      {"ASCII only is lower-cased", "\xC3\x89TEINDRE", "\xC3\x89teindre"},
      {"punctuation then spaces then punctuation", "stop . ! ", "stop"},
      {"only punctuation", "?!.", ""},
      {"leading punctuation stays", "...stop", "...stop"},
      {"inner punctuation stays", "st.op!", "st.op"},
      {"NBSP inside and around", "\xC2\xA0opt\xC2\xA0\xC2\xA0out\xC2\xA0", "opt out"},
      {"ellipsis", "stop\xE2\x80\xA6", "stop"},
      {"double exclamation mark U+203C", "stop\xE2\x80\xBC", "stop"},
      {"fullwidth question mark", "stop\xEF\xBC\x9F", "stop"},
      {"ideographic full stop", "stop\xE3\x80\x82", "stop"},
      {"emoji stays", "stop \xF0\x9F\x9B\x91", "stop \xF0\x9F\x9B\x91"},
      {"invalid byte stays", "STOP\xFF", "stop\xFF"},
      {"truncated fullwidth mark is not punctuation", "stop\xEF\xBC", "stop\xEF\xBC"},
  };
  for (auto const& c : cases) {
    CAPTURE(c.what);
    CHECK(normalize_opt_out_text(c.input) == c.expected);
  }
}

TEST_CASE("opt-out: the whole reply must be a default keyword") {
  auto const keywords = default_opt_out_keywords();
  struct Case {
    char const* reply;
    bool opt_out;
  };
  Case const cases[] = {
      // The brief's examples.
      {"STOP.", true},
      {"stop please", false},
      {"Stop!!!", true},
      {"  unsubscribe \n", true},
      // Each keyword, in various dress.
      {"stop", true},
      {"Stop", true},
      {"UNSUBSCRIBE", true},
      {"unsubscribe\r\n", true},
      {"opt out", true},
      {"Opt  Out", true},
      {"opt\tout!", true},
      {"opt\nout", true},
      {"OPTOUT", true},
      {"remove me", true},
      {"Remove Me ?!", true},
      {"remove me.", true},
      // Every trailing mark of the set.
      {"stop?", true},
      {"stop;:,", true},
      {"stop . .", true},
      {"stop\xE2\x80\xA6", true},              // …
      {"stop\xE2\x80\xBC", true},              // ‼
      {"stop\xE2\x81\x87", true},              // ⁇
      {"stop\xE2\x81\x88", true},              // ⁈
      {"stop\xE2\x81\x89", true},              // ⁉
      {"stop\xE3\x80\x82", true},              // 。
      {"stop\xE3\x80\x81", true},              // 、
      {"stop\xEF\xBC\x81", true},              // ！
      {"stop\xEF\xBC\x8C", true},              // ，
      {"stop\xEF\xBC\x8E", true},              // ．
      {"stop\xEF\xBC\x9A", true},              // ：
      {"stop\xEF\xBC\x9B", true},              // ；
      {"stop\xEF\xBC\x9F", true},              // ？
      {"\xC2\xA0STOP\xC2\xA0", true},          // NBSP around
      {"stop\xE3\x80\x80", true},              // ideographic space after
      // Not opt-outs.
      {"don't stop", false},
      {"stop it", false},
      {"stopp", false},
      {"st op", false},
      {"optout please", false},
      {"remove", false},
      {"me", false},
      {"\"stop\"", false},                     // quotes are not trailing punctuation
      {"(stop)", false},
      {"stop)", false},
      {".stop", false},                        // leading punctuation is kept
      {"\xC2\xA1stop!", false},                // ¡stop!
      {"stop \xF0\x9F\x9B\x91", false},        // emoji
      {"\xF0\x9F\x9B\x91", false},
      {"stop-", false},
      {"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", false},  // fullwidth ＳＴＯＰ: not lower-cased
      {"stop\xFF", false},                     // invalid UTF-8 is kept and matches nothing
      {"\xFF", false},
      {"", false},
      {"   ", false},
      {"!!!", false},
      {"https://t.co/stop", false},
  };
  for (auto const& c : cases) {
    CAPTURE(c.reply);
    CHECK(is_opt_out(c.reply, keywords) == c.opt_out);
  }
}

TEST_CASE("opt-out: configured keywords are normalised the same way") {
  CHECK(is_opt_out("opt out", {"Opt  Out!"}));
  CHECK(is_opt_out("OPT OUT", {" opt\tout "}));
  CHECK(is_opt_out("arr\xC3\xAAte", {"Arr\xC3\xAAte"}));        // arrête: the ASCII A is lower-cased
  CHECK_FALSE(is_opt_out("ARR\xC3\x8ATE", {"arr\xC3\xAAte"}));  // Ê is not: ASCII lower-casing only
  CHECK(is_opt_out("basta", {"stop", "Basta"}));
  CHECK_FALSE(is_opt_out("stop", {"basta"}));                   // only the configured list counts
  CHECK_FALSE(is_opt_out("stop", {}));
}

TEST_CASE("opt-out: a keyword that normalises to nothing never matches") {
  CHECK_FALSE(is_opt_out("", {""}));
  CHECK_FALSE(is_opt_out("!", {"!!"}));
  CHECK_FALSE(is_opt_out("   ", {" "}));
  CHECK(is_opt_out("stop", {"", "stop"}));
}
