#pragma once
// A single-instance lock on a directory: flock(2) on the directory itself, held for the life of the
// object and released by the kernel when the process dies, so a crash never leaves it stale. A
// lock *file* could be deleted under a running daemon, letting a second one in; a directory that
// holds a database (or is being watched) cannot be replaced that way without the first daemon
// losing it too.
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace outreach {

class DirectoryLock {
 public:
  /// Fails with a clear sentence naming `role` ("state directory", "watch directory"), the
  /// directory and the other holder's pid when another process holds it.
  static Result<DirectoryLock> acquire(std::string const& dir, std::string_view role);

  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(DirectoryLock const&) = delete;
  DirectoryLock& operator=(DirectoryLock const&) = delete;
  ~DirectoryLock();

  std::string const& dir() const { return dir_; }

 private:
  DirectoryLock(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::string dir_;
};

/// The pid of the process holding a flock on `path` (a directory or a file), read from
/// /proc/locks by device and inode; nullopt when nobody holds one or it cannot be told. Takes no
/// lock itself, so a daemon starting at that moment is never disturbed.
std::optional<long> flock_holder_pid(std::string const& path);

}  // namespace outreach
