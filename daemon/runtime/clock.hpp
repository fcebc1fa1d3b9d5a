#pragma once
// The daemon's time: the wall clock that its rules compare and store, and timers that end at a
// wall-clock instant. Everything below main takes a Clock&. The daemon runs on StepAwareClock
// (the system clock, watched for steps; timers are asio steady timers for `at - now()`); tests run
// it on ManualClock, whose time moves only when the test says so (the mock-timer model of
// Boost.MySQL's tests), so rules about seconds and hours are checked in milliseconds, exactly.
//
// I/O deadlines (the HTTP client's connect and request timeouts) stay on real time: they bound a
// socket, not a rule, and a test that advanced them would only time out its own loopback server.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/time.hpp"

namespace outreach {

class Timer;

class Clock {
 public:
  using OnStep = std::function<void(Duration step)>;

  virtual ~Clock() = default;
  /// Now, on the wall clock.
  virtual TimePoint now() = 0;
  /// Who is told when the wall clock steps (the daemon moves its stored times). One at a time.
  virtual void on_step(OnStep handler) = 0;

 protected:
  friend class Timer;
  /// A manual clock takes the timer over and ends it from its own advance; a real clock returns
  /// false and the timer waits on its steady timer for `at - now()`.
  virtual bool adopt(Timer& /*timer*/, TimePoint /*at*/) { return false; }
  virtual void release(Timer& /*timer*/) {}
  /// Ends an adopted timer's wait as expired (for ManualClock).
  static void expire(Timer& timer);
};

/// A wait until a wall-clock instant, on the given clock. Not thread-safe (one event loop).
class Timer {
 public:
  Timer(boost::asio::any_io_executor executor, Clock& clock);
  ~Timer();
  Timer(Timer const&) = delete;
  Timer& operator=(Timer const&) = delete;

  /// Arms the timer (a wait already under way ends as cancelled). TimePoint::max(): never.
  /// Reading the clock here may report a step first (StepAwareClock), and the step's handler may
  /// move the waits `at` was computed from: a caller whose deadline can move re-checks its wake
  /// flag after arming (AccountWorker::sleep).
  void expires_at(TimePoint at);
  /// Arms the timer for an elapsed time, whatever the wall clock does meanwhile.
  void expires_after(Duration wait);
  /// Ends the wait under way as cancelled.
  void cancel();

  /// Completes with true when the time came, false when cancelled or re-armed.
  boost::asio::awaitable<bool> wait();
  /// The same, as a callback run on the executor.
  void async_wait(std::function<void(bool expired)> done);

  boost::asio::any_io_executor get_executor() { return timer_.get_executor(); }

 private:
  friend class Clock;
  void disarm();
  void arm(TimePoint at, Duration wait);

  boost::asio::steady_timer timer_;
  Clock& clock_;
  bool adopted_ = false;
  // Set when the clock ended the current wait (through a cancel of the steady timer). Shared with
  // the wait's handler, which may run after this timer is destroyed; a fresh one per arming.
  std::shared_ptr<bool> expired_by_clock_ = std::make_shared<bool>(false);
};

/// A clock for tests: time stands still until advanced, and timers end in deadline order.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  ~ManualClock() override;

  TimePoint now() override { return now_; }
  void on_step(OnStep handler) override { on_step_ = std::move(handler); }

  /// The earliest deadline of an armed timer.
  std::optional<TimePoint> next_deadline() const;
  /// Moves time forward to `t` (never back) and ends every timer due by then; their handlers run
  /// when the event loop runs next. Time stops at each deadline only if the caller advances one
  /// deadline at a time (see tests/support/loop_driver.hpp).
  void advance_to(TimePoint t);
  /// A step of the wall clock, as an NTP correction makes one: the reading jumps by `step`, the
  /// step handler is told, and armed timers keep their real (elapsed-time) deadlines.
  void step(Duration step);

 private:
  bool adopt(Timer& timer, TimePoint at) override;
  void release(Timer& timer) override;

  TimePoint now_;
  OnStep on_step_;
  std::multimap<TimePoint, Timer*> armed_;
  std::map<Timer*, std::multimap<TimePoint, Timer*>::iterator> index_;
};

}  // namespace outreach
