#pragma once
// sd_notify(3) for Type=notify: READY=1 once the database is open and the start-up scan is done,
// STATUS= a one-line summary, WATCHDOG=1 keep-alives when WATCHDOG_USEC is set, STOPPING=1.
// Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
#include <optional>
#include <string>

#include "core/time.hpp"

namespace outreach {

class SystemdNotifier {
 public:
  SystemdNotifier();

  bool enabled() const { return enabled_; }
  void ready();
  void status(std::string const& line);  ///< sent only when it changed
  void watchdog();
  /// During start-up (before READY=1), asks systemd for `more` time beyond TimeoutStartSec=.
  void extend_start_timeout(Duration more);
  void stopping();
  /// Half of WATCHDOG_USEC (the usual safety margin), or nullopt when no watchdog was requested.
  std::optional<Duration> watchdog_interval() const { return watchdog_interval_; }

 private:
  void send(std::string const& message);
  bool enabled_ = false;
  std::optional<Duration> watchdog_interval_;
  std::string last_status_;
};

}  // namespace outreach
