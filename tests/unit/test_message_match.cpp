// core/message_match: comparing a sent text with the text read back from the inbox
// (reconciliation of in-doubt sends). Test names say "reconciliation" so the suite's filter
// `-tc='*reconcil*'` runs them with the rest of the reconciliation rules.
#include <doctest/doctest.h>

#include <string>

#include "core/message_match.hpp"

using namespace outreach;

namespace {

std::string const U(kLinkMark);

struct NormCase {
  char const* what;
  std::string input;
  std::string expected;
};

void check_normalize(std::initializer_list<NormCase> cases) {
  for (auto const& c : cases) {
    CAPTURE(c.what);
    CAPTURE(c.input);
    CHECK(normalize_for_match(c.input) == c.expected);
  }
}

}  // namespace

TEST_CASE("reconciliation text match: whitespace runs become one space, both ends are trimmed") {
  check_normalize({
      {"empty", "", ""},
      {"only spaces", "   ", ""},
      {"only mixed whitespace", " \t\r\n\v\f ", ""},
      {"plain", "hello", "hello"},
      {"leading and trailing", "  hello  ", "hello"},
      {"inner run", "a   b", "a b"},
      {"tab, LF, CR mixed", "a \t\n\r b", "a b"},
      {"CRLF", "a\r\nb", "a b"},
      {"paragraphs", "Hi,\n\nthanks", "Hi, thanks"},
      {"NBSP U+00A0", "a\xC2\xA0" "b", "a b"},
      {"NEL U+0085", "a\xC2\x85" "b", "a b"},
      {"NBSP runs and trims", "\xC2\xA0 a \xC2\xA0\xC2\xA0 b\xC2\xA0", "a b"},
      {"en quad U+2000", "a\xE2\x80\x80" "b", "a b"},
      {"hair space U+200A", "a\xE2\x80\x8A" "b", "a b"},
      {"em space U+2003", "a\xE2\x80\x83" "b", "a b"},
      {"line separator U+2028", "a\xE2\x80\xA8" "b", "a b"},
      {"paragraph separator U+2029", "a\xE2\x80\xA9" "b", "a b"},
      {"narrow NBSP U+202F", "a\xE2\x80\xAF" "b", "a b"},
      {"math space U+205F", "a\xE2\x81\x9F" "b", "a b"},
      {"ideographic space U+3000", "a\xE3\x80\x80" "b", "a b"},
      {"ogham space U+1680", "a\xE1\x9A\x80" "b", "a b"},
      {"zero-width space U+200B is kept", "a\xE2\x80\x8B" "b", "a\xE2\x80\x8B" "b"},
      {"BOM U+FEFF is kept", "\xEF\xBB\xBF" "a", "\xEF\xBB\xBF" "a"},
      {"hyphen U+2010 is not whitespace", "a\xE2\x80\x90" "b", "a\xE2\x80\x90" "b"},
      {"case is kept", "Hello World", "Hello World"},
  });
}

TEST_CASE("reconciliation text match: every link becomes the same mark") {
  check_normalize({
      {"https in a sentence", "see https://example.com/x?a=1 today", "see " + U + " today"},
      {"http", "http://example.com", U},
      {"upper-case scheme", "HTTP://EXAMPLE.COM/A", U},
      {"mixed-case scheme", "hTtPs://Example.com", U},
      {"t.co link", "go t.co/AbC123 now", "go " + U + " now"},
      {"upper-case t.co", "T.CO/abc", U},
      {"https t.co", "https://t.co/abc", U},
      {"www link", "www.example.com/page", U},
      {"text that is only a link", "https://example.com", U},
      {"two links", "https://a.io https://b.io", U + " " + U},
      {"link glued to text before it", "see:https://a.io", "see:" + U},
      {"scheme inside a word still opens a link", "xhttps://a.io", "x" + U},
      {"trailing full stop belongs to the link", "see https://a.io/x.", "see " + U},
      {"trailing punctuation run", "see https://a.io/x?!), ok", "see " + U + " ok"},
      {"opening parenthesis stays, closing one goes with the link", "(https://a.io/x)", "(" + U},
      {"link ends at NBSP", "https://a.io\xC2\xA0next", U + " next"},
      {"link ends at newline", "https://a.io\nnext", U + " next"},
      {"link ends at ideographic space", "https://a.io\xE3\x80\x80next", U + " next"},
      {"link with non-ASCII path", "https://a.io/caf\xC3\xA9 x", U + " x"},
      {"two links glued by a comma are one", "https://a.io,https://b.io", U},
      {"scheme with nothing after it is text", "see https:// here", "see https:// here"},
      {"scheme at the end is text", "see http://", "see http://"},
      {"t.co/ with nothing after it is text", "t.co/", "t.co/"},
      {"t.co without a slash is text", "t.co", "t.co"},
      {"t.co inside a domain is text", "react.co/x", "react.co/x"},
      {"t.co after a letter is text", "at.co/x", "at.co/x"},
      {"t.co after a dot is text", "x.t.co/x", "x.t.co/x"},
      {"t.co after a hyphen is text", "my-t.co/x", "my-t.co/x"},
      {"t.co after @ is text", "@t.co/x", "@t.co/x"},
      {"t.co after a parenthesis is a link", "(t.co/x)", "(" + U},
      {"t.co after a quote is a link", "\"t.co/x\"", "\"" + U},
      {"www inside a word is text", "awww.x", "awww.x"},
      {"bare domain is not a link", "see example.com", "see example.com"},
      {"https without slashes is text", "https:example.com", "https:example.com"},
  });
}

TEST_CASE("reconciliation text match: &amp; &lt; &gt; are decoded, other entities are not") {
  check_normalize({
      {"amp", "Tom &amp; Jerry", "Tom & Jerry"},
      {"lt gt", "&lt;3 &gt;", "<3 >"},
      {"decoded once", "&amp;amp;", "&amp;"},
      {"quot is kept", "&quot;hi&quot;", "&quot;hi&quot;"},
      {"unterminated", "&amp", "&amp"},
      {"lone ampersand", "a & b &", "a & b &"},
      {"upper case is not an entity", "&AMP;", "&AMP;"},
      {"inside a link nothing is decoded", "https://a.io/?a=1&amp;b=2 x", U + " x"},
  });
}

TEST_CASE("reconciliation text match: invalid UTF-8 is kept byte for byte and never crashes") {
  check_normalize({
      {"truncated NBSP at the end", "a\xC2", "a\xC2"},
      {"truncated 3-byte space at the end", "a\xE2\x80", "a\xE2\x80"},
      {"lead byte then space", "a\xC2 b", "a\xC2 b"},
      {"stray bytes", "\xFF\xFE", "\xFF\xFE"},
      {"lone continuation", "\x80 \x80", "\x80 \x80"},
      {"invalid bytes end a link only at whitespace", "https://a.io/\xFF\xFE x", U + " x"},
      {"3-byte lead then ASCII", "a\xE2 b\xE3", "a\xE2 b\xE3"},
      {"NUL byte", std::string("a\0b", 3), std::string("a\0b", 3)},
  });
  // Every string of up to 3 bytes over an alphabet of whitespace lead bytes, continuation bytes
  // and link characters: never longer than the input, and no crash.
  std::string const alphabet{'\xC2', '\xA0', '\x85', '\xE2', '\x80', '\xE3', ' ', '&', 'h', '/', '\xFF'};
  std::size_t checked = 0;
  for (char a : alphabet) {
    for (char b : alphabet) {
      for (char c : alphabet) {
        for (std::string const& s : {std::string{a}, std::string{a, b}, std::string{a, b, c}}) {
          CHECK(normalize_for_match(s).size() <= s.size());
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 3 * alphabet.size() * alphabet.size() * alphabet.size());
}

TEST_CASE("reconciliation text match: texts_match compares the normalised texts") {
  struct Case {
    char const* what;
    std::string sent;
    std::string seen;
    bool match;
  };
  Case const cases[] = {
      {"identical", "Hi Ann, have a look", "Hi Ann, have a look", true},
      {"whitespace differs", "Hi  Ann,\n\nhave a look ", "Hi Ann, have a look", true},
      {"NBSP against space", "Hi\xC2\xA0" "Ann", "Hi Ann", true},
      {"link rewritten to t.co", "Try https://example.com/very/long?ref=dm it", "Try https://t.co/AbC123 it",
       true},
      {"only a link", "https://example.com/x", "https://t.co/x", true},
      {"link with trailing full stop rewritten", "See https://example.com.", "See https://t.co/x.", true},
      {"punctuation glued to a link is not compared", "See https://example.com.", "See https://t.co/x!", true},
      {"upper-case scheme against t.co", "HTTPS://EXAMPLE.COM", "https://t.co/x", true},
      {"bare t.co against full link", "see t.co/abc", "see https://example.com", true},
      {"escaped ampersand", "Tom & Jerry <3", "Tom &amp; Jerry &lt;3", true},
      {"case differs", "Hi Ann", "hi ann", false},
      {"punctuation differs", "Hi Ann", "Hi Ann!", false},
      {"a word differs", "Hi Ann", "Hi Bob", false},
      {"link removed", "a https://x.io b", "a b", false},
      {"link against word", "a https://x.io b", "a here b", false},
      {"two links against one", "https://a.io https://b.io", "https://t.co/x", false},
      {"bare domain rewritten to t.co does not match", "see example.com", "see https://t.co/x", false},
      {"empty against empty", "", "", false},
      {"whitespace against empty", " \n ", "", false},
      {"empty against text", "", "hi", false},
      {"text against empty", "hi", "", false},
      {"same invalid bytes", "a\xFF" "b", "a\xFF" "b", true},
      {"different invalid bytes", "a\xFF" "b", "a\xFE" "b", false},
      {"zero-width space is a difference", "ab", "a\xE2\x80\x8B" "b", false},
  };
  for (auto const& c : cases) {
    CAPTURE(c.what);
    CHECK(texts_match(c.sent, c.seen) == c.match);
    CHECK(texts_match(c.seen, c.sent) == c.match);  // symmetric
  }
}

TEST_CASE("reconciliation text match: whitespace_length_at reads no byte past the end") {
  std::string const text = "a\xC2\xA0" "b\xE3\x80\x80";
  CHECK(whitespace_length_at(text, 0) == 0);
  CHECK(whitespace_length_at(text, 1) == 2);
  CHECK(whitespace_length_at(text, 3) == 0);
  CHECK(whitespace_length_at(text, 4) == 3);
  CHECK(whitespace_length_at(text, text.size()) == 0);
  CHECK(whitespace_length_at(text, text.size() + 5) == 0);
  CHECK(whitespace_length_at(std::string_view(text).substr(0, 2), 1) == 0);  // C2 without A0
  CHECK(whitespace_length_at(std::string_view(text).substr(0, 6), 4) == 0);  // E3 80 without the last byte
}
