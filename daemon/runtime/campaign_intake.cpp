#include "daemon/runtime/campaign_intake.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "core/campaign_reader.hpp"
#include "daemon/runtime/watch_dir.hpp"
#include "storage/import.hpp"

namespace outreach {
namespace fs = std::filesystem;

namespace {

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(fs::path const& path) { return File(std::fopen(path.c_str(), "rb"), &std::fclose); }

/// SHA-256 fed as the bytes go by, so a pass that reads a campaign also fingerprints it.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) ctx_.reset();
  }
  void update(char const* data, std::size_t n) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), data, n);
  }
  /// Hex digest; empty if OpenSSL could not start (the import then refuses: no hash was given).
  std::string hex() {
    if (!ctx_) return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 0x0F]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

/// What one pass over a campaign reads: the JSON file's bytes and its CSV's, each hashed, and all
/// of them counted so that the caller hears of progress every kIntakeProgressBytes.
class PassMeter {
 public:
  PassMeter(IntakePass pass, IntakeProgress const& progress) : pass_(pass), progress_(progress) {}

  void add(bool csv, char const* data, std::size_t n) {
    (csv ? csv_hash_ : json_hash_).update(data, n);
    saw_csv_ = saw_csv_ || csv;
    bytes_ += static_cast<std::int64_t>(n);
    if (progress_ && bytes_ >= next_report_) {
      progress_(pass_, bytes_);
      next_report_ = bytes_ + kIntakeProgressBytes;
    }
  }

  /// The campaign's identity: the JSON file's SHA-256 (as before CSVs were hashed, so a JSON-only
  /// campaign keeps its hash), combined with the CSV's when it has one: a changed CSV under the
  /// same JSON is a different campaign, not "imported before".
  std::string content_hash() {
    std::string json = json_hash_.hex();
    if (!saw_csv_ || json.empty()) return json;
    std::string csv = csv_hash_.hex();
    if (csv.empty()) return {};
    Sha256 both;
    std::string const joined = json + "+csv:" + csv;
    both.update(joined.data(), joined.size());
    return both.hex();
  }

 private:
  IntakePass pass_;
  IntakeProgress const& progress_;
  Sha256 json_hash_, csv_hash_;
  bool saw_csv_ = false;
  std::int64_t bytes_ = 0;
  std::int64_t next_report_ = kIntakeProgressBytes;
};

/// `stop`, when set, ends the read early: the caller checks it before trusting what it read.
ByteSource file_source(fs::path const& path, PassMeter* meter = nullptr, bool csv = false,
                       std::atomic<bool> const* stop = nullptr) {
  auto file = std::make_shared<File>(open_file(path));
  return [file, meter, csv, stop](char* buffer, std::size_t capacity) -> std::size_t {
    if (!*file || (stop && stop->load(std::memory_order_relaxed))) return 0;
    std::size_t const n = std::fread(buffer, 1, capacity, file->get());
    if (meter && n > 0) meter->add(csv, buffer, n);
    return n;
  };
}

/// The recipients_csv a pass opened, and whether another process still had it open for writing
/// (then the pass read none of it).
struct CsvSeen {
  fs::path path;
  bool busy = false;
};

/// recipients_csv is relative to the campaign file and must stay inside the watch directory, so a
/// campaign cannot make the daemon read /etc/shadow or another tenant's files.
Result<ByteSource> confined_csv(fs::path const& campaign_dir, fs::path const& root, std::string const& relative,
                                PassMeter* meter, CsvSeen* seen, std::atomic<bool> const* stop) {
  const std::string label = "recipients_csv \"" + relative + "\"";
  if (relative.empty()) return make_error(label + " is empty");
  if (fs::path(relative).is_absolute()) return make_error(label + " must be a path relative to the campaign file");
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return make_error("cannot resolve the watch directory " + root.string() + ": " + ec.message());
  const fs::path resolved = fs::weakly_canonical(campaign_dir / relative, ec);
  if (ec) return make_error(label + " cannot be resolved: " + ec.message());
  auto [root_end, _] = std::mismatch(canonical_root.begin(), canonical_root.end(), resolved.begin(), resolved.end());
  if (root_end != canonical_root.end()) return make_error(label + " is outside the watch directory");
  // The error_code overloads: this runs inside Asio handlers, where an exception ends the daemon.
  std::error_code status_ec;
  const fs::file_status status = fs::status(resolved, status_ec);
  if (status.type() == fs::file_type::not_found) return make_error(label + " does not exist");
  if (status_ec) return make_error(label + " cannot be read: " + status_ec.message());
  if (!fs::is_regular_file(status)) return make_error(label + " is not a regular file");
  if (seen) {
    seen->path = resolved;
    // Rows read now would be the part written so far (README.md#the-watch-directory).
    if (is_open_for_writing(resolved)) {
      seen->busy = true;
      return make_error(label + " is still open for writing");
    }
  }
  File probe = open_file(resolved);
  if (!probe) return make_error(label + " cannot be read");
  return file_source(resolved, meter, /*csv=*/true, stop);
}

CampaignSources sources_for(fs::path const& file, fs::path const& csv_root, PassMeter* meter = nullptr,
                            CsvSeen* seen = nullptr, std::atomic<bool> const* stop = nullptr) {
  CampaignSources sources;
  sources.open_json = [file, meter, stop] { return file_source(file, meter, false, stop); };
  sources.open_csv = [dir = file.parent_path(), csv_root, meter, seen, stop](std::string const& relative) {
    return confined_csv(dir, csv_root, relative, meter, seen, stop);
  };
  return sources;
}

bool stop_requested(IntakeControl const& control) {
  return control.stop != nullptr && control.stop->load(std::memory_order_relaxed);
}

IntakeResult interrupted(fs::path const& file, std::string campaign) {
  IntakeResult out;
  out.campaign = std::move(campaign);
  out.interrupted = true;
  out.summary = file.filename().string() +
                ": import interrupted by the shutdown; the file stays in the watch directory and is imported at the "
                "next start";
  return out;
}

std::string problems_text(fs::path const& file, CampaignReport const& report) {
  return file.filename().string() + ": rejected, " + std::to_string(report.problems.total()) +
         (report.problems.total() == 1 ? " problem" : " problems") + ":\n" + report.problems.to_text();
}

/// A database failure (a full disk, say) is not the file's fault: the import rolled back whole,
/// and the file stays where it is, to be offered again, rather than a good campaign rejected.
IntakeResult keep_for_later(fs::path const& file, std::string campaign, Error const& error) {
  IntakeResult out;
  out.campaign = std::move(campaign);
  out.retry_later = true;
  out.summary = "campaign " + out.campaign + " from " + file.filename().string() + " not imported: " +
                error.message + " (the file stays in the watch directory; the import is tried again later)";
  return out;
}

std::string tried_again(fs::path const& file) {
  return " (" + file.filename().string() +
         " stays in the watch directory and is tried again within a minute, or at once on SIGHUP)";
}

IntakeResult reject(fs::path const& file, std::string text, std::string campaign) {
  IntakeResult out;
  out.campaign = std::move(campaign);
  out.summary = text.substr(0, text.find('\n'));
  auto moved = move_to_rejected(file, text);
  if (moved) {
    out.moved_to = *moved;
  } else if (moved.error().environmental) {
    // rejected/ cannot take it (a file named `rejected`, say): losing the file or its reasons
    // would be worse than waiting for the operator to fix that.
    out.waiting = IntakeWait::destination;
    out.waiting_for = moved.error().message;
    if (!out.summary.empty() && out.summary.back() == ':') out.summary.pop_back();
    out.summary += ", but " + moved.error().message + tried_again(file);
  } else {
    out.summary += " (" + moved.error().message + ")";
  }
  return out;
}

/// Nothing is imported and nothing rejected: the file is offered again once the writer is done.
IntakeResult wait_for(fs::path const& file, std::string campaign, IntakeWait wait, std::string waiting_for,
                      std::string summary) {
  IntakeResult out;
  out.campaign = std::move(campaign);
  out.waiting = wait;
  out.waiting_for = std::move(waiting_for);
  out.summary = file.filename().string() + ": " + std::move(summary);
  return out;
}

IntakeResult wait_for_writer(fs::path const& file, std::string campaign) {
  return wait_for(file, std::move(campaign), IntakeWait::writer, "the writer",
                  "still open for writing; it stays in the watch directory until it is closed");
}

IntakeResult wait_for_csv(fs::path const& file, std::string campaign, fs::path const& csv) {
  return wait_for(file, std::move(campaign), IntakeWait::csv_writer, csv.string(),
                  "waits for its recipients_csv " + csv.filename().string() +
                      ", still open for writing; nothing is imported until it is closed");
}

IntakeResult wait_for_stable(fs::path const& file, std::string campaign) {
  return wait_for(file, std::move(campaign), IntakeWait::changed, "unchanged content",
                  "the file or its recipients_csv changed while it was being read; nothing was imported, and it "
                  "is read again when its writer closes it (or within a minute)");
}

}  // namespace

ValidationReport validate_campaign_file(fs::path const& file, fs::path const& csv_root, AccountNames const& accounts) {
  ValidationReport out;
  if (!open_file(file)) {
    out.problems_text = file.string() + ": cannot be read\n";
    return out;
  }
  CampaignReport report = read_campaign(sources_for(file, csv_root), accounts, {});
  out.campaign = report.header.name;
  out.recipients = report.recipients;
  out.valid = report.problems.empty();
  if (!out.valid) out.problems_text = problems_text(file, report);
  return out;
}

IntakeResult process_campaign_file(Database& db, fs::path const& file, fs::path const& watch_dir,
                                   AccountNames const& accounts, TimePoint now, IntakeControl const& control) {
  // Whoever found it (start-up scan, rescan, reload, an event for an earlier writer), a file still
  // open for writing is not complete: its close brings it back (IN_CLOSE_WRITE).
  if (is_open_for_writing(file)) return wait_for_writer(file, {});
  if (!open_file(file)) return reject(file, file.filename().string() + ": rejected: cannot be read\n", {});

  // Validate completely before opening a write transaction, so a bad file never holds the
  // database; only then stream the same recipients into the import. The first pass also
  // fingerprints the bytes; the second checks that it read the same ones.
  PassMeter validation(IntakePass::validating, control.progress);
  CsvSeen csv;
  CampaignReport report = read_campaign(sources_for(file, watch_dir, &validation, &csv, control.stop), accounts, {});
  if (stop_requested(control)) return interrupted(file, report.header.name);
  if (csv.busy) return wait_for_csv(file, report.header.name, csv.path);
  if (!report.problems.empty()) {
    // A writer that opened either file after the checks above explains a truncated read better
    // than the file does.
    if (is_open_for_writing(file)) return wait_for_writer(file, report.header.name);
    if (!csv.path.empty() && is_open_for_writing(csv.path)) return wait_for_csv(file, report.header.name, csv.path);
    return reject(file, problems_text(file, report), report.header.name);
  }
  const std::string hash = validation.content_hash();

  auto session = begin_import(db, report.header, file.filename().string(), hash, now, control.import);
  if (!session) {
    if (session.error().environmental) return keep_for_later(file, report.header.name, session.error());
    return reject(file, file.filename().string() + ": rejected: " + session.error().message + "\n",
                  report.header.name);
  }
  IntakeResult out;
  out.campaign = report.header.name;
  if (!session->already_imported()) {
    std::optional<Error> add_error;
    PassMeter import(IntakePass::importing, control.progress);
    CsvSeen csv_again;
    CampaignReport second = read_campaign(
        sources_for(file, watch_dir, &import, &csv_again, control.stop), accounts, [&](ValidRecipient&& r) {
          if (add_error) return;
          if (auto added = session->add(r); !added) add_error = added.error();
        });
    // Stopping: deleting the chunks now would hold up the shutdown; the next import does it.
    if (stop_requested(control)) {
      session->abandon();
      return interrupted(file, report.header.name);
    }
    // Someone wrote between the passes: what this pass read is not what was validated (it may be
    // a CSV half rewritten), so none of it is imported. The complete file is read next time.
    if (csv_again.busy) {
      session->rollback();
      return wait_for_csv(file, report.header.name, csv_again.path);
    }
    if (!second.problems.empty() || import.content_hash() != hash) {
      session->rollback();
      return wait_for_stable(file, report.header.name);
    }
    if (add_error) {
      session->rollback();
      if (add_error->environmental) return keep_for_later(file, report.header.name, *add_error);
      return reject(file, file.filename().string() + ": rejected: " + add_error->message + "\n", report.header.name);
    }
  }
  auto summary = session->commit();
  if (!summary) return keep_for_later(file, report.header.name, summary.error());
  out.accepted = true;
  out.already_imported = summary->already_imported;
  out.recipients = summary->total;
  auto moved = move_to_accepted(file);
  if (moved) out.moved_to = *moved;
  else if (moved.error().environmental) {
    // Imported all the same; offered again, it is "imported before" and moved once accepted/ works.
    out.waiting = IntakeWait::destination;
    out.waiting_for = moved.error().message;
  }
  if (summary->already_imported) {
    out.summary = "campaign " + report.header.name + " from " + file.filename().string() +
                  " was imported before; nothing changed";
  } else {
    out.summary = "campaign " + report.header.name + " imported from " + file.filename().string() + ": " +
                  std::to_string(summary->total) + " recipients (" + std::to_string(summary->duplicates) +
                  " duplicates collapsed, " + std::to_string(summary->suppressed) + " suppressed)";
  }
  if (!moved && out.waiting != IntakeWait::none) out.summary += ", but " + moved.error().message + tried_again(file);
  else if (!moved) out.summary += "; " + moved.error().message;
  return out;
}

bool IntakeWaitlist::report(fs::path const& file, IntakeResult const& result) {
  if (result.interrupted) {
    spdlog::info("{}", result.summary);
    return false;
  }
  if (result.waiting == IntakeWait::none) {
    waiting_.erase(file);
    if (result.accepted) spdlog::info("{}", result.summary);
    else if (result.retry_later) spdlog::error("{}", result.summary);
    else spdlog::warn("{}", result.summary);
    return result.retry_later;
  }
  Entry& entry = waiting_[file];
  const bool known = entry.wait == result.waiting && entry.waiting_for == result.waiting_for;
  entry = Entry{result.waiting, result.waiting_for};
  if (known) {
    spdlog::debug("{}", result.summary);
    return true;
  }
  switch (result.waiting) {
    case IntakeWait::writer:
    case IntakeWait::csv_writer: spdlog::info("{}", result.summary); break;
    case IntakeWait::changed: spdlog::warn("{}", result.summary); break;
    case IntakeWait::destination:
    case IntakeWait::none: spdlog::error("{}", result.summary); break;
  }
  return true;
}

std::vector<fs::path> IntakeWaitlist::waiting_on_other_files() const {
  std::vector<fs::path> out;
  for (auto const& [file, entry] : waiting_)
    if (entry.wait == IntakeWait::csv_writer || entry.wait == IntakeWait::changed) out.push_back(file);
  return out;
}

void IntakeWaitlist::forget_missing() {
  std::erase_if(waiting_, [](auto const& item) {
    struct stat st{};
    return ::lstat(item.first.c_str(), &st) != 0;
  });
}

}  // namespace outreach
