#pragma once
// Per-account pacing: after every send attempt an account waits a uniform random gap in
// [min, max]. The random draw is an argument so tests can pin the gap exactly.
#include "core/time.hpp"

namespace outreach {

struct PacingWindow {
  Duration min{2'000};
  Duration max{5'000};
};

/// min + u·(max − min), for a draw u ∈ [0, 1). Out-of-range draws are clamped, and a window with
/// min > max (rejected by config validation) degrades to min rather than a negative gap.
Duration next_gap(PacingWindow window, double u);

}  // namespace outreach
