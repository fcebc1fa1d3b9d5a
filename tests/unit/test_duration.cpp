#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "core/duration.hpp"

using namespace outreach;
using namespace std::chrono_literals;

TEST_CASE("parse_duration reads every unit") {
  CHECK(parse_duration("500ms").value() == 500ms);
  CHECK(parse_duration("2s").value() == 2s);
  CHECK(parse_duration("5m").value() == 5min);
  CHECK(parse_duration("1h").value() == 1h);
  CHECK(parse_duration("7d").value() == std::chrono::hours{7 * 24});
  CHECK(parse_duration("0s").value() == 0ms);
  CHECK(parse_duration("0ms").value() == 0ms);
}

TEST_CASE("parse_duration rejects bad input with a message naming the text") {
  auto check_error = [](std::string const& text, std::string const& fragment) {
    auto r = parse_duration(text);
    REQUIRE_MESSAGE(r.has_error(), text);
    CHECK_MESSAGE(r.error().message.find(fragment) != std::string::npos, r.error().message);
  };
  check_error("30", "no unit");
  check_error("", "empty");
  check_error("-5s", "negative");
  check_error("5w", "unknown unit");
  check_error("1.5s", "unknown unit");
  check_error("s", "whole number");
  check_error(" 2s", "whole number");
  check_error("2 s", "unknown unit");
  check_error("+2s", "whole number");
}

TEST_CASE("parse_duration rejects overflow of 64-bit milliseconds") {
  // 9223372036854775807 ms is the largest representable value.
  CHECK(parse_duration("9223372036854775807ms").value().count() == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_duration("9223372036854775808ms").has_error());
  CHECK(parse_duration("99999999999999999999999s").has_error());
  CHECK(parse_duration("9223372036854776s").has_error());  // fits as a number, not as ms
  CHECK(parse_duration("106751991168d").has_error());
  CHECK(parse_duration("106751991167d").has_value());
}

TEST_CASE("format_duration round-trips") {
  for (auto text : {"500ms", "2s", "5m", "1h", "7d", "90s", "1500ms", "0s"}) {
    auto d = parse_duration(text).value();
    CHECK(format_duration(d) == text);
    CHECK(parse_duration(format_duration(d)).value() == d);
  }
  CHECK(format_duration(std::chrono::hours{48}) == "2d");
  CHECK(format_duration(120s) == "2m");
}
