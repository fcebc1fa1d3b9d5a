#include <doctest/doctest.h>

#include <string>

#include "core/utf8.hpp"

using namespace outreach;

namespace {
std::string bytes(std::initializer_list<unsigned> list) {
  std::string s;
  for (auto b : list) s.push_back(static_cast<char>(b));
  return s;
}
}  // namespace

TEST_CASE("utf8: well-formed text of every sequence length is valid and counted per code point") {
  CHECK(is_valid_utf8(""));
  CHECK(count_code_points("") == 0);
  CHECK(is_valid_utf8("hello"));
  CHECK(count_code_points("hello") == 5);
  CHECK(is_valid_utf8("h\xC3\xA9llo"));                       // é (2 bytes)
  CHECK(count_code_points("h\xC3\xA9llo") == 5);
  CHECK(is_valid_utf8("\xE2\x82\xAC"));                        // € (3 bytes)
  CHECK(count_code_points("\xE2\x82\xAC") == 1);
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));                    // 😀 (4 bytes)
  CHECK(count_code_points("\xF0\x9F\x98\x80") == 1);
  CHECK(is_valid_utf8(std::string("a\0b", 3)));                // NUL is a code point
  // Boundaries of each range.
  CHECK(is_valid_utf8(bytes({0x7F})));
  CHECK(is_valid_utf8(bytes({0xC2, 0x80})));                   // U+0080
  CHECK(is_valid_utf8(bytes({0xDF, 0xBF})));                   // U+07FF
  CHECK(is_valid_utf8(bytes({0xE0, 0xA0, 0x80})));             // U+0800
  CHECK(is_valid_utf8(bytes({0xED, 0x9F, 0xBF})));             // U+D7FF
  CHECK(is_valid_utf8(bytes({0xEE, 0x80, 0x80})));             // U+E000
  CHECK(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));             // U+FFFF
  CHECK(is_valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));       // U+10000
  CHECK(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));       // U+10FFFF
}

TEST_CASE("utf8: overlongs, surrogates, values above U+10FFFF and stray bytes are rejected") {
  CHECK_FALSE(is_valid_utf8(bytes({0xC0, 0x80})));              // overlong NUL
  CHECK_FALSE(is_valid_utf8(bytes({0xC1, 0xBF})));              // overlong U+007F
  CHECK_FALSE(is_valid_utf8(bytes({0xE0, 0x9F, 0xBF})));        // overlong U+07FF
  CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // overlong U+FFFF
  CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0x80})));        // U+D800
  CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xBF, 0xBF})));        // U+DFFF
  CHECK_FALSE(is_valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  CHECK_FALSE(is_valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  CHECK_FALSE(is_valid_utf8(bytes({0xFF})));
  CHECK_FALSE(is_valid_utf8(bytes({0xFE})));
  CHECK_FALSE(is_valid_utf8(bytes({0x80})));                    // lone continuation
  CHECK_FALSE(is_valid_utf8(bytes({0xC3, 0x41})));              // continuation missing
  CHECK_FALSE(is_valid_utf8(bytes({0xE2, 0x82, 0x41})));
  CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98, 0x41})));
}

TEST_CASE("utf8: truncated sequences at the end are rejected") {
  CHECK_FALSE(is_valid_utf8(bytes({0xC3})));
  CHECK_FALSE(is_valid_utf8(bytes({0xE2, 0x82})));
  CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98})));
  CHECK_FALSE(is_valid_utf8("abcdefgh" + bytes({0xF0, 0x9F})));
}

TEST_CASE("utf8: find_invalid_utf8 and scan_utf8 give the offset of the first bad sequence") {
  CHECK_FALSE(find_invalid_utf8("plain").has_value());
  CHECK(find_invalid_utf8(bytes({0x80})) == 0u);
  CHECK(find_invalid_utf8("ab" + bytes({0xC3, 0xA9}) + bytes({0xFF}) + "z") == 4u);
  // Past the 8-byte ASCII fast path, and right after it.
  std::string const long_ascii(17, 'x');
  CHECK(find_invalid_utf8(long_ascii + bytes({0xED, 0xA0, 0x80})) == 17u);
  CHECK(find_invalid_utf8(std::string(8, 'x') + bytes({0xC0, 0x80})) == 8u);

  auto scan = scan_utf8("h\xC3\xA9" + bytes({0xFF}));
  CHECK_FALSE(scan.valid);
  CHECK(scan.error_offset == 3);
  CHECK(scan.code_points == 2);

  scan = scan_utf8(std::string(20, 'a') + "\xE2\x82\xAC" + std::string(9, 'b'));
  CHECK(scan.valid);
  CHECK(scan.code_points == 30);
}

TEST_CASE("utf8: count_code_points agrees with scan_utf8 on mixed text of many lengths") {
  std::string const unit = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // 4 code points, 10 bytes
  std::string text;
  for (std::size_t n = 0; n < 20; ++n) {
    CHECK(scan_utf8(text).valid);
    CHECK(scan_utf8(text).code_points == 4 * n);
    CHECK(count_code_points(text) == 4 * n);
    text += unit;
  }
}

TEST_CASE("utf8: count_code_points never counts continuation bytes, even in invalid text") {
  CHECK(count_code_points(bytes({0x80, 0x80})) == 0);
  CHECK(count_code_points(bytes({0xC3})) == 1);
}

TEST_CASE("utf8: find_control_character finds C0, DEL and C1 controls, not newline, CRLF or tab") {
  CHECK_FALSE(find_control_character("").has_value());
  // U+00A0 (C2 A0) and U+2028 are not controls; a CRLF pair is a newline.
  CHECK_FALSE(find_control_character("line\nnext\ttab\r\nwin caf\xC3\xA9 \xC2\xA0 \xE2\x80\xA8 \xF0\x9F\x98\x80").has_value());

  struct Case {
    std::string text;
    std::size_t offset;
    std::size_t position;
    std::uint32_t code_point;
    char const* described;
  };
  const Case cases[] = {
      {std::string("a\0b", 3), 1, 2, 0x00, "U+0000 (NUL) at character 2"},
      {"\x01", 0, 1, 0x01, "U+0001 (SOH) at character 1"},
      {"ding\x07", 4, 5, 0x07, "U+0007 (BEL) at character 5"},
      {"\xC3\xA9\x1B[31m", 2, 2, 0x1B, "U+001B (ESC) at character 2"},
      {"x\x1F", 1, 2, 0x1F, "U+001F (US) at character 2"},
      {"x\x7F", 1, 2, 0x7F, "U+007F (DEL) at character 2"},
      {"over\rwrite", 4, 5, 0x0D, "U+000D (CR) at character 5"},
      {"end\r", 3, 4, 0x0D, "U+000D (CR) at character 4"},
      {"\r\r\n", 0, 1, 0x0D, "U+000D (CR) at character 1"},
      {"\x0B", 0, 1, 0x0B, "U+000B (VT) at character 1"},
      {"ab\xC2\x80", 2, 3, 0x80, "U+0080 at character 3"},
      {"\xE2\x82\xAC\xC2\x85", 3, 2, 0x85, "U+0085 at character 2"},
      {"\xC2\x9B" "31m", 0, 1, 0x9B, "U+009B at character 1"},
      {"\xC2\x9F", 0, 1, 0x9F, "U+009F at character 1"},
  };
  for (auto const& c : cases) {
    CAPTURE(c.described);
    auto const found = find_control_character(c.text);
    REQUIRE(found.has_value());
    CHECK(found->offset == c.offset);
    CHECK(found->position == c.position);
    CHECK(found->code_point == c.code_point);
    CHECK(describe_control_character(*found) == c.described);
  }
}
