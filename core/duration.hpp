#pragma once
// Config durations: "500ms", "2s", "5m", "1h", "7d". A unit is mandatory so "30" can never be
// silently read as 30 ms or 30 s.
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace outreach {

/// Parses a non-negative integer followed by one of ms, s, m, h, d. Rejects a missing unit, a sign,
/// fractions, spaces and values that overflow 64-bit milliseconds.
Result<Duration> parse_duration(std::string_view text);

/// The shortest exact spelling that parse_duration reads back ("90s" -> "90s", 7200000ms -> "2h").
std::string format_duration(Duration d);

}  // namespace outreach
