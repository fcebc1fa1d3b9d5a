#include "core/opt_out.hpp"

#include <algorithm>

#include "core/message_match.hpp"

namespace outreach {

namespace {

/// Trailing punctuation that does not change what a one-word reply says.
constexpr std::array<std::string_view, 19> kTrailingPunctuation{
    ".", "!", "?", ",", ";", ":",
    "\xE2\x80\xA6",                                  // … U+2026
    "\xE2\x80\xBC",                                  // ‼ U+203C
    "\xE2\x81\x87", "\xE2\x81\x88", "\xE2\x81\x89",  // ⁇ ⁈ ⁉ U+2047..U+2049
    "\xE3\x80\x82", "\xE3\x80\x81",                  // 。 、 U+3002, U+3001
    "\xEF\xBC\x81", "\xEF\xBC\x8C", "\xEF\xBC\x8E",  // ！ ， ． U+FF01, U+FF0C, U+FF0E
    "\xEF\xBC\x9A", "\xEF\xBC\x9B", "\xEF\xBC\x9F",  // ： ； ？ U+FF1A, U+FF1B, U+FF1F
};

/// Removes one trailing space or punctuation mark; false when the text ends in neither.
bool drop_trailing_space_or_punctuation(std::string& text) {
  if (text.empty()) return false;
  if (text.back() == ' ') {
    text.pop_back();
    return true;
  }
  for (std::string_view const mark : kTrailingPunctuation) {
    if (std::string_view(text).ends_with(mark)) {
      text.resize(text.size() - mark.size());
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> default_opt_out_keywords() {
  return {kDefaultOptOutKeywords.begin(), kDefaultOptOutKeywords.end()};
}

std::string normalize_opt_out_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space_pending = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::size_t const ws = whitespace_length_at(text, i); ws > 0) {
      space_pending = !out.empty();
      i += ws;
      continue;
    }
    if (space_pending) {
      out += ' ';
      space_pending = false;
    }
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
    ++i;
  }
  while (drop_trailing_space_or_punctuation(out)) {
  }
  return out;
}

bool is_opt_out(std::string_view reply_text, std::vector<std::string> const& keywords) {
  std::string const reply = normalize_opt_out_text(reply_text);
  if (reply.empty()) return false;
  return std::any_of(keywords.begin(), keywords.end(),
                     [&](std::string const& keyword) { return normalize_opt_out_text(keyword) == reply; });
}

}  // namespace outreach
