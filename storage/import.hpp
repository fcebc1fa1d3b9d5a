#pragma once
// Importing a validated campaign: one transaction, fed one recipient at a time so a million-row
// file never sits in memory. The campaign reader's sink can call add() directly:
//
//   auto session = begin_import(db, header, file_name, sha256_of_file, now);
//   if (session && !session->already_imported()) {
//     auto problems = read_campaign(sources, accounts, [&](ValidRecipient&& r) { (void)session->add(r); });
//     if (problems.empty()) summary = session->commit(); // else the session rolls back when destroyed
//   }
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/campaign.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

struct ImportSummary {
  std::int64_t campaign_id = 0;
  bool already_imported = false;  ///< the same file was imported before; nothing changed
  std::int64_t total = 0;         ///< distinct recipients (campaign_status.total)
  std::int64_t duplicates = 0;    ///< recipients that collapsed into an earlier one
  std::int64_t suppressed = 0;    ///< of total, skipped/suppressed by the do-not-contact list
};

/// An import in progress; holds the database's write transaction until commit() or rollback()
/// (the destructor rolls back). Other writers on other connections wait meanwhile (busy_timeout).
class ImportSession {
 public:
  ImportSession(ImportSession&& other) noexcept;
  ImportSession& operator=(ImportSession&& other) noexcept;
  ImportSession(ImportSession const&) = delete;
  ImportSession& operator=(ImportSession const&) = delete;
  ~ImportSession();

  /// The campaign exists with the same content hash: add() ignores recipients and commit() reports
  /// the existing campaign. Callers may skip reading the file.
  bool already_imported() const;

  /// Adds one recipient in file order. Duplicates (same username, case-insensitive, or same
  /// user_id) are counted and dropped. After an error the session can only be rolled back.
  Result<void> add(ValidRecipient const& recipient);

  /// Applies the suppression list (matches become skipped/suppressed), sets the counts and commits
  /// durably. The session is finished afterwards, whatever the result.
  Result<ImportSummary> commit();

  /// Drops everything added; the campaign does not exist afterwards. Safe to call twice.
  void rollback() noexcept;

  struct State;

 private:
  explicit ImportSession(std::unique_ptr<State> state);
  friend Result<ImportSession> begin_import(Database&, CampaignHeader const&, std::string_view, std::string_view,
                                            TimePoint);
  std::unique_ptr<State> state_;
};

/// Starts importing a campaign read from `file_name` whose bytes hash to `content_hash` (any
/// stable digest the caller computes). Errors: a campaign of that name with a different hash, an
/// account that is not configured, no accounts, or another write open on this connection.
Result<ImportSession> begin_import(Database& db, CampaignHeader const& header, std::string_view file_name,
                                   std::string_view content_hash, TimePoint now);

}  // namespace outreach
