#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace outreach {

Duration backoff_ceiling(BackoffPolicy policy, int attempt) {
  const auto base = std::max<Duration::rep>(0, policy.base.count());
  const auto max = std::max<Duration::rep>(0, policy.max.count());
  if (base == 0) return Duration{0};
  const int shift = std::max(attempt, 1) - 1;
  // base·2^shift > max  <=>  base > max >> shift (for shift < 63); beyond that it always exceeds.
  if (shift >= 62 || base > (max >> shift)) return Duration{max};
  return Duration{std::min(max, base << shift)};
}

Duration backoff_delay(BackoffPolicy policy, int attempt, double u, std::optional<Duration> provider_wait) {
  if (!(u >= 0.0)) u = 0.0;
  u = std::min(u, 1.0);
  const Duration ceiling = backoff_ceiling(policy, attempt);
  // Compare in double before converting: u·ceiling can round up to 2^63, which no int64 holds.
  const double scaled = std::floor(u * static_cast<double>(ceiling.count()));
  const Duration jittered = scaled >= static_cast<double>(ceiling.count())
                                ? ceiling
                                : Duration{static_cast<Duration::rep>(scaled)};
  if (provider_wait && *provider_wait > jittered) return *provider_wait;
  return jittered;
}

}  // namespace outreach
