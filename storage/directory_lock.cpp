#include "storage/directory_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace outreach {

Result<DirectoryLock> DirectoryLock::acquire(std::string const& dir, std::string_view role) {
  int const fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + std::string(role) + " " + dir + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int const err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) return make_error("cannot lock " + std::string(role) + " " + dir + ": " + std::strerror(err));
    auto const pid = flock_holder_pid(dir);
    return make_error("another outreachd is already running with " + std::string(role) + " " + dir +
                      (pid ? " (pid " + std::to_string(*pid) + ")" : std::string(" (its pid cannot be read)")));
  }
  return DirectoryLock(fd, dir);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dir_(std::move(other.dir_)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    dir_ = std::move(other.dir_);
  }
  return *this;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

std::optional<long> flock_holder_pid(std::string const& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  char device[32];
  std::snprintf(device, sizeof device, "%02x:%02x:", ::major(st.st_dev), ::minor(st.st_dev));
  std::string const where = device + std::to_string(st.st_ino);
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    // "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF" (a "->" marks blocked waiters)
    std::istringstream fields(line);
    std::string ordinal, kind, mode, access, pid, at;
    if (!(fields >> ordinal >> kind) || kind == "->") continue;
    if (!(fields >> mode >> access >> pid >> at) || kind != "FLOCK" || at != where) continue;
    try {
      return std::stol(pid);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace outreach
