#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/pacing.hpp"

using namespace outreach;
using namespace std::chrono_literals;

TEST_CASE("next_gap spans min..max linearly in the draw") {
  const PacingWindow w{2000ms, 5000ms};
  CHECK(next_gap(w, 0.0) == 2000ms);
  CHECK(next_gap(w, 0.5) == 3500ms);
  CHECK(next_gap(w, 0.25) == 2750ms);
  CHECK(next_gap(w, 0.999999) == 4999ms);
  CHECK(next_gap(w, std::nextafter(1.0, 0.0)) <= 5000ms);
}

TEST_CASE("next_gap clamps draws outside 0..1 and NaN") {
  const PacingWindow w{100ms, 300ms};
  CHECK(next_gap(w, -1.0) == 100ms);
  CHECK(next_gap(w, 1.0) == 300ms);
  CHECK(next_gap(w, 7.5) == 300ms);
  CHECK(next_gap(w, std::numeric_limits<double>::quiet_NaN()) == 100ms);
}

TEST_CASE("next_gap with a degenerate window") {
  CHECK(next_gap({0ms, 0ms}, 0.7) == 0ms);
  CHECK(next_gap({3s, 3s}, 0.7) == 3s);
  CHECK(next_gap({5s, 2s}, 0.7) == 5s);  // min > max is rejected by config; never negative here
}

TEST_CASE("next_gap survives a huge window") {
  const PacingWindow w{0ms, Duration{std::numeric_limits<Duration::rep>::max()}};
  CHECK(next_gap(w, std::nextafter(1.0, 0.0)) <= w.max);
  CHECK(next_gap(w, 0.5) > 0ms);
}
