#include "core/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace outreach {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};
// Longest suffix first so "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 5> kUnits{{{"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return make_error("duration is empty; write a number with a unit, e.g. \"2s\"");
  if (text.front() == '-') return make_error("duration " + quoted(text) + " is negative");
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return make_error("duration " + quoted(text) + " must start with a whole number, e.g. \"2s\"");
  std::string_view unit = text.substr(digits);
  if (unit.empty()) return make_error("duration " + quoted(text) + " has no unit; use ms, s, m, h or d");
  std::int64_t per_unit = 0;
  for (auto const& u : kUnits)
    if (unit == u.suffix) per_unit = u.millis;
  if (per_unit == 0)
    return make_error("duration " + quoted(text) + " has unknown unit " + quoted(unit) + "; use ms, s, m, h or d");

  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const int digit = text[i] - '0';
    if (value > (kMax - digit) / 10) return make_error("duration " + quoted(text) + " is too large");
    value = value * 10 + digit;
  }
  if (value > kMax / per_unit) return make_error("duration " + quoted(text) + " is too large");
  return Duration{value * per_unit};
}

std::string format_duration(Duration d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  // Largest unit that divides exactly, so the text parses back to the same value.
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it)
    if (ms % it->millis == 0) return std::to_string(ms / it->millis) + std::string(it->suffix);
  return std::to_string(ms) + "ms";
}

}  // namespace outreach
