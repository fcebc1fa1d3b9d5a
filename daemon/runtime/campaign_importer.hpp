#pragma once
// The daemon's import thread (README.md#importing-beside-running-campaigns). Campaign files are
// read, validated, hashed and imported here, on a SQLite connection of its own, so that a
// million-recipient file never holds up the event loop: accounts keep their pacing, timers fire,
// STATUS= and the watchdog keep going and the control socket answers. The import is written in
// short chunks that take turns at the write lock with the loop's claims and records
// (storage/import.hpp, sql::WriteTurns).
//
// Files are imported one at a time, in the order they were offered. Results and progress are
// posted back to the event loop; offer() and busy() are for the loop's thread only.
#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/campaign_validator.hpp"
#include "core/time.hpp"
#include "daemon/runtime/campaign_intake.hpp"
#include "storage/import.hpp"

namespace outreach {

namespace sql {
class WriteTurns;
}

class CampaignImporter {
 public:
  struct Job {
    std::filesystem::path file;
    std::filesystem::path watch_dir;
    AccountNames accounts;  ///< the configured accounts when the file was offered
    TimePoint now;          ///< the campaign's created_at
  };
  using Done = std::function<void(std::filesystem::path const& file, IntakeResult const& result)>;
  using Progress = std::function<void(std::filesystem::path const& file, IntakePass pass, std::int64_t bytes)>;

  /// The thread starts at once; before its first file it deletes what imports killed before left
  /// behind (storage::purge_unfinished_imports).
  CampaignImporter(boost::asio::any_io_executor loop, std::string db_path, std::shared_ptr<sql::WriteTurns> turns,
                   Done done, Progress progress, ImportOptions options = {});
  ~CampaignImporter();
  CampaignImporter(CampaignImporter const&) = delete;
  CampaignImporter& operator=(CampaignImporter const&) = delete;

  /// Queues the file, unless it is queued or being imported already (an event and a rescan may
  /// both find it): it is read whole when its turn comes, so a second offer would change nothing.
  void offer(Job job);
  /// Files queued or being imported, until their result has been delivered.
  std::size_t busy() const;
  /// Asks the current file to stop at its next read (it stays in the watch directory) and drops
  /// the queue; results not yet delivered are dropped. Does not wait.
  void request_stop();

 private:
  struct Shared;
  static void run(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace outreach
