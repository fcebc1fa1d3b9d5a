#pragma once
// Wall-clock steps (docs/send-rules.md#clock-steps: caps hold in real elapsed time). The wall clock
// can jump — an NTP step after a suspended VM, an operator's `date -s` — while real time does not;
// CLOCK_BOOTTIME counts real time, suspend included, and is never set. Comparing how far each moved
// between two readings tells a step from the passage of time. Pure: the daemon reads both clocks
// and passes them in.
#include <optional>

#include "core/time.hpp"

namespace outreach {

struct ClockReading {
  TimePoint wall;      ///< CLOCK_REALTIME
  Duration boot{0};    ///< CLOCK_BOOTTIME: real time since boot, suspend included
};

/// How far the two clocks may disagree over `elapsed` (real time) without it being a step: 1 s of
/// reading jitter plus 1000 ppm, twice the most an NTP slew may move the wall clock (500 ppm), so
/// slewing is never mistaken for a step however long the daemon slept between readings.
Duration clock_step_tolerance(Duration elapsed);

class ClockStepDetector {
 public:
  /// The wall clock's step since the previous reading (how far it moved beyond real time: positive
  /// forwards, negative backwards), or nullopt for the first reading and for ordinary drift.
  std::optional<Duration> observe(ClockReading reading);

 private:
  std::optional<ClockReading> last_;
};

}  // namespace outreach
