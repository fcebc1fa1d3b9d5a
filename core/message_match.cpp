#include "core/message_match.hpp"

#include <array>

namespace outreach {

namespace {

unsigned char byte_at(std::string_view text, std::size_t i) { return static_cast<unsigned char>(text[i]); }

bool starts_with_ascii_nocase(std::string_view text, std::size_t offset, std::string_view prefix) {
  if (text.size() - offset < prefix.size()) return false;
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    unsigned char c = byte_at(text, offset + k);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (c != static_cast<unsigned char>(prefix[k])) return false;
  }
  return true;
}

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// "t.co/" and "www." count only at the start of a word, so "react.co/x" holds no t.co link.
bool starts_word(std::string_view text, std::size_t offset) {
  if (offset == 0) return true;
  unsigned char const prev = byte_at(text, offset - 1);
  return !(is_ascii_alnum(prev) || prev == '.' || prev == '-' || prev == '_' || prev == '@' ||
           prev == '/');
}

/// Length of the prefix that opens a link at text[offset], 0 when none does.
std::size_t link_prefix_length(std::string_view text, std::size_t offset) {
  if (starts_with_ascii_nocase(text, offset, "https://")) return 8;
  if (starts_with_ascii_nocase(text, offset, "http://")) return 7;
  if (!starts_word(text, offset)) return 0;
  if (starts_with_ascii_nocase(text, offset, "t.co/")) return 5;
  if (starts_with_ascii_nocase(text, offset, "www.")) return 4;
  return 0;
}

/// Length of the link starting at text[offset] (up to the next whitespace), 0 when none starts
/// there. A prefix with nothing after it ("see https:// here") is not a link.
std::size_t link_length(std::string_view text, std::size_t offset) {
  std::size_t const prefix = link_prefix_length(text, offset);
  if (prefix == 0) return 0;
  std::size_t end = offset + prefix;
  while (end < text.size() && whitespace_length_at(text, end) == 0) ++end;
  return end > offset + prefix ? end - offset : 0;
}

struct Entity {
  std::string_view spelled;
  char decoded;
};
constexpr std::array<Entity, 3> kEntities{{{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}}};

}  // namespace

std::size_t whitespace_length_at(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return 0;
  std::size_t const left = text.size() - offset;
  unsigned char const b0 = byte_at(text, offset);
  switch (b0) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
      return 1;
    case 0xC2:  // U+0085 NEL, U+00A0 NO-BREAK SPACE
      if (left >= 2 && (byte_at(text, offset + 1) == 0x85 || byte_at(text, offset + 1) == 0xA0)) return 2;
      return 0;
    case 0xE1:  // U+1680 OGHAM SPACE MARK
      return left >= 3 && byte_at(text, offset + 1) == 0x9A && byte_at(text, offset + 2) == 0x80 ? 3 : 0;
    case 0xE2: {
      if (left < 3) return 0;
      unsigned char const b1 = byte_at(text, offset + 1);
      unsigned char const b2 = byte_at(text, offset + 2);
      if (b1 == 0x80) {
        // U+2000..U+200A (E2 80 80..8A), U+2028, U+2029 (E2 80 A8, A9), U+202F (E2 80 AF)
        if ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) return 3;
      } else if (b1 == 0x81 && b2 == 0x9F) {
        return 3;  // U+205F MEDIUM MATHEMATICAL SPACE
      }
      return 0;
    }
    case 0xE3:  // U+3000 IDEOGRAPHIC SPACE
      return left >= 3 && byte_at(text, offset + 1) == 0x80 && byte_at(text, offset + 2) == 0x80 ? 3 : 0;
    default:
      return 0;
  }
}

std::string normalize_for_match(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space_pending = false;  // whitespace seen since the last kept character
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::size_t const ws = whitespace_length_at(text, i); ws > 0) {
      space_pending = !out.empty();  // leading whitespace is dropped
      i += ws;
      continue;
    }
    if (space_pending) {
      out += ' ';
      space_pending = false;
    }
    if (std::size_t const link = link_length(text, i); link > 0) {
      out += kLinkMark;
      i += link;
      continue;
    }
    if (text[i] == '&') {
      bool decoded = false;
      for (auto const& entity : kEntities) {
        if (text.substr(i, entity.spelled.size()) == entity.spelled) {
          out += entity.decoded;
          i += entity.spelled.size();
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    out += text[i];
    ++i;
  }
  return out;  // trailing whitespace was never written
}

bool texts_match(std::string_view sent, std::string_view seen) {
  std::string const a = normalize_for_match(sent);
  if (a.empty()) return false;
  return a == normalize_for_match(seen);
}

}  // namespace outreach
