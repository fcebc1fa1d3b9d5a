#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace outreach {

namespace {

bool in(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

/// Length of the well-formed sequence starting at text[i], or 0 when it is not well-formed
/// (Unicode Table 3-7: the second byte's range excludes overlongs, surrogates and > U+10FFFF).
std::size_t sequence_length(std::string_view text, std::size_t i) {
  auto const n = text.size() - i;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char const b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return n >= 2 && in(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    if (n < 3) return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xE0) lo = 0xA0;  // below: overlong
    if (b0 == 0xED) hi = 0x9F;  // above: surrogates
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    if (n < 4) return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xF0) lo = 0x90;  // below: overlong
    if (b0 == 0xF4) hi = 0x8F;  // above: > U+10FFFF
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // 80..C1 (stray continuation, overlong lead) and F5..FF
}

}  // namespace

Utf8Scan scan_utf8(std::string_view text) {
  Utf8Scan scan;
  std::size_t i = 0;
  auto const size = text.size();
  while (i < size) {
    // Messages are mostly ASCII: skip 8 ASCII bytes at a time.
    while (size - i >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
      scan.code_points += 8;
    }
    if (i >= size) break;
    auto const len = sequence_length(text, i);
    if (len == 0) {
      scan.valid = false;
      scan.error_offset = i;
      return scan;
    }
    i += len;
    ++scan.code_points;
  }
  return scan;
}

bool is_valid_utf8(std::string_view text) { return scan_utf8(text).valid; }

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  auto const scan = scan_utf8(text);
  if (scan.valid) return std::nullopt;
  return scan.error_offset;
}

std::optional<ControlCharacter> find_control_character(std::string_view text) {
  std::size_t position = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto const c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) ++position;
    // CRLF is a newline as Windows editors and RFC 4180 CSV write it (quoted CSV cells keep it); a
    // lone CR is not: on a terminal it returns to the start of the line and overwrites the text.
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) return ControlCharacter{i, position, c};
    // U+0080..U+009F are exactly the two-byte sequences C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < text.size()) {
      auto const next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return ControlCharacter{i, position, next};
    }
  }
  return std::nullopt;
}

std::string describe_control_character(ControlCharacter const& control) {
  static constexpr std::string_view kC0Names[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                                  "BS",  "HT",  "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                                  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                                                  "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+00";
  out += kHex[(control.code_point >> 4) & 0xF];
  out += kHex[control.code_point & 0xF];
  if (control.code_point < 0x20)
    out += " (" + std::string(kC0Names[control.code_point]) + ")";
  else if (control.code_point == 0x7F)
    out += " (DEL)";
  return out + " at character " + std::to_string(control.position);
}

std::size_t count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace outreach
