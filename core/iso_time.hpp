#pragma once
// ISO 8601 / RFC 3339 instants: `start_at` in campaign files (parse) and the time columns of the
// status views (format; README.md#the-schema-stable-interface). Pure calendar arithmetic, no C time
// functions, no time zone database.
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace outreach {

/// Parses exactly `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)`, e.g. "2026-12-01T09:00:00Z"
/// or "2026-12-01T10:30:00.250+01:30", and converts it to UTC. Fractions beyond milliseconds are
/// truncated. Rejects a missing offset, lowercase 't'/'z', spaces, leap seconds (:60), impossible
/// dates (Feb 30, Feb 29 in a non-leap year) and out-of-range fields, with one sentence that
/// quotes the text.
Result<TimePoint> parse_iso8601(std::string_view text);

/// "YYYY-MM-DDTHH:MM:SSZ" in UTC, whole seconds (milliseconds are floored, also before 1970).
/// parse_iso8601 reads it back exactly for any whole-second instant in years 0000..9999.
std::string format_iso8601(TimePoint t);

/// Days since 1970-01-01 of a proleptic Gregorian date (negative before 1970). No range checks:
/// month 1..12 and day 1..31 are assumed. Exposed for tests and day-boundary arithmetic.
long long days_from_civil(long long year, unsigned month, unsigned day);

}  // namespace outreach
