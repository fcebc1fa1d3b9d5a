#include "daemon/runtime/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace outreach {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // unset_environment = 0: the variables stay for anything we exec (we exec nothing, but it is harmless).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = std::chrono::duration_cast<Duration>(std::chrono::microseconds{usec / 2});
}

void SystemdNotifier::send(std::string const& message) {
  if (enabled_) sd_notify(0, message.c_str());
}

void SystemdNotifier::ready() { send("READY=1"); }

void SystemdNotifier::status(std::string const& line) {
  if (line == last_status_) return;
  last_status_ = line;
  send("STATUS=" + line);
}

void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

void SystemdNotifier::extend_start_timeout(Duration more) {
  send("EXTEND_TIMEOUT_USEC=" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(more).count()));
}

void SystemdNotifier::stopping() { send("STOPPING=1"); }

}  // namespace outreach
