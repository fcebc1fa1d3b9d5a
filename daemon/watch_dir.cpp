#include "daemon/watch_dir.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstring>
#include <fstream>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <vector>

namespace outreach {
namespace fs = std::filesystem;

bool is_campaign_file_name(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (name.empty() || name.front() == '.') return false;
  if (ends_with(".tmp") || ends_with(".part")) return false;
  return ends_with(".json") && name.size() > 5;
}

bool is_regular_non_symlink(fs::path const& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
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
  Impl(boost::asio::io_context& io, fs::path d, OnFile cb) : stream(io), dir(std::move(d)), on_file(std::move(cb)) {}

  void read() {
    stream.async_read_some(boost::asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec,
                                                                                     std::size_t n) {
      if (ec || !self->stream.is_open()) return;  // closed on shutdown
      const InotifyBatch batch = names_from_events(self->buffer.data(), n);
      if (batch.overflowed) {
        spdlog::warn("the watch directory's event queue overflowed; rescanning {}", self->dir.string());
        if (auto scanned = self->rescan(); !scanned) spdlog::error("{}", scanned.error().message);
      } else {
        for (auto const& name : batch.names) self->offer(name);
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
    for (auto const& name : present) offer(name);
    return {};
  }

  void offer(std::string const& name) {
    if (!is_campaign_file_name(name)) return;
    const fs::path path = dir / name;
    if (!is_regular_non_symlink(path)) return;  // gone already, a symlink, or not a file
    on_file(path);
  }

  boost::asio::posix::stream_descriptor stream;
  fs::path dir;
  OnFile on_file;
  // Room for many events; each is 16 bytes plus a NUL-padded name of up to NAME_MAX + 1.
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
};

WatchDir::WatchDir(boost::asio::io_context& io, fs::path dir, OnFile on_file)
    : impl_(std::make_shared<Impl>(io, std::move(dir), std::move(on_file))) {}

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

fs::path free_destination(fs::path const& dir, std::string const& name) {
  // lstat, not fs::symlink_status: no exceptions here. A name lstat cannot see (ENOENT, or
  // EACCES and the like) counts as free; the rename that follows then reports any real problem.
  const auto taken = [](fs::path const& p) {
    struct stat st{};
    return ::lstat(p.c_str(), &st) == 0;
  };
  fs::path candidate = dir / name;
  if (!taken(candidate)) return candidate;
  const fs::path as_path(name);
  const std::string stem = as_path.stem().string();
  const std::string ext = as_path.extension().string();
  for (int n = 1;; ++n) {
    candidate = dir / (stem + "." + std::to_string(n) + ext);
    if (!taken(candidate)) return candidate;
  }
}

namespace {

Result<fs::path> move_into(fs::path const& file, std::string const& subdir) {
  std::error_code ec;
  const fs::path target_dir = file.parent_path() / subdir;
  fs::create_directories(target_dir, ec);
  if (ec) return make_error("cannot create " + target_dir.string() + ": " + ec.message());
  const fs::path target = free_destination(target_dir, file.filename().string());
  fs::rename(file, target, ec);
  if (ec) return make_error("cannot move " + file.string() + " to " + target.string() + ": " + ec.message());
  return target;
}

}  // namespace

Result<fs::path> move_to_accepted(fs::path const& file) { return move_into(file, "accepted"); }

Result<fs::path> move_to_rejected(fs::path const& file, std::string const& error_text) {
  auto moved = move_into(file, "rejected");
  if (!moved) return moved;
  const fs::path error_file = moved->string() + ".error";
  std::ofstream out(error_file, std::ios::trunc);
  out << error_text;
  if (!error_text.empty() && error_text.back() != '\n') out << '\n';
  out.close();
  if (!out) return make_error("moved " + file.string() + " to rejected/ but could not write " + error_file.string());
  return moved;
}

}  // namespace outreach
