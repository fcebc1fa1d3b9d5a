#include "daemon/runtime/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>
#include <vector>

namespace outreach {
namespace asio = boost::asio;

void Clock::expire(Timer& timer) {
  timer.adopted_ = false;
  *timer.expired_by_clock_ = true;
  timer.timer_.cancel();  // ends the wait at once; expired_by_clock_ tells it from a cancel
}

Timer::Timer(asio::any_io_executor executor, Clock& clock) : timer_(std::move(executor)), clock_(clock) {}

Timer::~Timer() {
  if (adopted_) clock_.release(*this);
}

void Timer::expires_at(TimePoint at) {
  if (at == TimePoint::max()) {
    disarm();
    timer_.expires_at(asio::steady_timer::time_point::max());
    return;
  }
  TimePoint const now = clock_.now();
  arm(at, at - now);
}

void Timer::expires_after(Duration wait) { arm(clock_.now() + wait, wait); }

void Timer::disarm() {
  if (adopted_) clock_.release(*this);
  adopted_ = false;
  expired_by_clock_ = std::make_shared<bool>(false);
}

void Timer::arm(TimePoint at, Duration wait) {
  disarm();
  if (clock_.adopt(*this, at)) {
    adopted_ = true;
    timer_.expires_at(asio::steady_timer::time_point::max());
    return;
  }
  timer_.expires_after(wait);
}

void Timer::cancel() {
  disarm();
  timer_.cancel();
}

asio::awaitable<bool> Timer::wait() {
  auto expired_by_clock = expired_by_clock_;
  auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec || *expired_by_clock;
}

void Timer::async_wait(std::function<void(bool expired)> done) {
  timer_.async_wait([expired_by_clock = expired_by_clock_, done = std::move(done)](boost::system::error_code ec) {
    done(!ec || *expired_by_clock);
  });
}

ManualClock::~ManualClock() = default;

std::optional<TimePoint> ManualClock::next_deadline() const {
  if (armed_.empty()) return std::nullopt;
  return armed_.begin()->first;
}

void ManualClock::advance_to(TimePoint t) {
  if (t > now_) now_ = t;
  std::vector<Timer*> due;
  while (!armed_.empty() && armed_.begin()->first <= now_) {
    due.push_back(armed_.begin()->second);
    index_.erase(armed_.begin()->second);
    armed_.erase(armed_.begin());
  }
  for (Timer* timer : due) expire(*timer);
}

void ManualClock::step(Duration step) {
  now_ += step;
  // Timers measure elapsed time: their wall-clock deadlines move with the reading.
  std::multimap<TimePoint, Timer*> moved;
  index_.clear();
  for (auto const& [at, timer] : armed_) index_[timer] = moved.emplace(at + step, timer);
  armed_ = std::move(moved);
  if (on_step_) on_step_(step);
}

bool ManualClock::adopt(Timer& timer, TimePoint at) {
  if (at <= now_) return false;  // already due: the steady timer ends the wait at once
  index_[&timer] = armed_.emplace(at, &timer);
  return true;
}

void ManualClock::release(Timer& timer) {
  if (auto it = index_.find(&timer); it != index_.end()) {
    armed_.erase(it->second);
    index_.erase(it);
  }
}

}  // namespace outreach
