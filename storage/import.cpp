#include "storage/import.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/dedup_index.hpp"
#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {

namespace {

// Explicit ids: the import owns the write lock, so base + n is free and a row's id is known
// without asking SQLite — the dedup table stores offsets from `base`, and the campaign's rows are
// exactly the ids [base, base + inserted), which campaigns.first/last_recipient_id record.
constexpr std::string_view kInsertRecipient =
    "INSERT INTO recipients (id, campaign_id, state, reason, username, user_id, text) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// X handles are ASCII and case-insensitive; ids are compared exactly.
std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }

/// Offsets are 32-bit in the dedup table; a campaign this large is refused rather than mishandled.
constexpr std::int64_t kMaxRecipients = 1'000'000'000;

/// Deletes an unfinished import: its recipients a chunk at a time (they are the ids from
/// `first_id` up, the import having been the last to insert), then the campaign row itself.
Result<void> purge_campaign(sql::Connection& conn, std::int64_t campaign_id, std::int64_t first_id) {
  constexpr std::int64_t kRowsPerDelete = 5000;
  std::string const what = "deleting an unfinished import";
  std::int64_t last_id = 0;
  {
    auto last = conn.prepare("SELECT coalesce(max(id), 0) FROM recipients");
    if (!last) return last.error();
    auto row = last->step(what);
    if (!row) return row.error();
    last_id = last->int64_at(0);
  }
  for (std::int64_t from = first_id; from <= last_id; from += kRowsPerDelete) {
    auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
    if (!tx) return tx.error();
    {
      auto del = conn.prepare("DELETE FROM recipients WHERE id >= ?1 AND id < ?2 AND campaign_id = ?3");
      if (!del) return del.error();
      del->bind(1, from).bind(2, from + kRowsPerDelete).bind(3, campaign_id);
      if (auto r = del->run(what); !r) return r;
    }
    if (auto r = tx->commit(what); !r) return r;
  }
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  for (std::string_view sql : {"DELETE FROM campaign_accounts WHERE campaign_id = ?1",
                               "DELETE FROM campaign_counts WHERE campaign_id = ?1",
                               "DELETE FROM campaigns WHERE id = ?1 AND importing = 1"}) {
    auto stmt = conn.prepare(sql);
    if (!stmt) return stmt.error();
    stmt->bind(1, campaign_id);
    if (auto r = stmt->run(what); !r) return r;
  }
  return tx->commit(what);
}

}  // namespace

struct ImportSession::State {
  sql::Connection* conn = nullptr;
  ImportOptions options;
  std::optional<sql::Transaction> tx;  ///< the open chunk; none between chunks
  bool started = false;                ///< the campaign row exists (in a chunk, committed or not)
  bool finished = false;               ///< committed, rolled back or abandoned
  std::string name;
  TimePoint now;
  std::int64_t campaign_id = 0;
  std::vector<std::int64_t> account_ids;
  std::int64_t base_id = 0;          ///< id of the first stored recipient
  std::int64_t added = 0;            ///< recipients offered to add()
  std::int64_t inserted = 0;         ///< distinct recipients stored
  std::int64_t suppressed = 0;       ///< of those, on the suppression list
  bool check_suppression = false;
  /// Rows accepted but not yet written: a chunk's transaction spans only their inserts, never the
  /// reading and checking of the file, so the write lock is held for as short a time as possible.
  struct PendingRow {
    std::string username;
    std::string user_id;
    std::string text;
    bool suppressed = false;
  };
  std::vector<PendingRow> pending;
  std::int64_t written = 0;  ///< rows already inserted (the offsets below it are in the database)
  detail::DedupIndex usernames;
  detail::DedupIndex user_ids;
  std::optional<Error> failure;
  std::optional<ImportSummary> existing;  ///< set when the same file was imported before

  std::string what() const { return "importing campaign '" + name + "'"; }

  /// Ends the open chunk without committing it.
  void drop_chunk() noexcept {
    if (tx) {
      tx->rollback();
      tx.reset();
    }
  }
  /// Rolls back and deletes what the earlier chunks wrote. A failure here (a full disk) leaves
  /// invisible rows for the next begin_import() or purge_unfinished_imports().
  void discard() noexcept {
    drop_chunk();
    if (finished) return;
    finished = true;
    if (!started || existing) return;
    if (auto r = purge_campaign(*conn, campaign_id, base_id); !r && !failure) failure = r.error();
  }
  Error fail(Error e) {
    failure = e;
    return e;
  }

  Result<void> open_chunk() {
    if (tx) return {};
    auto begun = sql::Transaction::begin(*conn, sql::Durability::normal, what());
    if (!begun) return begun.error();
    tx.emplace(std::move(*begun));
    return {};
  }
  /// Without fsync: until the last transaction the campaign is invisible, and a crash's loss of a
  /// chunk is a loss of rows that would be deleted anyway.
  Result<void> close_chunk() {
    if (!tx) return {};
    auto r = tx->commit(what());
    tx.reset();
    return r;
  }

  /// Writes the pending rows as one chunk (its own transaction, without fsync). On failure the
  /// chunk is rolled back at once: the caller may go on reading the file, and must not hold the
  /// write lock (and the event loop's turn) meanwhile.
  Result<void> write_pending() {
    if (auto r = insert_pending(); !r) {
      drop_chunk();
      return r;
    }
    return {};
  }
  Result<void> insert_pending() {
    if (pending.empty()) return {};
    if (auto opened = open_chunk(); !opened) return opened;
    {
      auto stmt = conn->prepare(kInsertRecipient);
      if (!stmt) return stmt.error();
      for (auto const& row : pending) {
        stmt->bind(1, base_id + written).bind(2, campaign_id);
        if (row.suppressed)
          stmt->bind(3, "skipped").bind(4, "suppressed");
        else
          stmt->bind_static(3, "pending").bind_null(4);
        stmt->bind_static_or_null(5, row.username).bind_static_or_null(6, row.user_id).bind_static(7, row.text);
        if (auto res = stmt->run("importing a recipient"); !res) return res;
        ++written;
      }
    }
    if (auto closed = close_chunk(); !closed) return closed;
    pending.clear();
    return {};
  }

  /// Whether the stored row at `offset` has this key (column 0: username, 1: user_id).
  Result<bool> row_has(std::uint32_t offset, int column, std::string_view key) {
    if (static_cast<std::int64_t>(offset) >= written) {
      auto const& row = pending[static_cast<std::size_t>(offset - written)];
      return column == 0 ? ascii_lower(row.username) == key : row.user_id == key;
    }
    auto stmt = conn->prepare("SELECT lower(username), user_id FROM recipients WHERE id = ?1");
    if (!stmt) return stmt.error();
    stmt->bind(1, base_id + offset);
    auto row = stmt->step("checking for a duplicate recipient");
    if (!row) return row.error();
    return *row && !stmt->is_null(column) && stmt->text_at(column) == key;
  }

  Result<bool> is_duplicate(std::string_view username_key, std::string_view user_id) {
    if (!username_key.empty()) {
      auto found = usernames.contains(hash_of(username_key),
                                      [&](std::uint32_t offset) { return row_has(offset, 0, username_key); });
      if (!found || *found) return found;
    }
    if (!user_id.empty()) {
      return user_ids.contains(hash_of(user_id), [&](std::uint32_t offset) { return row_has(offset, 1, user_id); });
    }
    return false;
  }

  Result<bool> is_suppressed(std::string_view username_key, std::string_view user_id) {
    if (!check_suppression) return false;
    auto stmt = conn->prepare(
        "SELECT EXISTS (SELECT 1 FROM suppression WHERE key = ?1) OR "
        "EXISTS (SELECT 1 FROM suppression WHERE key = ?2)");
    if (!stmt) return stmt.error();
    stmt->bind_text_or_null(1, username_key).bind_text_or_null(2, user_id);
    auto row = stmt->step("checking the suppression list");
    if (!row) return row.error();
    return *row && stmt->int_at(0) != 0;
  }
};

ImportSession::ImportSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
ImportSession::ImportSession(ImportSession&& other) noexcept = default;
ImportSession& ImportSession::operator=(ImportSession&& other) noexcept {
  if (this != &other) {
    rollback();
    state_ = std::move(other.state_);
  }
  return *this;
}
ImportSession::~ImportSession() { rollback(); }

bool ImportSession::already_imported() const { return state_ && state_->existing.has_value(); }

void ImportSession::rollback() noexcept {
  if (state_) state_->discard();
}

void ImportSession::abandon() noexcept {
  if (!state_) return;
  state_->drop_chunk();
  state_->finished = true;
}

Result<void> ImportSession::add(ValidRecipient const& r) {
  if (!state_) return make_error("the import session was moved from");
  auto& s = *state_;
  if (s.existing) return {};
  if (s.failure) return *s.failure;
  if (s.finished) return make_error("the import of campaign '" + s.name + "' is already finished");
  ++s.added;
  auto where = [&] { return "campaign '" + s.name + "': recipient " + std::to_string(s.added); };
  if (r.username.empty() && r.user_id.empty())
    return s.fail(make_error(where() + " has neither a username nor a user_id"));
  if (r.text.empty()) return s.fail(make_error(where() + " has an empty message"));
  if (s.inserted >= kMaxRecipients)
    return s.fail(
        make_error("campaign '" + s.name + "' has more than " + std::to_string(kMaxRecipients) + " recipients"));

  std::string const username_key = ascii_lower(r.username);
  auto duplicate = s.is_duplicate(username_key, r.user_id);
  if (!duplicate) return s.fail(duplicate.error());
  if (*duplicate) return {};  // the first occurrence wins; this one is only counted
  auto suppressed = s.is_suppressed(username_key, r.user_id);
  if (!suppressed) return s.fail(suppressed.error());

  auto const offset = static_cast<std::uint32_t>(s.inserted);
  s.pending.push_back({r.username, r.user_id, r.text, *suppressed});
  if (!username_key.empty()) s.usernames.insert(hash_of(username_key), offset);
  if (!r.user_id.empty()) s.user_ids.insert(hash_of(r.user_id), offset);
  ++s.inserted;
  if (*suppressed) ++s.suppressed;
  if (static_cast<std::int64_t>(s.pending.size()) >= s.options.rows_per_transaction) {
    if (auto written = s.write_pending(); !written) return s.fail(written.error());
    // Between chunks no lock is held and no one waits: the WAL is synced and copied back in small
    // steps here (a checkpoint syncs the WAL first), not in the event loop's next durable commit.
    s.conn->checkpoint_if_due();
    if (s.options.pause_between_chunks.count() > 0) std::this_thread::sleep_for(s.options.pause_between_chunks);
  }
  return {};
}

Result<ImportSummary> ImportSession::commit() {
  if (!state_) return make_error("the import session was moved from");
  auto& s = *state_;
  if (s.existing) return *s.existing;
  if (s.failure) {
    s.discard();
    return *s.failure;
  }
  if (s.finished) return make_error("the import of campaign '" + s.name + "' is already finished");
  // discard() rolls back the open transaction (s.tx, ending its write turn) before it purges: the
  // purge's own transactions would otherwise wait for a turn this thread still holds.
  auto fail = [&](Error e) -> Result<ImportSummary> {
    s.failure = e;
    s.discard();
    return e;
  };
  std::string const what = s.what();
  if (auto r = s.write_pending(); !r) return fail(r.error());
  // The last transaction makes the campaign whole and visible at once, durably: the daemon moves
  // the file to accepted/ right after.
  auto begun = sql::Transaction::begin(*s.conn, sql::Durability::full, what);
  if (!begun) return fail(begun.error());
  s.tx.emplace(std::move(*begun));
  {
    auto counts = s.conn->prepare(
        "INSERT INTO campaign_counts (campaign_id, total, pending, skipped, finished_at) "
        "VALUES (?1, ?2, ?3, ?4, CASE WHEN ?3 = 0 THEN ?5 END)");
    if (!counts) return fail(counts.error());
    counts->bind(1, s.campaign_id).bind(2, s.inserted).bind(3, s.inserted - s.suppressed).bind(4, s.suppressed);
    counts->bind(5, s.now);
    if (auto r = counts->run(what); !r) return fail(r.error());
  }
  {
    // An account that reads its inbox reads it before the campaign's first claim there
    // (storage/inbox.hpp); accounts.reads_inbox is core's reads_inbox(). Not one whose inbox
    // reads are refused: no read would come to release the campaign.
    auto link = s.conn->prepare(
        "INSERT INTO campaign_accounts (account_id, campaign_id, inbox_read_needed) "
        "SELECT ?1, ?2, ?3 AND reads_inbox = 1 AND "
        "NOT EXISTS (SELECT 1 FROM inbox_state WHERE account_id = ?1 AND off_reason IS NOT NULL) "
        "FROM accounts WHERE id = ?1");
    if (!link) return fail(link.error());
    for (auto id : s.account_ids) {
      link->bind(1, id).bind(2, s.campaign_id).bind(3, s.options.read_inbox_first);
      if (auto r = link->run(what); !r) return fail(r.error());
    }
  }
  {
    // The campaign's id range (empty when nothing was stored): recipient_status walks it.
    auto range = s.conn->prepare(
        "UPDATE campaigns SET first_recipient_id = ?2, last_recipient_id = ?3, importing = 0 WHERE id = ?1");
    if (!range) return fail(range.error());
    range->bind(1, s.campaign_id).bind(2, s.base_id).bind(3, s.base_id + s.inserted - 1);
    if (auto r = range->run(what); !r) return fail(r.error());
  }
  if (auto r = s.tx->commit(what); !r) return fail(r.error());
  s.tx.reset();
  s.finished = true;
  // The dedup tables are no longer needed; give their memory back now.
  s.usernames = {};
  s.user_ids = {};
  return ImportSummary{s.campaign_id, false, s.inserted, s.added - s.inserted, s.suppressed};
}

namespace {

Result<ImportSummary> existing_summary(sql::Connection& conn, std::int64_t campaign_id) {
  auto stmt = conn.prepare("SELECT total FROM campaign_counts WHERE campaign_id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign_id);
  auto row = stmt->step("reading an imported campaign");
  if (!row) return row.error();
  ImportSummary summary;
  summary.campaign_id = campaign_id;
  summary.already_imported = true;
  if (*row) summary.total = stmt->int64_at(0);
  return summary;
}

Result<std::int64_t> next_recipient_id(sql::Connection& conn) {
  auto stmt = conn.prepare("SELECT coalesce(max(id), 0) + 1 FROM recipients");
  if (!stmt) return stmt.error();
  auto row = stmt->step("reading the next recipient id");
  if (!row) return row.error();
  return stmt->int64_at(0);
}

Result<bool> suppression_list_empty(sql::Connection& conn) {
  auto stmt = conn.prepare("SELECT NOT EXISTS (SELECT 1 FROM suppression)");
  if (!stmt) return stmt.error();
  auto row = stmt->step("reading the suppression list");
  if (!row) return row.error();
  return stmt->int_at(0) != 0;
}

struct ExistingCampaign {
  std::int64_t id = 0;
  std::string content_hash;
  std::string file_name;
  bool importing = false;
  std::int64_t first_recipient_id = 0;
};

Result<std::optional<ExistingCampaign>> campaign_named(sql::Connection& conn, std::string_view name,
                                                       std::string_view what) {
  auto stmt = conn.prepare(
      "SELECT id, content_hash, file_name, importing, first_recipient_id FROM campaigns WHERE name = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, name);
  auto row = stmt->step(what);
  if (!row) return row.error();
  if (!*row) return std::optional<ExistingCampaign>{};
  return std::optional<ExistingCampaign>{
      ExistingCampaign{stmt->int64_at(0), stmt->text_at(1), stmt->text_at(2), stmt->int_at(3) != 0, stmt->int64_at(4)}};
}

}  // namespace

Result<std::int64_t> purge_unfinished_imports(Database& db) {
  auto& conn = db.connection();
  std::vector<std::pair<std::int64_t, std::int64_t>> unfinished;
  {
    auto stmt = conn.prepare("SELECT id, first_recipient_id FROM campaigns WHERE importing = 1");
    if (!stmt) return stmt.error();
    for (;;) {
      auto row = stmt->step("listing unfinished imports");
      if (!row) return row.error();
      if (!*row) break;
      unfinished.emplace_back(stmt->int64_at(0), stmt->int64_at(1));
    }
  }
  for (auto const& [id, first] : unfinished)
    if (auto r = purge_campaign(conn, id, first); !r) return r.error();
  return static_cast<std::int64_t>(unfinished.size());
}

Result<ImportSession> begin_import(Database& db, CampaignHeader const& header, std::string_view file_name,
                                   std::string_view content_hash, TimePoint now, ImportOptions options) {
  auto& conn = db.connection();
  std::string const what = "importing campaign '" + header.name + "'";
  if (header.name.empty()) return make_error("cannot import a campaign with an empty name");
  if (content_hash.empty()) return make_error(what + " failed: no content hash was given");
  if (conn.in_transaction())
    return make_error(what + " failed: another write is still open on this database connection");

  auto state = std::make_unique<ImportSession::State>();
  state->conn = &conn;
  state->options = options;
  state->options.rows_per_transaction = std::max<std::int64_t>(1, options.rows_per_transaction);
  state->name = header.name;
  state->now = now;
  // From here on, every early return destroys the session, which rolls back.
  auto session = ImportSession(std::move(state));
  auto& s = *session.state_;

  // An existing campaign: the same file again is a no-op, a different one is refused, and one
  // left unfinished by a kill is deleted. Checked in the first chunk's transaction, which also
  // creates the campaign, so the name cannot be taken in between.
  for (;;) {
    if (auto opened = s.open_chunk(); !opened) return opened.error();
    auto existing = campaign_named(conn, header.name, what);
    if (!existing) return existing.error();
    if (!*existing) break;
    if ((*existing)->importing) {
      s.drop_chunk();
      if (auto r = purge_campaign(conn, (*existing)->id, (*existing)->first_recipient_id); !r) return r.error();
      continue;
    }
    if ((*existing)->content_hash != content_hash)
      return make_error("campaign '" + header.name + "' already exists (imported from " + (*existing)->file_name +
                        ") with different content; give the new campaign another name");
    auto summary = existing_summary(conn, (*existing)->id);
    if (!summary) return summary.error();
    s.drop_chunk();
    s.finished = true;
    s.existing = *summary;
    return session;
  }

  if (header.accounts.empty()) return make_error("campaign '" + header.name + "' names no accounts");
  std::set<std::int64_t> account_ids;
  for (auto const& name : header.accounts) {
    auto account = detail::find_account(conn, name);
    if (!account || !account->configured)
      return make_error("campaign '" + header.name + "' names account '" + name + "', which is not configured");
    account_ids.insert(account->id);
  }
  s.account_ids.assign(account_ids.begin(), account_ids.end());

  auto base = next_recipient_id(conn);
  if (!base) return base.error();
  s.base_id = *base;
  {
    auto insert = conn.prepare(
        "INSERT INTO campaigns (name, file_name, content_hash, message, priority, start_at, dry_run, created_at, "
        "first_recipient_id, last_recipient_id, importing) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 - 1, 1)");
    if (!insert) return insert.error();
    insert->bind(1, header.name).bind(2, file_name).bind(3, content_hash).bind(4, header.message);
    insert->bind(5, header.priority).bind(6, header.start_at).bind(7, header.dry_run).bind(8, now);
    insert->bind(9, s.base_id);
    if (auto r = insert->run(what); !r) return r.error();
  }
  s.campaign_id = conn.last_insert_rowid();
  s.started = true;

  auto empty = suppression_list_empty(conn);
  if (!empty) return empty.error();
  s.check_suppression = !*empty;
  // The campaign row, invisible: committed now, so no lock is held while the file is read.
  if (auto r = s.close_chunk(); !r) return r.error();
  return session;
}

}  // namespace outreach
