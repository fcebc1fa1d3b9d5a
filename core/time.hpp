#pragma once
// Time as plain values. core/ never reads a clock: callers pass `now` in, so every policy is
// testable at exact boundaries. (Only the duration/time_point *types* of <chrono> are used here.)
#include <chrono>

namespace outreach {

using Duration = std::chrono::milliseconds;
/// Wall-clock UTC instant with millisecond resolution (what the database stores).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

}  // namespace outreach
