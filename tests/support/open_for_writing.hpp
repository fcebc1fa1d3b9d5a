#pragma once
// A file held open for writing, as a slow copy or an editor holds it, for the tests of "a file
// still being written is left alone". O_CLOEXEC: a daemon started meanwhile must not inherit it
// (it would then hold the file open for writing itself).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace outreach::testing {

class OpenForWriting {
 public:
  explicit OpenForWriting(std::filesystem::path const& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
    REQUIRE(fd_ >= 0);
  }
  ~OpenForWriting() { close(); }
  OpenForWriting(OpenForWriting const&) = delete;
  OpenForWriting& operator=(OpenForWriting const&) = delete;
  void write(std::string const& text) {
    REQUIRE(::write(fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace outreach::testing
