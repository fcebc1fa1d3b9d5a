#pragma once
// The watch directory (README.md#the-watch-directory): campaign files are picked up when complete — closed after
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
  /// `on_other_file` hears of every other regular file closed after writing or renamed in (not
  /// hidden or `.tmp`/`.part`): a recipients_csv a waiting campaign may need. Scans never report them.
  WatchDir(boost::asio::io_context& io, std::filesystem::path dir, OnFile on_file, OnFile on_other_file = {});
  ~WatchDir();
  WatchDir(WatchDir const&) = delete;
  WatchDir& operator=(WatchDir const&) = delete;

  /// Starts watching, then hands every campaign file already present to on_file, in name order.
  /// (Watching first means a file written during the scan is never missed; one seen twice is
  /// harmless because processing moves it away.)
  void start();
  /// Hands every campaign file present to on_file again, in name order: for files kept because
  /// the database failed, once there may be room again, and for files left waiting (a writer, a
  /// blocked accepted/ or rejected/). An unreadable directory is an error result, never an
  /// exception (this runs inside Asio handlers).
  Result<void> rescan();
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// True for a regular file that is not a symlink (symlinks could point outside the directory).
bool is_regular_non_symlink(std::filesystem::path const& path);

/// True while another process holds `path` open for writing (README.md#the-watch-directory): a file found by a
/// scan may still be growing, and only its close says it is complete. Told by a read lease, which
/// the kernel refuses while any writer has the file open; it is released at once. When no lease
/// can be taken (EACCES: the file belongs to another user and the daemon lacks CAP_LEASE; a file
/// system without leases) the file counts as complete, as before, and that is logged at debug.
bool is_open_for_writing(std::filesystem::path const& path);

/// Moves a processed file into watch_dir/accepted/ under its own name, or `stem.N.ext` with the
/// smallest free N ≥ 1.
///
/// accepted/ and rejected/ live in a directory others can write, so nothing here follows a
/// symlink or replaces an existing name: the subdirectory is opened with O_NOFOLLOW (a symlink
/// named `accepted` is refused, not followed), and the file moved relative to that descriptor
/// with RENAME_NOREPLACE. A failure that leaves the file where it was because accepted/ or
/// rejected/ cannot take it (not a directory, a symlink, no permission, a full disk) is an
/// `environmental` error: the caller keeps the file and tries again later.
Result<std::filesystem::path> move_to_accepted(std::filesystem::path const& file);

/// Moves a bad file into watch_dir/rejected/ and writes rejected/<file>.error beside it (created
/// with O_EXCL|O_NOFOLLOW, never through a planted symlink; both names are picked free together).
/// The .error is written before the move, so a file that cannot be explained stays where it was.
Result<std::filesystem::path> move_to_rejected(std::filesystem::path const& file, std::string const& error_text);

/// At start: the watch directory and its accepted/ and rejected/ (when present) must be writable.
/// One that is not would have its campaigns imported and sent but never moved, so every rescan
/// would offer them again; the error names the systemd drop-in that fixes the usual cause.
Result<void> check_watch_dir_writable(std::string const& dir);

}  // namespace outreach
