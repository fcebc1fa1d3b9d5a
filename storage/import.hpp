#pragma once
// Importing a validated campaign, fed one recipient at a time so a million-row file never sits in
// memory, and written in short transactions so that the sends of running campaigns go on beside
// it (README.md#importing-beside-running-campaigns):
//
//   - recipients are checked as they come (duplicates, suppression) and kept; every
//     `rows_per_transaction` of them are written as one chunk, a transaction that does nothing but
//     insert them (no reading of the file inside it) and commits without fsync, so it holds the
//     write lock for a millisecond or two; claims and records take turns with it. Between chunks
//     the import checkpoints in 1 MiB steps (each syncs the WAL first), so that a claim's fsync
//     does not pay for megabytes of the import's pages;
//   - until commit() the campaign is marked `importing`: no view, claim or operator command sees
//     it, its counts row and account links do not exist yet;
//   - commit() writes the counts and links and clears the mark in one durable transaction, so the
//     campaign appears whole or not at all;
//   - a failed or abandoned import leaves invisible rows; rollback() deletes them at once, and
//     begin_import() and purge_unfinished_imports() delete those a killed process left behind.
//
// Only one import runs at a time per database (the daemon's import thread): an `importing`
// campaign that is not the caller's own is always one left behind by a failure or a kill.
//
// The campaign reader's sink can call add() directly:
//
//   auto session = begin_import(db, header, file_name, sha256_of_file, now);
//   if (session && !session->already_imported()) {
//     auto problems = read_campaign(sources, accounts, [&](ValidRecipient&& r) { (void)session->add(r); });
//     if (problems.empty()) summary = session->commit(); // else the session rolls back when destroyed
//   }
#include <chrono>
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

struct ImportOptions {
  /// Recipients per transaction: a millisecond or two of inserts on this machine, so a claim that
  /// has to wait for a chunk is late by that much at most (measured in bench/bench_import.cpp).
  std::int64_t rows_per_transaction = 2000;
  /// A pause after each chunk. Other threads of the process take turns (sql::WriteTurns), but
  /// another process (`outreachd pause`, an operator's sqlite3) meets SQLite's lock, whose busy
  /// wait polls with sleeps: without a gap it could miss every one and time out.
  std::chrono::microseconds pause_between_chunks{0};
  /// The daemon's imports: accounts that read their inbox (getxapi, x_api) read it before the
  /// campaign's first claim there, so a "stop" sent since their last read is honoured first
  /// (storage/inbox.hpp). Off for callers with no inbox sync to release the campaign.
  bool read_inbox_first = false;
};

/// An import in progress: the campaign, invisible, and the open chunk's transaction. The
/// destructor rolls back and deletes what was written.
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

  /// Drops everything added (the chunks already written are deleted, in chunks); the campaign does
  /// not exist afterwards. Safe to call twice.
  void rollback() noexcept;

  /// Stops at once without deleting the chunks already written (a daemon shutting down): they stay
  /// invisible, and the next begin_import() or purge_unfinished_imports() deletes them.
  void abandon() noexcept;

  struct State;

 private:
  explicit ImportSession(std::unique_ptr<State> state);
  friend Result<ImportSession> begin_import(Database&, CampaignHeader const&, std::string_view, std::string_view,
                                            TimePoint, ImportOptions);
  std::unique_ptr<State> state_;
};

/// Starts importing a campaign read from `file_name` whose bytes hash to `content_hash` (any
/// stable digest the caller computes). Errors: a campaign of that name with a different hash, an
/// account that is not configured, no accounts, or another write open on this connection. An
/// unfinished import of the same name (left by a kill) is deleted first.
Result<ImportSession> begin_import(Database& db, CampaignHeader const& header, std::string_view file_name,
                                   std::string_view content_hash, TimePoint now, ImportOptions options = {});

/// Deletes every campaign still marked `importing`, in short transactions; returns how many. For
/// the daemon's start, before its first import (no import of its own is running then).
Result<std::int64_t> purge_unfinished_imports(Database& db);

}  // namespace outreach
