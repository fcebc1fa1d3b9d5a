#pragma once
// The daemon's wall clock, watched for steps (core/clock_step.hpp): every reading is compared with
// CLOCK_BOOTTIME, and a step is handed to `on_step` before the reading is returned, so that no
// caller ever acts on a jumped reading with times stored in the old frame (the ledger, pacing,
// provider waits). Single-threaded, like the event loop that owns it.
#include "core/clock_step.hpp"
#include "core/time.hpp"
#include "daemon/runtime/clock.hpp"

namespace outreach {

class StepAwareClock final : public Clock {
 public:
  /// Now, on the wall clock; a step since the previous reading is reported first.
  TimePoint now() override;
  void on_step(OnStep handler) override { on_step_ = std::move(handler); }

 private:
  ClockStepDetector detector_;
  OnStep on_step_;
  bool reporting_ = false;  ///< on_step may read the clock itself
};

/// CLOCK_REALTIME and CLOCK_BOOTTIME, read back to back.
ClockReading read_clocks();

}  // namespace outreach
