#include "daemon/campaign_intake.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>

#include "core/campaign_reader.hpp"
#include "daemon/watch_dir.hpp"
#include "storage/import.hpp"

namespace outreach {
namespace fs = std::filesystem;

namespace {

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(fs::path const& path) { return File(std::fopen(path.c_str(), "rb"), &std::fclose); }

ByteSource file_source(fs::path const& path) {
  auto file = std::make_shared<File>(open_file(path));
  return [file](char* buffer, std::size_t capacity) -> std::size_t {
    if (!*file) return 0;
    return std::fread(buffer, 1, capacity, file->get());
  };
}

/// recipients_csv is relative to the campaign file and must stay inside the watch directory, so a
/// campaign cannot make the daemon read /etc/shadow or another tenant's files.
Result<ByteSource> confined_csv(fs::path const& campaign_dir, fs::path const& root, std::string const& relative) {
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
  if (!fs::exists(resolved)) return make_error(label + " does not exist");
  if (!fs::is_regular_file(resolved)) return make_error(label + " is not a regular file");
  File probe = open_file(resolved);
  if (!probe) return make_error(label + " cannot be read");
  return file_source(resolved);
}

CampaignSources sources_for(fs::path const& file, fs::path const& csv_root) {
  CampaignSources sources;
  sources.open_json = [file] { return file_source(file); };
  sources.open_csv = [dir = file.parent_path(), csv_root](std::string const& relative) {
    return confined_csv(dir, csv_root, relative);
  };
  return sources;
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

IntakeResult reject(fs::path const& file, std::string text, std::string campaign) {
  IntakeResult out;
  out.campaign = std::move(campaign);
  out.summary = text.substr(0, text.find('\n'));
  auto moved = move_to_rejected(file, text);
  if (moved) out.moved_to = *moved;
  else out.summary += " (" + moved.error().message + ")";
  return out;
}

}  // namespace

Result<std::string> sha256_file(fs::path const& file) {
  File f = open_file(file);
  if (!f) return make_error("cannot read " + file.string());
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return make_error("cannot start SHA-256");
  std::vector<char> buffer(1 << 16);
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), f.get())) > 0) EVP_DigestUpdate(ctx.get(), buffer.data(), n);
  if (std::ferror(f.get())) return make_error("error reading " + file.string());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

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
                                   AccountNames const& accounts, TimePoint now) {
  auto hash = sha256_file(file);
  if (!hash) return reject(file, file.filename().string() + ": rejected: " + hash.error().message + "\n", {});

  // Validate completely before opening a write transaction, so a bad file never holds the
  // database; only then stream the same recipients into the import.
  const CampaignSources sources = sources_for(file, watch_dir);
  CampaignReport report = read_campaign(sources, accounts, {});
  if (!report.problems.empty()) return reject(file, problems_text(file, report), report.header.name);

  auto session = begin_import(db, report.header, file.filename().string(), *hash, now);
  if (!session) {
    if (session.error().environmental) return keep_for_later(file, report.header.name, session.error());
    return reject(file, file.filename().string() + ": rejected: " + session.error().message + "\n",
                  report.header.name);
  }
  IntakeResult out;
  out.campaign = report.header.name;
  if (!session->already_imported()) {
    std::optional<Error> add_error;
    CampaignReport second = read_campaign(sources, accounts, [&](ValidRecipient&& r) {
      if (add_error) return;
      if (auto added = session->add(r); !added) add_error = added.error();
    });
    // The file changed between the passes (it should not: it was complete when we were told).
    if (!second.problems.empty()) return reject(file, problems_text(file, second), report.header.name);
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
  if (summary->already_imported) {
    out.summary = "campaign " + report.header.name + " from " + file.filename().string() +
                  " was imported before; nothing changed";
  } else {
    out.summary = "campaign " + report.header.name + " imported from " + file.filename().string() + ": " +
                  std::to_string(summary->total) + " recipients (" + std::to_string(summary->duplicates) +
                  " duplicates collapsed, " + std::to_string(summary->suppressed) + " suppressed)";
  }
  if (!moved) out.summary += "; " + moved.error().message;
  return out;
}

}  // namespace outreach
