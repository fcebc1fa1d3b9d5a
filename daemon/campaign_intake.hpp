#pragma once
// From a file in the watch directory to an imported campaign (SPEC §3): validate while streaming,
// import in one transaction, then move the file to accepted/ — or to rejected/ with a .error file
// listing every problem. The daemon keeps running whatever the file holds.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/campaign_validator.hpp"
#include "core/time.hpp"

namespace outreach {

class Database;

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
};

/// Told every kIntakeProgressBytes read in each pass (validation, then import) how far the pass
/// got. A million-row file keeps the event loop busy for seconds, so the daemon uses it to feed
/// systemd's watchdog and to say what it is doing.
enum class IntakePass { validating, importing };
using IntakeProgress = std::function<void(IntakePass pass, std::int64_t bytes_read)>;
inline constexpr std::int64_t kIntakeProgressBytes = 1 << 20;

/// Processes one campaign file. Never throws. Its identity is the SHA-256 of its bytes (and of its
/// recipients_csv's): the same name and hash again is a no-op, the same name with another an error.
IntakeResult process_campaign_file(Database& db, std::filesystem::path const& file,
                                   std::filesystem::path const& watch_dir, AccountNames const& accounts,
                                   TimePoint now, IntakeProgress const& progress = {});

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
