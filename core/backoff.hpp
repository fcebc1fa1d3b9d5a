#pragma once
// Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreading retries
// uniformly over [0, ceiling) keeps many accounts from hammering a recovering provider in step.
#include <optional>

#include "core/time.hpp"

namespace outreach {

struct BackoffPolicy {
  Duration base{30'000};
  Duration max{3'600'000};
};

/// The ceiling min(max, base·2^(attempt−1)) without overflow for any attempt (attempt < 1 counts as 1).
Duration backoff_ceiling(BackoffPolicy policy, int attempt);

/// u · ceiling for a draw u ∈ [0, 1), but never shorter than `provider_wait` when the provider
/// said how long to wait.
Duration backoff_delay(BackoffPolicy policy, int attempt, double u,
                       std::optional<Duration> provider_wait = std::nullopt);

}  // namespace outreach
