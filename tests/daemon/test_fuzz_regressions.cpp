// Regression tests for what the libFuzzer targets (fuzz/, issue 18) found in the daemon's pure
// parsers (here rather than in tests/unit/ because unit_tests does not link the simulator). Each
// finding's input is also kept under fuzz/regressions/<target>/ and replayed by `make fuzz`.
#include <doctest/doctest.h>

#include <string>

#include "daemon/sim/simulator_scenario.hpp"

using namespace outreach;

// fuzz/regressions/sim_scenario/nth-above-int64: a fault's "nth" above 2^63 - 1 made Boost.JSON's
// to_number<std::int64_t>() throw out of parse_scenario (`outreachd simulate` died in terminate).
TEST_CASE("fuzz regression: a scenario fault's nth above 2^63 is read, and a bad one is an error, never an exception") {
  Result<Scenario> big = make_error("not parsed");
  CHECK_NOTHROW(big = parse_scenario(R"({"faults":[{"kind":"slow","delay":"1s","nth":[18446744073709551615, 2]}]})"));
  REQUIRE(big.has_value());
  REQUIRE(big->faults.size() == 1);
  CHECK(big->faults[0].nth == std::vector<std::uint64_t>{18446744073709551615ULL, 2});

  for (std::string nth : {"0", "-1", "-9223372036854775808", "1.5", "\"3\"", "1e3"}) {
    CAPTURE(nth);
    Result<Scenario> bad = make_error("not parsed");
    CHECK_NOTHROW(bad = parse_scenario(R"({"faults":[{"kind":"slow","delay":"1s","nth":[)" + nth + "]}]}"));
    REQUIRE(bad.has_error());
    CHECK(bad.error().message == "faults[0].nth[0]: must be a whole number >= 1");
  }
}
