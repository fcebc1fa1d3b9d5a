#include "daemon/runtime/watch_dir.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <utility>
#include <vector>

namespace outreach {
namespace fs = std::filesystem;

namespace {

bool ends_with(std::string_view name, std::string_view suffix) {
  return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
}

bool is_work_in_progress_name(std::string_view name) {
  return name.empty() || name.front() == '.' || ends_with(name, ".tmp") || ends_with(name, ".part");
}

std::string errno_text(int err) { return std::strerror(err); }

/// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(Fd const&) = delete;
  Fd& operator=(Fd const&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_;
};

}  // namespace

bool is_campaign_file_name(std::string_view name) {
  return !is_work_in_progress_name(name) && ends_with(name, ".json") && name.size() > 5;
}

bool is_regular_non_symlink(fs::path const& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_open_for_writing(fs::path const& path) {
  // O_NONBLOCK: should a writer hold a write lease, open() would otherwise wait for it to be
  // broken (lease-break-time, 45 s by default) with the event loop stopped.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
  if (!fd) return errno == EWOULDBLOCK;  // that write lease: its holder is about to write
  if (::fcntl(fd.get(), F_SETLEASE, F_RDLCK) == 0) {
    // Released at once: while held, a writer's open() would wait for us, and breaking it sends
    // SIGIO (which the daemon ignores).
    ::fcntl(fd.get(), F_SETLEASE, F_UNLCK);
    return false;
  }
  const int err = errno;
  if (err == EAGAIN) return true;
  spdlog::debug("cannot tell whether {} is still open for writing (no read lease: {}); treating it as complete{}",
                path.string(), errno_text(err),
                err == EACCES ? " (the daemon needs CAP_LEASE for files another user owns)" : "");
  return false;
}

namespace {

struct InotifyBatch {
  std::vector<std::string> names;
  /// The kernel's event queue overflowed (fs.inotify.max_queued_events, e.g. while the loop was
  /// busy with a long import): events were dropped, so only a full scan finds every file.
  bool overflowed = false;
};

/// Extracts the file names from a buffer of inotify events. A plain function, not a coroutine:
/// inotify_event has a flexible array member, which GCC 12 cannot keep in a coroutine frame.
InotifyBatch names_from_events(char const* data, std::size_t size) {
  InotifyBatch batch;
  std::size_t offset = 0;
  while (offset + sizeof(inotify_event) <= size) {
    inotify_event header{};
    std::memcpy(&header, data + offset, sizeof(header));
    const std::size_t total = sizeof(inotify_event) + header.len;
    if (offset + total > size) break;
    if ((header.mask & IN_Q_OVERFLOW) != 0) batch.overflowed = true;
    if (header.len > 0 && (header.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0 && (header.mask & IN_ISDIR) == 0) {
      const char* name = data + offset + sizeof(inotify_event);
      batch.names.emplace_back(name, ::strnlen(name, header.len));
    }
    offset += total;
  }
  return batch;
}

}  // namespace

struct WatchDir::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, fs::path d, OnFile cb, OnFile other)
      : stream(io), dir(std::move(d)), on_file(std::move(cb)), on_other_file(std::move(other)) {}

  void read() {
    stream.async_read_some(boost::asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec,
                                                                                     std::size_t n) {
      if (ec || !self->stream.is_open()) return;  // closed on shutdown
      const InotifyBatch batch = names_from_events(self->buffer.data(), n);
      if (batch.overflowed) {
        spdlog::warn("the watch directory's event queue overflowed; rescanning {}", self->dir.string());
        if (auto scanned = self->rescan(); !scanned) spdlog::error("{}", scanned.error().message);
      } else {
        for (auto const& name : batch.names) self->offer(name, /*from_event=*/true);
      }
      self->read();
    });
  }

  /// Never throws: it also runs inside Asio handlers, where an exception would end the daemon.
  Result<void> rescan() {
    std::error_code ec;
    std::vector<std::string> present;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) present.push_back(it->path().filename().string());
    if (ec) return make_error("cannot scan the watch directory " + dir.string() + ": " + ec.message());
    std::sort(present.begin(), present.end());
    for (auto const& name : present) offer(name, /*from_event=*/false);
    return {};
  }

  void offer(std::string const& name, bool from_event) {
    const bool campaign = is_campaign_file_name(name);
    if (!campaign && (!from_event || !on_other_file || is_work_in_progress_name(name))) return;
    const fs::path path = dir / name;
    if (!is_regular_non_symlink(path)) return;  // gone already, a symlink, or not a file
    (campaign ? on_file : on_other_file)(path);
  }

  boost::asio::posix::stream_descriptor stream;
  fs::path dir;
  OnFile on_file;
  OnFile on_other_file;
  // Room for many events; each is 16 bytes plus a NUL-padded name of up to NAME_MAX + 1.
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
};

WatchDir::WatchDir(boost::asio::io_context& io, fs::path dir, OnFile on_file, OnFile on_other_file)
    : impl_(std::make_shared<Impl>(io, std::move(dir), std::move(on_file), std::move(on_other_file))) {}

WatchDir::~WatchDir() { close(); }

void WatchDir::start() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot start inotify: " + std::string(std::strerror(errno)));
  if (::inotify_add_watch(fd, impl_->dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot watch " + impl_->dir.string() + ": " + std::strerror(err));
  }
  impl_->stream.assign(fd);
  impl_->read();
  if (auto scanned = rescan(); !scanned) throw std::runtime_error(scanned.error().message);
}

Result<void> WatchDir::rescan() { return impl_->rescan(); }

void WatchDir::close() {
  if (!impl_ || !impl_->stream.is_open()) return;
  boost::system::error_code ignored;
  impl_->stream.close(ignored);
}

namespace {

/// `name`, then `stem.1.ext`, `stem.2.ext`, …
std::string candidate_name(std::string const& name, int n) {
  if (n == 0) return name;
  const fs::path as_path(name);
  return as_path.stem().string() + "." + std::to_string(n) + as_path.extension().string();
}

bool name_taken(int dir, std::string const& name) {
  struct stat st{};
  return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/// rename(2) that never replaces: another process may create the name at any moment. Returns 0
/// or an errno value.
int rename_no_replace(int from_dir, std::string const& from, int to_dir, std::string const& to) {
  if (::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // A file system without RENAME_NOREPLACE: link(2) never replaces either.
  if (::linkat(from_dir, from.c_str(), to_dir, to.c_str(), 0) != 0) return errno;
  ::unlinkat(from_dir, from.c_str(), 0);
  return 0;
}

bool write_all(int fd, std::string const& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// watch_dir/<subdir>, created if missing and opened without following a symlink: whoever can
/// write the watch directory could otherwise send the daemon's files anywhere it can write.
Result<int> open_subdir(int parent, fs::path const& parent_path, std::string const& subdir, std::string const& moving) {
  const fs::path shown = parent_path / subdir;
  const std::string prefix = "cannot move " + moving + " into " + subdir + "/: ";
  if (::mkdirat(parent, subdir.c_str(), 0777) != 0 && errno != EEXIST)
    return make_environment_error(prefix + "cannot create " + shown.string() + ": " + errno_text(errno));
  const int fd = ::openat(parent, subdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return fd;
  const int err = errno;
  struct stat st{};
  if (::fstatat(parent, subdir.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
    return make_environment_error(prefix + shown.string() +
                                  (S_ISLNK(st.st_mode) ? " is a symbolic link" : " is a file") +
                                  ", not a directory; remove or rename it");
  return make_environment_error(prefix + "cannot open " + shown.string() + ": " + errno_text(err));
}

/// Moves `file` into watch_dir/<subdir> under the first free name; with `error_text`, first
/// writes <that name>.error beside it (also a free name: both are taken together).
Result<fs::path> move_into(fs::path const& file, std::string const& subdir, std::string const* error_text) {
  const fs::path parent_path = file.parent_path();
  const std::string name = file.filename().string();
  const Fd parent(::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent)
    return make_environment_error("cannot move " + name + ": cannot open " + parent_path.string() + ": " +
                                  errno_text(errno));
  auto opened = open_subdir(parent.get(), parent_path, subdir, name);
  if (!opened) return opened.error();
  const Fd dir(*opened);
  const fs::path dir_path = parent_path / subdir;

  // Bounded only so that a directory that somehow answers "taken" forever cannot hang the loop.
  constexpr int kMaxSuffix = 100'000;
  for (int n = 0; n <= kMaxSuffix; ++n) {
    const std::string target = candidate_name(name, n);
    const std::string error_name = target + ".error";
    if (name_taken(dir.get(), target) || (error_text && name_taken(dir.get(), error_name))) continue;
    if (error_text) {
      const Fd out(::openat(dir.get(), error_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out) {
        if (errno == EEXIST) continue;  // created since the check above
        return make_environment_error("cannot move " + name + " into " + subdir + "/: cannot create " +
                                      (dir_path / error_name).string() + ": " + errno_text(errno));
      }
      std::string text = *error_text;
      if (!text.empty() && text.back() != '\n') text.push_back('\n');
      if (!write_all(out.get(), text)) {
        const int err = errno;
        ::unlinkat(dir.get(), error_name.c_str(), 0);
        return make_environment_error("cannot move " + name + " into " + subdir + "/: cannot write " +
                                      (dir_path / error_name).string() + ": " + errno_text(err));
      }
    }
    const int err = rename_no_replace(parent.get(), name, dir.get(), target);
    if (err == 0) return dir_path / target;
    if (error_text) ::unlinkat(dir.get(), error_name.c_str(), 0);  // ours: created with O_EXCL above
    if (err == EEXIST) continue;
    const std::string message =
        "cannot move " + file.string() + " to " + (dir_path / target).string() + ": " + errno_text(err);
    // Gone already: there is nothing left to try again with.
    return err == ENOENT ? make_error(message) : make_environment_error(message);
  }
  return make_environment_error("cannot move " + name + " into " + subdir + "/: no free name in " + dir_path.string());
}

}  // namespace

Result<fs::path> move_to_accepted(fs::path const& file) { return move_into(file, "accepted", nullptr); }

Result<fs::path> move_to_rejected(fs::path const& file, std::string const& error_text) {
  return move_into(file, "rejected", &error_text);
}

// ProtectSystem=strict makes a watch_dir outside /var/lib/outreachd read-only under the unit.
Result<void> check_watch_dir_writable(std::string const& dir) {
  for (fs::path const& path : {fs::path(dir), fs::path(dir) / "accepted", fs::path(dir) / "rejected"}) {
    std::error_code ec;
    if (path != fs::path(dir) && !fs::is_directory(fs::symlink_status(path, ec))) continue;  // made when needed
    if (::faccessat(AT_FDCWD, path.c_str(), W_OK | X_OK, AT_EACCESS) == 0) continue;
    int const err = errno;
    return make_error("watch_dir " + dir + ": " + path.string() + " is not writable by the daemon (" +
                      std::strerror(err) +
                      "), so campaign files could not be moved to accepted/ or rejected/. Under systemd, a "
                      "watch_dir outside /var/lib/outreachd needs a drop-in (systemctl edit outreachd) with "
                      "\"[Service]\" and \"ReadWritePaths=" + dir + "\", then systemctl restart outreachd");
  }
  return {};
}


}  // namespace outreach
