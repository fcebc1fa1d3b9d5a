#pragma once
// The watch directory (SPEC §3): campaign files are picked up when complete — closed after
// writing (IN_CLOSE_WRITE) or renamed in (IN_MOVED_TO) — through inotify on the event loop, plus a
// scan of what is already there at start-up. No polling.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace outreach {

/// Only `*.json` names are campaigns; hidden files and `.tmp`/`.part` names are work in progress.
bool is_campaign_file_name(std::string_view name);

class WatchDir {
 public:
  using OnFile = std::function<void(std::filesystem::path const&)>;

  /// Throws with a clear sentence if the directory cannot be watched (a start-up error).
  WatchDir(boost::asio::io_context& io, std::filesystem::path dir, OnFile on_file);
  ~WatchDir();
  WatchDir(WatchDir const&) = delete;
  WatchDir& operator=(WatchDir const&) = delete;

  /// Starts watching, then hands every campaign file already present to on_file, in name order.
  /// (Watching first means a file written during the scan is never missed; one seen twice is
  /// harmless because processing moves it away.)
  void start();
  /// Hands every campaign file present to on_file again, in name order: for files kept because
  /// the database failed, once there may be room again. An unreadable directory is an error
  /// result, never an exception (this runs inside Asio handlers).
  Result<void> rescan();
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// True for a regular file that is not a symlink (symlinks could point outside the directory).
bool is_regular_non_symlink(std::filesystem::path const& path);

/// `dir/name`, or `dir/stem.N.ext` with the smallest N ≥ 1 that is free.
std::filesystem::path free_destination(std::filesystem::path const& dir, std::string const& name);

/// Moves a processed file into watch_dir/accepted/.
Result<std::filesystem::path> move_to_accepted(std::filesystem::path const& file);

/// Moves a bad file into watch_dir/rejected/ and writes rejected/<file>.error beside it.
Result<std::filesystem::path> move_to_rejected(std::filesystem::path const& file, std::string const& error_text);

}  // namespace outreach
