#include <doctest/doctest.h>

#include <string>

#include "core/iso_time.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {
long long ms(TimePoint t) { return t.time_since_epoch().count(); }

void check_error(std::string const& text, std::string const& fragment) {
  auto r = parse_iso8601(text);
  REQUIRE_MESSAGE(r.has_error(), text);
  CHECK_MESSAGE(r.error().message.find(fragment) != std::string::npos, r.error().message);
}
}  // namespace

TEST_CASE("iso_time: days_from_civil matches known dates") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(1970, 1, 2) == 1);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(2026, 12, 1) == 20788);
  CHECK(days_from_civil(0, 1, 1) == -719528);
  CHECK(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28) == 2);  // leap
  CHECK(days_from_civil(2023, 3, 1) - days_from_civil(2023, 2, 28) == 1);
  CHECK(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2);  // divisible by 400
  CHECK(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28) == 1);  // divisible by 100
}

TEST_CASE("iso_time: parses UTC times") {
  CHECK(ms(parse_iso8601("1970-01-01T00:00:00Z").value()) == 0);
  // 2026-12-01T09:00:00Z: 20788 days + 9 h.
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00Z").value()) == (20788LL * 86400 + 9 * 3600) * 1000);
  CHECK(ms(parse_iso8601("1969-12-31T23:59:59Z").value()) == -1000);
  CHECK(ms(parse_iso8601("2024-02-29T12:00:00Z").value()) == (days_from_civil(2024, 2, 29) * 86400 + 12 * 3600) * 1000);
  CHECK(ms(parse_iso8601("2000-02-29T00:00:00Z").value()) == days_from_civil(2000, 2, 29) * 86400 * 1000);
  CHECK(ms(parse_iso8601("9999-12-31T23:59:59Z").value()) == (days_from_civil(9999, 12, 31) * 86400 + 86399) * 1000);
  CHECK(parse_iso8601("0000-01-01T00:00:00Z").has_value());
}

TEST_CASE("iso_time: fractional seconds are read to the millisecond and truncated beyond") {
  auto base = ms(parse_iso8601("2026-12-01T09:00:00Z").value());
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.5Z").value()) == base + 500);
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.25Z").value()) == base + 250);
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.123Z").value()) == base + 123);
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.123999999Z").value()) == base + 123);
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.000Z").value()) == base);
  CHECK(ms(parse_iso8601("2026-12-01T09:00:00.999+00:00").value()) == base + 999);
  CHECK(ms(parse_iso8601("1969-12-31T23:59:59.5Z").value()) == -500);
}

TEST_CASE("iso_time: offsets are converted to UTC") {
  auto utc = parse_iso8601("2026-12-01T09:00:00Z").value();
  CHECK(parse_iso8601("2026-12-01T10:00:00+01:00").value() == utc);
  CHECK(parse_iso8601("2026-12-01T04:00:00-05:00").value() == utc);
  CHECK(parse_iso8601("2026-12-01T14:30:00+05:30").value() == utc);
  CHECK(parse_iso8601("2026-12-01T09:00:00+00:00").value() == utc);
  CHECK(parse_iso8601("2026-12-01T09:00:00-00:00").value() == utc);
  // Crossing a day, a month and a year boundary.
  CHECK(parse_iso8601("2026-12-31T23:30:00-01:00").value() == parse_iso8601("2027-01-01T00:30:00Z").value());
  CHECK(parse_iso8601("2027-01-01T00:30:00+01:00").value() == parse_iso8601("2026-12-31T23:30:00Z").value());
  CHECK(parse_iso8601("2024-03-01T01:00:00+02:00").value() == parse_iso8601("2024-02-29T23:00:00Z").value());
  CHECK(parse_iso8601("2026-01-01T00:00:00+23:59").value() ==
        parse_iso8601("2025-12-31T00:01:00Z").value());
  CHECK(parse_iso8601("2026-01-01T10:00:00.250+01:30").value() == parse_iso8601("2026-01-01T08:30:00Z").value() + 250ms);
}

TEST_CASE("iso_time: a missing or wrong offset is rejected") {
  check_error("2026-12-01T09:00:00", "must end in Z or an offset");
  check_error("2026-12-01T09:00:00.5", "must end in Z or an offset");
  check_error("2026-12-01T09:00:00z", "must end in Z or an offset");
  check_error("2026-12-01T09:00:00 Z", "must end in Z or an offset");
  check_error("2026-12-01T09:00:00UTC", "must end in Z or an offset");
  check_error("2026-12-01T09:00:00+01", "malformed offset");
  check_error("2026-12-01T09:00:00+0100", "malformed offset");
  check_error("2026-12-01T09:00:00+01:00Z", "malformed offset");
  check_error("2026-12-01T09:00:00+1:00", "malformed offset");
  check_error("2026-12-01T09:00:00+24:00", "offset out of range");
  check_error("2026-12-01T09:00:00+01:60", "offset out of range");
  check_error("2026-12-01T09:00:00ZZ", "not in the form");
}

TEST_CASE("iso_time: malformed text is rejected with one sentence quoting it") {
  check_error("", "not in the form YYYY-MM-DDTHH:MM:SSZ");
  check_error("2026-12-01", "not in the form");
  check_error("2026-12-01 09:00:00Z", "not in the form");
  check_error("2026-12-01t09:00:00Z", "not in the form");
  check_error("26-12-01T09:00:00Z", "not in the form");
  check_error("2026-1-01T09:00:00Z", "not in the form");
  check_error("2026/12/01T09:00:00Z", "not in the form");
  check_error("2026-12-01T9:00:00Z", "not in the form");
  check_error("2026-12-01T09:00Z", "not in the form");
  check_error("2026-12-01T09:00:00.Z", "not in the form");
  check_error(" 2026-12-01T09:00:00Z", "not in the form");
  check_error("+2026-12-01T09:00:00Z", "not in the form");
  check_error("2026-12-01T09:00:00Z\n", "not in the form");
  check_error("2026-12-01T09:00:00+01:00 ", "malformed offset");
  // The text is quoted (long text shortened) so the user sees what was wrong.
  CHECK(parse_iso8601("tomorrow").error().message == "time \"tomorrow\" is not in the form YYYY-MM-DDTHH:MM:SSZ (for example 2026-12-01T09:00:00Z)");
  auto long_text = std::string(100, 'x');
  auto message = parse_iso8601(long_text).error().message;
  CHECK(message.find(std::string(40, 'x') + "...\"") != std::string::npos);
  CHECK(message.find(std::string(41, 'x')) == std::string::npos);
}

TEST_CASE("iso_time: impossible dates and out-of-range fields are rejected") {
  check_error("2026-02-30T09:00:00Z", "has day 30, but February 2026 has 28 days");
  check_error("2026-02-29T09:00:00Z", "has day 29, but February 2026 has 28 days");
  check_error("1900-02-29T09:00:00Z", "February 1900 has 28 days");
  check_error("2024-02-30T09:00:00Z", "February 2024 has 29 days");
  check_error("2026-04-31T09:00:00Z", "April 2026 has 30 days");
  check_error("2026-12-32T09:00:00Z", "December 2026 has 31 days");
  check_error("2026-12-00T09:00:00Z", "has day 0");
  check_error("2026-13-01T09:00:00Z", "has month 13, which is not between 01 and 12");
  check_error("2026-00-01T09:00:00Z", "has month 0");
  check_error("2026-12-01T24:00:00Z", "has hour 24, which is not between 00 and 23");
  check_error("2026-12-01T09:60:00Z", "has minute 60");
  check_error("2026-12-01T09:00:60Z", "has second 60");  // leap seconds are not accepted
  CHECK(parse_iso8601("2024-02-29T00:00:00Z").has_value());
  CHECK(parse_iso8601("2026-04-30T23:59:59Z").has_value());
  CHECK(parse_iso8601("2026-12-31T23:59:59+00:00").has_value());
}

TEST_CASE("iso_time: format_iso8601 writes UTC whole seconds") {
  CHECK(format_iso8601(TimePoint{}) == "1970-01-01T00:00:00Z");
  CHECK(format_iso8601(parse_iso8601("2026-12-01T10:00:00+01:00").value()) == "2026-12-01T09:00:00Z");
  CHECK(format_iso8601(parse_iso8601("2026-12-01T09:00:00.999Z").value()) == "2026-12-01T09:00:00Z");
  CHECK(format_iso8601(parse_iso8601("2024-02-29T23:59:59Z").value()) == "2024-02-29T23:59:59Z");
  // Before 1970 milliseconds are floored, not rounded toward zero.
  CHECK(format_iso8601(TimePoint{-1ms}) == "1969-12-31T23:59:59Z");
  CHECK(format_iso8601(TimePoint{-1000ms}) == "1969-12-31T23:59:59Z");
  CHECK(format_iso8601(TimePoint{-1001ms}) == "1969-12-31T23:59:58Z");
  CHECK(format_iso8601(parse_iso8601("0000-01-01T00:00:00Z").value()) == "0000-01-01T00:00:00Z");
  CHECK(format_iso8601(parse_iso8601("9999-12-31T23:59:59Z").value()) == "9999-12-31T23:59:59Z");
}

TEST_CASE("iso_time: format and parse round-trip every day of a leap and a non-leap year") {
  for (long long day = days_from_civil(2023, 1, 1); day <= days_from_civil(2024, 12, 31); ++day) {
    auto t = TimePoint{std::chrono::seconds{day * 86400 + 12 * 3600 + 34 * 60 + 56}};
    auto text = format_iso8601(t);
    REQUIRE(text.size() == 20);
    CHECK(text.substr(10) == "T12:34:56Z");
    CHECK(parse_iso8601(text).value() == t);
  }
  // And a spread of instants across the whole 0000..9999 range, negative ones included.
  for (long long s = days_from_civil(0, 1, 1) * 86400; s < days_from_civil(9999, 12, 31) * 86400;
       s += 86400LL * 3653 + 3727) {
    auto t = TimePoint{std::chrono::seconds{s}};
    CHECK_MESSAGE(parse_iso8601(format_iso8601(t)).value() == t, format_iso8601(t));
  }
}
