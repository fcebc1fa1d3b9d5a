#include "core/clock_step.hpp"

namespace outreach {

Duration clock_step_tolerance(Duration elapsed) {
  if (elapsed < Duration{0}) elapsed = -elapsed;
  return std::chrono::seconds{1} + elapsed / 1000;
}

std::optional<Duration> ClockStepDetector::observe(ClockReading reading) {
  std::optional<ClockReading> const last = last_;
  last_ = reading;  // re-anchored at every reading: slew never accumulates across readings
  if (!last) return std::nullopt;
  Duration const real = reading.boot - last->boot;
  Duration const step = (reading.wall - last->wall) - real;
  Duration const magnitude = step < Duration{0} ? -step : step;
  if (magnitude <= clock_step_tolerance(real)) return std::nullopt;
  return step;
}

}  // namespace outreach
