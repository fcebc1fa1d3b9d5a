// core/duration: config durations ("500ms", "2s", "5m", "1h", "7d").
// Invariants: an error is a sentence that quotes the text it rejects (its location); a parsed
// value is non-negative and round-trips through format_duration, whose text is the shortest
// exact spelling; any non-negative 64-bit millisecond count formats to a text that parses back.
#include <chrono>
#include <cstring>
#include <limits>

#include "common.hpp"
#include "core/duration.hpp"

using namespace outreach;

namespace {

void check_format_round_trip(Duration d) {
  const std::string text = format_duration(d);
  FUZZ_CHECK(!text.empty(), "");
  auto back = parse_duration(text);
  if (d.count() < 0) {
    FUZZ_CHECK(!back, "a negative duration formatted to " + fuzz::show(text) + ", which parses");
    return;
  }
  FUZZ_CHECK(back && *back == d, std::to_string(d.count()) + "ms formats to " + fuzz::show(text) +
                                     " which reads back as " + (back ? std::to_string(back->count()) : back.error().message));
  // Shortest: no larger unit divides the value exactly (else format should have used it).
  const long long ms = d.count();
  if (ms != 0) {
    const char unit = text.back() == 's' && text.size() >= 2 && text[text.size() - 2] == 'm' ? 'x' : text.back();
    const long long per = unit == 'x' ? 1 : unit == 's' ? 1000 : unit == 'm' ? 60'000 : unit == 'h' ? 3'600'000 : 86'400'000;
    for (long long larger : {1000LL, 60'000LL, 3'600'000LL, 86'400'000LL})
      if (larger > per) FUZZ_CHECK(ms % larger != 0, fuzz::show(text) + " is not the shortest spelling");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  auto parsed = parse_duration(text);
  if (!parsed) {
    std::string const& message = parsed.error().message;
    FUZZ_CHECK(fuzz::starts_with(message, "duration "), fuzz::show(message));
    if (!text.empty()) FUZZ_CHECK(fuzz::contains(message, "\"" + std::string(text) + "\""), fuzz::show(message));
    FUZZ_CHECK(!parsed.error().environmental, "");
  } else {
    FUZZ_CHECK(parsed->count() >= 0, fuzz::show(text));
    // The accepted grammar: digits then exactly one unit.
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    const std::string_view unit = text.substr(digits);
    FUZZ_CHECK(digits > 0 && (unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d"), fuzz::show(text));
    check_format_round_trip(*parsed);
  }
  // Any 64-bit count, not only what the text parser produced.
  if (size >= 8) {
    std::int64_t raw = 0;
    std::memcpy(&raw, data, sizeof raw);
    check_format_round_trip(Duration{raw});
    if (raw != std::numeric_limits<std::int64_t>::min()) check_format_round_trip(Duration{raw < 0 ? -raw : raw});
  }
  return 0;
}
