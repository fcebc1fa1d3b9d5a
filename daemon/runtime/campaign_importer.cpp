#include "daemon/runtime/campaign_importer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>

#include "storage/database.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace fs = std::filesystem;

/// What the loop and the import thread share. The queue and `stop` are guarded by the mutex (stop
/// is also read without it, between reads of a file); `offered`, `done`, `progress` and
/// `delivering` belong to the loop's thread, where every posted handler runs.
struct CampaignImporter::Shared {
  boost::asio::any_io_executor loop;
  std::string db_path;
  std::shared_ptr<sql::WriteTurns> turns;
  ImportOptions options;
  Done done;
  Progress progress;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;
  std::atomic<bool> stop{false};

  std::set<fs::path> offered;
  bool delivering = true;

  /// Runs `handler` on the loop, unless the importer is gone or stopping by then.
  template <class Handler>
  static void post(std::shared_ptr<Shared> const& self, Handler&& handler) {
    boost::asio::post(self->loop, [weak = std::weak_ptr<Shared>(self), handler = std::forward<Handler>(handler)] {
      if (auto shared = weak.lock(); shared && shared->delivering) handler(*shared);
    });
  }
};

CampaignImporter::CampaignImporter(boost::asio::any_io_executor loop, std::string db_path,
                                   std::shared_ptr<sql::WriteTurns> turns, Done done, Progress progress,
                                   ImportOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->loop = std::move(loop);
  shared_->db_path = std::move(db_path);
  shared_->turns = std::move(turns);
  shared_->options = options;
  shared_->done = std::move(done);
  shared_->progress = std::move(progress);
  thread_ = std::thread(&CampaignImporter::run, shared_);
}

CampaignImporter::~CampaignImporter() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void CampaignImporter::offer(Job job) {
  if (shared_->stop) return;
  if (!shared_->offered.insert(job.file).second) return;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->queue.push_back(std::move(job));
  }
  shared_->wake.notify_one();
}

std::size_t CampaignImporter::busy() const { return shared_->offered.size(); }

void CampaignImporter::request_stop() {
  shared_->delivering = false;
  shared_->offered.clear();
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stop = true;
    shared_->queue.clear();
  }
  shared_->wake.notify_one();
}

namespace {

/// The thread's own connection, opened at its first file (the daemon has created the database by
/// then), sharing the loop's write turns. Imports killed before are deleted first: they are the
/// only `importing` campaigns, since this thread is the daemon's only importer.
Result<Database> open_for_imports(std::string const& path, std::shared_ptr<sql::WriteTurns> const& turns) {
  OpenOptions options;
  options.create = false;
  auto db = Database::open(path, options);
  if (!db) return db.error();
  db->connection().share_write_turns(turns);
  db->connection().defer_checkpoints();  // ImportSession checkpoints between its chunks
  auto purged = purge_unfinished_imports(*db);
  if (!purged) return purged.error();
  if (*purged > 0)
    spdlog::info("deleted {} unfinished import{} left by an earlier stop; their files are imported again", *purged,
                 *purged == 1 ? "" : "s");
  return std::move(*db);
}

}  // namespace

void CampaignImporter::run(std::shared_ptr<Shared> shared) {
  std::optional<Database> db;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(shared->mutex);
      shared->wake.wait(lock, [&] { return shared->stop || !shared->queue.empty(); });
      if (shared->stop) return;
      job = std::move(shared->queue.front());
      shared->queue.pop_front();
    }
    IntakeResult result;
    if (!db) {
      auto opened = open_for_imports(shared->db_path, shared->turns);
      if (opened) db.emplace(std::move(*opened));
      else {
        result.retry_later = true;
        result.summary = job.file.filename().string() + " not imported: " + opened.error().message +
                         " (the file stays in the watch directory; the import is tried again later)";
      }
    }
    if (db) {
      IntakeControl control;
      control.stop = &shared->stop;
      control.import = shared->options;
      control.progress = [&shared, &job](IntakePass pass, std::int64_t bytes) {
        Shared::post(shared, [file = job.file, pass, bytes](Shared& s) {
          if (s.progress) s.progress(file, pass, bytes);
        });
      };
      result = process_campaign_file(*db, job.file, job.watch_dir, job.accounts, job.now, control);
    }
    if (result.interrupted) {  // the loop is stopping and may never run a posted handler again
      spdlog::info("{}", result.summary);
      continue;
    }
    Shared::post(shared, [file = job.file, result = std::move(result)](Shared& s) {
      s.offered.erase(file);
      if (s.done) s.done(file, result);
    });
  }
}

}  // namespace outreach
