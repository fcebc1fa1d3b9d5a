#pragma once
// From a file in the watch directory to an imported campaign (README.md#campaign-files): validate while streaming,
// import (in chunks, invisible until the last), then move the file to accepted/ — or to rejected/ with a .error file
// listing every problem. The daemon keeps running whatever the file holds.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/campaign_validator.hpp"
#include "core/time.hpp"
#include "storage/import.hpp"

namespace outreach {

class Database;

/// Why a file stays in the watch directory, neither imported nor rejected, to be offered again.
enum class IntakeWait {
  none,
  writer,       ///< another process still has the campaign file open for writing
  csv_writer,   ///< another process still has its recipients_csv open for writing
  changed,      ///< it or its recipients_csv changed between the validation and the import pass
  destination,  ///< accepted/ or rejected/ cannot take it (not a directory, a symlink, …)
};

struct IntakeResult {
  bool accepted = false;
  bool already_imported = false;
  std::string campaign;       ///< the campaign's name, when the file named one
  std::int64_t recipients = 0;
  std::string summary;        ///< one line for the log
  std::filesystem::path moved_to;
  /// The database failed (a full disk, say), not the file: it stays in the watch directory and
  /// the caller offers it again later.
  bool retry_later = false;
  /// Not none: the file stays in the watch directory (README.md#the-watch-directory) and is offered again when
  /// the writer closes it, when a file is closed in the watch directory, on SIGHUP, or by the
  /// one-minute retry. (A campaign imported but not movable to accepted/ is `accepted` too.)
  IntakeWait waiting = IntakeWait::none;
  /// What the file waits for, the same text at every retry while nothing changed (the summary
  /// may differ: "imported" the first time, "imported before" after).
  std::string waiting_for;
  /// The daemon is stopping: the file was left as it is, nothing imported (what an unfinished
  /// import wrote is deleted before the next one), and it is read again at the next start.
  bool interrupted = false;
};

/// The daemon's account of each processed file: which files wait in the watch directory and why,
/// so that a waiting file is logged once (per reason), not at every retry, and a closed CSV can
/// free the campaigns that wait for it.
class IntakeWaitlist {
 public:
  /// Logs `result` for `file` and returns whether the file is to be offered again later.
  bool report(std::filesystem::path const& file, IntakeResult const& result);
  /// The files waiting on a file other than themselves (their recipients_csv), to offer again when
  /// another file in the watch directory is closed or renamed in.
  std::vector<std::filesystem::path> waiting_on_other_files() const;
  /// Forgets files that are no longer there (moved away or deleted by their owner).
  void forget_missing();
  bool empty() const { return waiting_.empty(); }

 private:
  struct Entry {
    IntakeWait wait = IntakeWait::none;
    std::string waiting_for;
  };
  std::map<std::filesystem::path, Entry> waiting_;
};

/// Told every kIntakeProgressBytes read in each pass (validation, then import) how far the pass
/// got: a million-row file takes seconds, and the daemon says so in STATUS= and the log.
enum class IntakePass { validating, importing };
using IntakeProgress = std::function<void(IntakePass pass, std::int64_t bytes_read)>;
inline constexpr std::int64_t kIntakeProgressBytes = 1 << 20;

/// How the daemon's import thread drives one file.
struct IntakeControl {
  IntakeProgress progress;
  /// Set by another thread to stop the file at the next read (IntakeResult::interrupted).
  std::atomic<bool> const* stop = nullptr;
  ImportOptions import;
};

/// Processes one campaign file. Never throws. Its identity is the SHA-256 of its bytes (and of its
/// recipients_csv's): the same name and hash again is a no-op, the same name with another an error.
/// A file (or recipients_csv) still open for writing, or one that changed between the passes, is
/// left where it is (IntakeResult::waiting), never imported partially nor rejected for it. The
/// import is written in chunks (storage/import.hpp), so `db` may be a connection of its own on
/// another thread than the one sending.
IntakeResult process_campaign_file(Database& db, std::filesystem::path const& file,
                                   std::filesystem::path const& watch_dir, AccountNames const& accounts,
                                   TimePoint now, IntakeControl const& control = {});

/// Validates a file without importing it (`outreachd validate`): the problems as text, empty if valid.
struct ValidationReport {
  bool valid = false;
  std::string campaign;
  std::size_t recipients = 0;
  std::string problems_text;
};
ValidationReport validate_campaign_file(std::filesystem::path const& file, std::filesystem::path const& csv_root,
                                        AccountNames const& accounts);

}  // namespace outreach
