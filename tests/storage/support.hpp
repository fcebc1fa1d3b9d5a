#pragma once
// Shared helpers for the storage tests: a temp state directory, a database with accounts, small
// campaigns, raw SQL reads, and the consistency check every test ends with.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/campaign.hpp"
#include "core/time.hpp"
#include "storage/accounts.hpp"
#include "storage/database.hpp"
#include "storage/import.hpp"
#include "storage/queue.hpp"
#include "storage/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace outreach::test {

/// A temp dir that knows where the daemon would keep its database in it.
class TempDir : public testing::TempDir {
 public:
  std::string db_path() const { return database_path(str()); }
};

/// A fixed instant plus `seconds`: tests never read the clock for storage logic.
inline TimePoint at(std::int64_t seconds) { return TimePoint{std::chrono::seconds{1'800'000'000 + seconds}}; }

/// The wall clock, only for the views (they compute "now" in SQL for the operator's sqlite3 shell).
inline TimePoint wall_now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

inline Database open_db(TempDir const& dir) {
  auto db = Database::open(dir.db_path());
  REQUIRE_MESSAGE(db.has_value(), (db ? "" : db.error().message));
  return std::move(*db);
}

inline void add_accounts(Database& db, std::vector<std::string> const& names, int cap = 1000) {
  std::vector<ConfiguredAccount> accounts;
  for (auto const& n : names) accounts.push_back({n, ProviderKind::getxapi, cap});
  auto r = sync_accounts(db, accounts);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
}

inline ValidRecipient rec(std::string username, std::string user_id = {}) {
  std::string text = "Hi " + (username.empty() ? user_id : username);
  return ValidRecipient{std::move(username), std::move(user_id), std::move(text)};
}

struct CampaignSpec {
  std::string name = "c1";
  std::vector<std::string> accounts{"a1"};
  int priority = 0;
  std::optional<TimePoint> start_at{};
  bool dry_run = false;
  std::string hash{};  ///< defaults to "hash-" + name
};

inline CampaignHeader header_of(CampaignSpec const& spec) {
  CampaignHeader h;
  h.name = spec.name;
  h.accounts = spec.accounts;
  h.message = "Hi {{username}}";
  h.priority = spec.priority;
  h.start_at = spec.start_at;
  h.dry_run = spec.dry_run;
  return h;
}

inline ImportSummary import_campaign(Database& db, CampaignSpec const& spec, std::vector<ValidRecipient> const& rows,
                                     TimePoint now = at(0)) {
  auto session =
      begin_import(db, header_of(spec), spec.name + ".json", spec.hash.empty() ? "hash-" + spec.name : spec.hash, now);
  REQUIRE_MESSAGE(session.has_value(), (session ? "" : session.error().message));
  for (auto const& r : rows) {
    auto added = session->add(r);
    REQUIRE_MESSAGE(added.has_value(), (added ? "" : added.error().message));
  }
  auto summary = session->commit();
  REQUIRE_MESSAGE(summary.has_value(), (summary ? "" : summary.error().message));
  return *summary;
}

/// The account's next recipient, which must exist.
inline ClaimedRecipient claim(Database& db, std::string const& account, TimePoint now) {
  auto c = claim_next(db, account, now);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  REQUIRE_MESSAGE(c->has_value(), "nothing to claim for " << account);
  return std::move(**c);
}

/// n recipients u0000, u0001, … in file order.
inline std::vector<ValidRecipient> numbered(int n, std::string const& prefix = "u") {
  std::vector<ValidRecipient> out;
  for (int i = 0; i < n; ++i) {
    auto digits = std::to_string(i);
    out.push_back(rec(prefix + std::string(4 - std::min<std::size_t>(4, digits.size()), '0') + digits));
  }
  return out;
}

/// One integer from a query with no parameters (test-only raw SQL).
inline std::int64_t query_int(Database& db, std::string const& sql) {
  auto stmt = db.connection().prepare(sql);
  REQUIRE_MESSAGE(stmt.has_value(), (stmt ? "" : stmt.error().message));
  auto row = stmt->step("test query");
  REQUIRE_MESSAGE(row.has_value(), (row ? "" : row.error().message));
  REQUIRE(*row);
  return stmt->int64_at(0);
}

inline std::optional<std::string> query_text(Database& db, std::string const& sql) {
  auto stmt = db.connection().prepare(sql);
  REQUIRE_MESSAGE(stmt.has_value(), (stmt ? "" : stmt.error().message));
  auto row = stmt->step("test query");
  REQUIRE_MESSAGE(row.has_value(), (row ? "" : row.error().message));
  if (!*row) return std::nullopt;
  return stmt->optional_text_at(0);
}

/// Rows of text columns (NULL as "NULL").
inline std::vector<std::vector<std::string>> query_rows(Database& db, std::string const& sql) {
  auto stmt = db.connection().prepare(sql);
  REQUIRE_MESSAGE(stmt.has_value(), (stmt ? "" : stmt.error().message));
  std::vector<std::vector<std::string>> out;
  for (;;) {
    auto row = stmt->step("test query");
    REQUIRE_MESSAGE(row.has_value(), (row ? "" : row.error().message));
    if (!*row) return out;
    std::vector<std::string> r;
    for (int c = 0; c < stmt->column_count(); ++c) r.push_back(stmt->optional_text_at(c).value_or("NULL"));
    out.push_back(std::move(r));
  }
}

inline std::string state_of(Database& db, std::string const& username) {
  return query_text(db, "SELECT state FROM recipients WHERE username = '" + username + "'").value_or("<none>");
}

/// The invariants every test (and every crash) must leave intact: SQLite's own integrity check,
/// foreign keys, and campaign_counts equal to the recipients they count.
inline void check_consistent(Database& db) {
  CHECK(query_text(db, "PRAGMA integrity_check").value_or("") == "ok");
  CHECK(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
  CHECK(query_int(db, R"sql(
SELECT count(*) FROM campaign_counts n WHERE
  n.total    != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id) OR
  n.pending  != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'pending') OR
  n.retrying != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'retrying') OR
  n.sending  != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'sending') OR
  n.sent     != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'sent') OR
  n.failed   != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'failed') OR
  n.skipped  != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'skipped') OR
  n.unknown  != (SELECT count(*) FROM recipients r WHERE r.campaign_id = n.campaign_id AND r.state = 'unknown') OR
  (n.finished_at IS NULL) != (n.pending + n.retrying + n.sending > 0))sql") == 0);
  CHECK(query_int(db,
                  "SELECT count(*) FROM campaigns c LEFT JOIN campaign_counts n ON n.campaign_id = c.id "
                  "WHERE n.campaign_id IS NULL") == 0);
  // Each campaign's recipients are exactly its id range (recipient_status walks the ranges).
  CHECK(query_int(db, R"sql(
SELECT count(*) FROM campaigns c WHERE
  (SELECT count(*) FROM recipients r WHERE r.campaign_id = c.id) != max(0, c.last_recipient_id - c.first_recipient_id + 1)
  OR EXISTS (SELECT 1 FROM recipients r WHERE r.campaign_id = c.id
             AND (r.id < c.first_recipient_id OR r.id > c.last_recipient_id)))sql") == 0);
  CHECK(query_int(db, "SELECT count(*) FROM recipient_status") == query_int(db, "SELECT count(*) FROM recipients"));
}

/// The value of a result that must have succeeded (its error message is shown otherwise).
template <class T>
T ok(Result<T>&& r, char const* file, int line) {
  INFO("at " << file << ":" << line);
  REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}
#define REQUIRE_OK(expr) ::outreach::test::ok((expr), __FILE__, __LINE__)

/// The error message of a result that must have failed.
template <class R>
std::string error_of(R const& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

}  // namespace outreach::test
