#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/backoff.hpp"

using namespace outreach;
using namespace std::chrono_literals;

TEST_CASE("ceiling doubles from base and stops at max") {
  const BackoffPolicy p{30s, 1h};
  CHECK(backoff_ceiling(p, 1) == 30s);
  CHECK(backoff_ceiling(p, 2) == 60s);
  CHECK(backoff_ceiling(p, 3) == 120s);
  CHECK(backoff_ceiling(p, 7) == 1920s);
  CHECK(backoff_ceiling(p, 8) == 1h);  // 3840 s > 3600 s
  CHECK(backoff_ceiling(p, 0) == 30s);
  CHECK(backoff_ceiling(p, -5) == 30s);
}

TEST_CASE("ceiling is overflow-safe for any attempt") {
  const BackoffPolicy p{30s, 1h};
  CHECK(backoff_ceiling(p, 62) == 1h);
  CHECK(backoff_ceiling(p, 63) == 1h);
  CHECK(backoff_ceiling(p, 64) == 1h);
  CHECK(backoff_ceiling(p, 1000) == 1h);
  CHECK(backoff_ceiling(p, std::numeric_limits<int>::max()) == 1h);
  const BackoffPolicy huge{Duration{std::numeric_limits<Duration::rep>::max() / 2},
                           Duration{std::numeric_limits<Duration::rep>::max()}};
  CHECK(backoff_ceiling(huge, 2).count() == std::numeric_limits<Duration::rep>::max() - 1);
  CHECK(backoff_ceiling(huge, 3) == huge.max);
  CHECK(backoff_ceiling({0ms, 1h}, 64) == 0ms);
}

TEST_CASE("full jitter: u · ceiling") {
  const BackoffPolicy p{30s, 1h};
  CHECK(backoff_delay(p, 1, 0.0) == 0ms);
  CHECK(backoff_delay(p, 1, 0.5) == 15s);
  CHECK(backoff_delay(p, 3, 0.25) == 30s);
  CHECK(backoff_delay(p, 64, 0.5) == 30min);
  CHECK(backoff_delay(p, 64, std::nextafter(1.0, 0.0)) < 1h);
  CHECK(backoff_delay(p, 1, 2.0) == 30s);  // clamped draw
  CHECK(backoff_delay(p, 1, std::numeric_limits<double>::quiet_NaN()) == 0ms);
}

TEST_CASE("never shorter than the provider's wait") {
  const BackoffPolicy p{30s, 1h};
  CHECK(backoff_delay(p, 1, 0.1, 90s) == 90s);
  CHECK(backoff_delay(p, 5, 0.9, 10s) == Duration{432000});  // jitter already longer
  CHECK(backoff_delay(p, 1, 0.0, 0ms) == 0ms);
}

TEST_CASE("a huge ceiling with u close to 1 does not overflow") {
  const BackoffPolicy p{1ms, Duration{std::numeric_limits<Duration::rep>::max()}};
  CHECK(backoff_delay(p, 64, std::nextafter(1.0, 0.0)) <= p.max);
}
