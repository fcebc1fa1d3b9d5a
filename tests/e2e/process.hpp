#pragma once
// Runs a child process for end-to-end tests: argv (argv[0] looked up in PATH when it has no
// slash), extra environment, a working directory. Its stdout and stderr go to unlinked temporary
// files (so a chatty daemon can never block on a full pipe, and output can be read while it
// runs), and every wait is bounded by a deadline after which the child is killed. Header-only so
// every e2e test file can include it.
//
//   auto r = outreach::test::run_process({bin, "check-config", "--config", path}, {.env = {{"K", "v"}}});
//   CHECK(r.exit_code == 1);  CHECK(r.err.find("pacing.min_delay") != std::string::npos);
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace outreach::test {

struct ProcessOptions {
  std::map<std::string, std::string> env;  ///< set (or override) in the child's environment
  std::vector<std::string> unset_env;      ///< removed from the inherited environment
  std::string cwd;                         ///< empty: the parent's working directory
  std::string stdin_data;                  ///< written to the child's stdin, then closed
};

struct ProcessResult {
  int exit_code = -1;      ///< the exit status, or -1 when killed by a signal
  int term_signal = 0;     ///< the signal that ended it, or 0
  bool timed_out = false;  ///< the deadline passed and the child was killed
  std::string out;
  std::string err;
};

namespace detail {

inline std::string read_whole(int fd) {
  std::string text;
  char buffer[8192];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return text;
}

// An anonymous temp file: no name left behind even if the test crashes.
inline int anonymous_file() {
  char name[] = "/tmp/outreachd-test-output-XXXXXX";
  const int fd = ::mkostemp(name, O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("mkostemp: ") + std::strerror(errno));
  ::unlink(name);
  return fd;
}

// execve() does not search PATH, so "sqlite3" is resolved here, before fork().
inline std::string resolve_program(std::string const& name, std::map<std::string, std::string> const& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path;
  if (auto it = env.find("PATH"); it != env.end()) {
    path = it->second;
  } else if (char const* p = std::getenv("PATH")) {
    path = p;
  } else {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end == start ? std::string(".") : path.substr(start, end - start);
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;  // execve fails and the child exits 127
}

}  // namespace detail

class Process {
 public:
  Process(std::vector<std::string> const& argv, ProcessOptions const& options = {}) {
    if (argv.empty()) throw std::invalid_argument("Process: empty argv");
    out_fd_ = detail::anonymous_file();
    err_fd_ = detail::anonymous_file();
    int stdin_pipe[2] = {-1, -1};
    if (::pipe2(stdin_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));

    // Everything the child needs is built before fork(): only async-signal-safe calls after it.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      const std::string key = entry.substr(0, entry.find('='));
      bool drop = options.env.count(key) > 0;
      for (auto const& u : options.unset_env) drop = drop || u == key;
      if (!drop) env_strings.push_back(std::move(entry));
    }
    for (auto const& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    args[0] = detail::resolve_program(args[0], options.env);
    std::vector<char*> argp;
    for (auto& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);
    char const* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      ::dup2(stdin_pipe[0], STDIN_FILENO);
      ::dup2(out_fd_, STDOUT_FILENO);
      ::dup2(err_fd_, STDERR_FILENO);
      if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(126);
      ::execve(argp[0], argp.data(), envp.data());
      constexpr char kMsg[] = "process.hpp: execve failed\n";
      [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
      ::_exit(127);
    }
    ::close(stdin_pipe[0]);
    // Small inputs fit the pipe buffer (64 KiB); tests pass a few lines at most.
    std::size_t written = 0;
    while (written < options.stdin_data.size()) {
      const ssize_t n = ::write(stdin_pipe[1], options.stdin_data.data() + written, options.stdin_data.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ::close(stdin_pipe[1]);
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  }

  Process(Process const&) = delete;
  Process& operator=(Process const&) = delete;

  ~Process() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (pidfd_ >= 0) ::close(pidfd_);
    ::close(out_fd_);
    ::close(err_fd_);
  }

  pid_t pid() const { return pid_; }
  void send_signal(int sig) const {
    if (!status_) ::kill(pid_, sig);
  }

  /// Output so far (the child may still be writing).
  std::string out() const { return detail::read_whole(out_fd_); }
  std::string err() const { return detail::read_whole(err_fd_); }

  /// Waits for the child to exit; after `timeout` it is killed and the result says timed_out.
  ProcessResult wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    if (!status_ && !wait_until(std::chrono::steady_clock::now() + timeout)) {
      ::kill(pid_, SIGKILL);
      reap(true);
      result.timed_out = true;
    }
    if (WIFEXITED(*status_)) result.exit_code = WEXITSTATUS(*status_);
    if (WIFSIGNALED(*status_)) result.term_signal = WTERMSIG(*status_);
    result.out = out();
    result.err = err();
    return result;
  }

 private:
  // True once the child has exited before the deadline.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (reap(false)) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (pidfd_ >= 0) {
        // The pidfd becomes readable when the child exits: no polling interval needed.
        pollfd p{pidfd_, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
      } else {
        ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 5)));  // no pidfd (old kernel)
      }
    }
  }

  bool reap(bool block) {
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
      if (r < 0 && errno == EINTR) continue;
      if (r == pid_) {
        status_ = status;
        return true;
      }
      return false;
    }
  }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;
};

/// Runs argv to completion (killed after `timeout`) and returns its exit status and output.
inline ProcessResult run_process(std::vector<std::string> const& argv, ProcessOptions const& options = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
  Process process(argv, options);
  return process.wait(timeout);
}

}  // namespace outreach::test
