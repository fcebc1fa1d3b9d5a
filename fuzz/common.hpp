#pragma once
// Shared pieces of the libFuzzer targets: the invariant check that stops the run, input splitting,
// and small text helpers. Every target checks more than "no crash": a violated invariant prints
// what was expected and traps, so libFuzzer records the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

[[noreturn]] inline void fail(char const* file, int line, char const* what, std::string const& detail) {
  std::fprintf(stderr, "\n==== fuzz invariant violated at %s:%d\n==== %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "==== %s\n", detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

/// FUZZ_CHECK(condition, detail-string-expression): the detail is only built on failure.
#define FUZZ_CHECK(cond, detail)                                      \
  do {                                                                \
    if (!(cond)) ::fuzz::fail(__FILE__, __LINE__, #cond, (detail));   \
  } while (false)

inline std::string_view as_text(std::uint8_t const* data, std::size_t size) {
  return {reinterpret_cast<char const*>(data), size};
}

/// Printable form of arbitrary bytes for failure messages (at most `max` bytes shown).
inline std::string show(std::string_view s, std::size_t max = 300) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  if (s.size() > max) out += "...";
  return out + "\"";
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// Splits at the first occurrence of `sep`: {before, after}; after is empty when absent.
inline std::pair<std::string_view, std::string_view> split_once(std::string_view s, std::string_view sep) {
  const auto at = s.find(sep);
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + sep.size())};
}

inline std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto [line, rest] = split_once(s, "\n");
    out.push_back(line);
    if (line.size() == s.size()) break;
    s = rest;
  }
  return out;
}

/// Deterministic chunk boundaries derived from the input itself, so a streaming parser can be fed
/// the same bytes split in a different way on every input (FNV-1a drives a small generator).
inline std::vector<std::string_view> chunks(std::string_view s, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ULL ^ salt;
  for (const char c : s.substr(0, 64)) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    // Mostly tiny pieces; bigger ones on big inputs, where tiny ones would only cost time.
    const std::uint64_t big = s.size() > 2048 ? 1021 : 97;
    const std::size_t n = 1 + static_cast<std::size_t>(h % 7 == 0 ? h % big : h % 5);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

/// Number of the last physical line (1 + line breaks; a CRLF counts once, a lone CR counts).
inline std::size_t physical_lines(std::string_view s) {
  std::size_t lines = 1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') ++lines;
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) ++lines;
  }
  return lines;
}

/// Reads the decimal number after `marker` in `text` (e.g. "line " in "line 3 column 4").
/// With `last`, the last occurrence counts (when quoted input before it may hold the marker).
inline bool number_after(std::string_view text, std::string_view marker, std::size_t& out, bool last = false) {
  const auto at = last ? text.rfind(marker) : text.find(marker);
  if (at == std::string_view::npos) return false;
  std::size_t i = at + marker.size();
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
  std::size_t v = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + static_cast<std::size_t>(text[i] - '0');
  out = v;
  return true;
}

}  // namespace fuzz
