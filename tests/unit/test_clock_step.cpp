// core/clock_step: telling a wall-clock step from the passage of real time
// (docs/send-rules.md#clock-steps).
#include <doctest/doctest.h>

#include "core/clock_step.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

TimePoint wall(std::int64_t ms) { return TimePoint{Duration{1'800'000'000'000 + ms}}; }
ClockReading reading(std::int64_t wall_ms, std::int64_t boot_ms) { return {wall(wall_ms), Duration{boot_ms}}; }

}  // namespace

TEST_CASE("the first reading is never a step, time passing on both clocks is none") {
  ClockStepDetector d;
  CHECK_FALSE(d.observe(reading(0, 5'000)).has_value());
  CHECK_FALSE(d.observe(reading(3'000, 8'000)).has_value());
  // A day asleep in suspend: CLOCK_BOOTTIME counts it too, so it is real time, not a step.
  CHECK_FALSE(d.observe(reading(3'000 + 86'400'000, 8'000 + 86'400'000)).has_value());
}

TEST_CASE("a forward step is the wall clock's move beyond real time") {
  ClockStepDetector d;
  d.observe(reading(0, 0));
  auto step = d.observe(reading(86'400'000 + 2'000, 2'000));  // +1 day within 2 real seconds
  REQUIRE(step.has_value());
  CHECK(*step == 24h);
  // Re-anchored: the next ordinary reading is no step.
  CHECK_FALSE(d.observe(reading(86'400'000 + 3'000, 3'000)).has_value());
}

TEST_CASE("a backward step is negative") {
  ClockStepDetector d;
  d.observe(reading(0, 0));
  auto step = d.observe(reading(-3'600'000 + 500, 500));  // set back an hour
  REQUIRE(step.has_value());
  CHECK(*step == -1h);
}

TEST_CASE("tolerance: 1 s of jitter plus 1000 ppm of the real time between readings") {
  CHECK(clock_step_tolerance(0ms) == 1s);
  CHECK(clock_step_tolerance(1000s) == 2s);
  CHECK(clock_step_tolerance(-1000s) == 2s);
  ClockStepDetector d;
  d.observe(reading(0, 0));
  CHECK_FALSE(d.observe(reading(1'000, 0)).has_value());    // exactly at the edge: not a step
  CHECK(d.observe(reading(2'001, 0)).has_value());           // 1001 ms in no real time: a step
  // An NTP slew at its 500 ppm maximum over a 24 h sleep (43.2 s) is drift, not a step.
  ClockStepDetector slewed;
  slewed.observe(reading(0, 0));
  CHECK_FALSE(slewed.observe(reading(86'400'000 + 43'200, 86'400'000)).has_value());
}
