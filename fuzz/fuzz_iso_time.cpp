// core/iso_time: `start_at` instants (YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)).
// Invariants: an error is a sentence that quotes the text (its location); an accepted text
// matches the documented grammar and field ranges and converts to the instant std::chrono's
// calendar computes; a canonical text (whole seconds, Z) formats back byte for byte; every
// instant in years 0000..9999 formats to a text that parses back to the same whole second.
#include <chrono>
#include <cstring>
#include <optional>

#include "common.hpp"
#include "core/iso_time.hpp"

using namespace outreach;
using namespace std::chrono;

namespace {

bool digits_at(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

/// An independent reading of the grammar through std::chrono's calendar; nullopt when invalid.
std::optional<TimePoint> reference(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !digits_at(s, 0, 4, y) || s[4] != '-' || !digits_at(s, 5, 2, mo) || s[7] != '-' ||
      !digits_at(s, 8, 2, d) || s[10] != 'T' || !digits_at(s, 11, 2, h) || s[13] != ':' || !digits_at(s, 14, 2, mi) ||
      s[16] != ':' || !digits_at(s, 17, 2, se))
    return std::nullopt;
  std::size_t pos = 19;
  long long millis = 0;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  minutes offset{0};
  if (s[pos] == 'Z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (s.size() != pos + 6 || !digits_at(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !digits_at(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset = minutes{(s[pos] == '-' ? -1 : 1) * (oh * 60 + om)};
  } else {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
  return time_point_cast<Duration>(sys_days{ymd}) + hours{h} + minutes{mi} + seconds{se} - offset +
         milliseconds{millis};
}

TimePoint floor_seconds(TimePoint t) { return time_point_cast<Duration>(floor<seconds>(t)); }

void check_format(TimePoint t) {
  const std::string text = format_iso8601(t);
  const auto ymd = year_month_day{floor<days>(t)};
  if (ymd.year() < year{0} || ymd.year() > year{9999}) return;  // outside the documented range
  FUZZ_CHECK(text.size() == 20 && text.back() == 'Z', fuzz::show(text));
  auto back = parse_iso8601(text);
  FUZZ_CHECK(back && *back == floor_seconds(t),
             std::to_string(t.time_since_epoch().count()) + "ms formats to " + fuzz::show(text) + " which reads back " +
                 (back ? std::to_string(back->time_since_epoch().count()) : back.error().message));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  auto parsed = parse_iso8601(text);
  const auto expected = reference(text);
  if (!parsed) {
    std::string const& message = parsed.error().message;
    FUZZ_CHECK(fuzz::starts_with(message, "time \""), fuzz::show(message));
    FUZZ_CHECK(fuzz::contains(message, std::string(text.substr(0, 40))), fuzz::show(message));
    FUZZ_CHECK(!expected, fuzz::show(text) + " is valid but was rejected: " + message);
  } else {
    FUZZ_CHECK(expected.has_value(), fuzz::show(text) + " is not valid but was accepted");
    FUZZ_CHECK(*parsed == *expected, fuzz::show(text) + " read as " + std::to_string(parsed->time_since_epoch().count()) +
                                         "ms, expected " + std::to_string(expected->time_since_epoch().count()));
    check_format(*parsed);
    // Canonical spelling (whole seconds, UTC) formats back exactly.
    if (text.size() == 20 && text.back() == 'Z') FUZZ_CHECK(format_iso8601(*parsed) == text, fuzz::show(text));
  }
  if (size >= 8) {
    std::int64_t raw = 0;
    std::memcpy(&raw, data, sizeof raw);
    // Years 0000..9999 span about ±2.5e14 ms around 1970; fold the raw value into (a bit beyond) that.
    const std::int64_t span = 320'000'000'000'000LL;
    check_format(TimePoint{Duration{raw % span}});
    (void)format_iso8601(TimePoint{Duration{raw}});  // any instant: must not crash or overflow
  }
  return 0;
}
