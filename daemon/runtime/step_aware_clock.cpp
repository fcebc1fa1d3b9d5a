#include "daemon/runtime/step_aware_clock.hpp"

#include <time.h>

#include <chrono>

namespace outreach {

ClockReading read_clocks() {
  ClockReading r;
  r.wall = std::chrono::floor<Duration>(std::chrono::system_clock::now());
  timespec boot{};
  ::clock_gettime(CLOCK_BOOTTIME, &boot);
  r.boot = std::chrono::duration_cast<Duration>(std::chrono::seconds{boot.tv_sec} + std::chrono::nanoseconds{boot.tv_nsec});
  return r;
}

TimePoint StepAwareClock::now() {
  ClockReading const reading = read_clocks();
  if (auto step = detector_.observe(reading); step && on_step_ && !reporting_) {
    reporting_ = true;
    on_step_(*step);
    reporting_ = false;
  }
  return reading.wall;
}

}  // namespace outreach
