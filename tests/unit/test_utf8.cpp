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
