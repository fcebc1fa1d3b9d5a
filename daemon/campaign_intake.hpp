#pragma once
// From a file in the watch directory to an imported campaign (SPEC §3): validate while streaming,
// import in one transaction, then move the file to accepted/ — or to rejected/ with a .error file
// listing every problem. The daemon keeps running whatever the file holds.
#include <filesystem>
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

/// Processes one campaign file. Never throws.
IntakeResult process_campaign_file(Database& db, std::filesystem::path const& file,
                                   std::filesystem::path const& watch_dir, AccountNames const& accounts,
                                   TimePoint now);

/// Validates a file without importing it (`outreachd validate`): the problems as text, empty if valid.
struct ValidationReport {
  bool valid = false;
  std::string campaign;
  std::size_t recipients = 0;
  std::string problems_text;
};
ValidationReport validate_campaign_file(std::filesystem::path const& file, std::filesystem::path const& csv_root,
                                        AccountNames const& accounts);

/// SHA-256 of a file's bytes, hex; the import's identity (same name + same hash = no-op).
Result<std::string> sha256_file(std::filesystem::path const& file);

}  // namespace outreach
