#include "core/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace outreach {

Duration next_gap(PacingWindow window, double u) {
  if (window.max <= window.min) return window.min;
  if (!(u >= 0.0)) u = 0.0;  // also catches NaN
  u = std::min(u, 1.0);
  const Duration span = window.max - window.min;
  // Compare in double before converting: u·span can round up to 2^63, which no int64 holds.
  const double scaled = std::floor(u * static_cast<double>(span.count()));
  if (scaled >= static_cast<double>(span.count())) return window.max;
  return window.min + Duration{static_cast<Duration::rep>(scaled)};
}

}  // namespace outreach
