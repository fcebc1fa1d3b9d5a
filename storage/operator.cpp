#include "storage/operator.hpp"

#include "storage/counts.hpp"
#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

Error cancelled_error(std::string_view campaign, std::string_view action) {
  return make_error("campaign '" + std::string(campaign) + "' is cancelled; it cannot be " + std::string(action));
}

/// Sets campaigns.control, refusing to leave `cancelled`.
Result<void> set_control(Database& db, std::string_view campaign, std::string_view control, std::string_view action,
                         bool read_inbox_first = false) {
  auto& conn = db.connection();
  std::string const what = "changing campaign '" + std::string(campaign) + "'";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto found = detail::find_campaign(conn, campaign);
  if (!found) return found.error();
  if (found->control == "cancelled") return cancelled_error(campaign, action);
  // paused_reason: the operator's pause; budgets and failure rates (later) pause with their own.
  auto stmt = conn.prepare(
      "UPDATE campaigns SET control = ?2, paused_reason = CASE WHEN ?2 = 'paused' THEN 'operator' END WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, found->id).bind(2, control);
  if (auto r = stmt->run(what); !r) return r;
  if (read_inbox_first) {
    auto hold = conn.prepare(R"sql(
UPDATE campaign_accounts SET inbox_read_needed = 1
WHERE campaign_id = ?1 AND account_id IN (SELECT id FROM accounts WHERE reads_inbox = 1)
  AND account_id NOT IN (SELECT account_id FROM inbox_state WHERE off_reason IS NOT NULL))sql");
    if (!hold) return hold.error();
    hold->bind(1, found->id);
    if (auto r = hold->run(what); !r) return r;
  }
  return tx->commit(what);
}

}  // namespace

Result<std::int64_t> retry_campaign(Database& db, std::string_view campaign, bool include_unknown, TimePoint now) {
  auto& conn = db.connection();
  std::string const what = "retrying campaign '" + std::string(campaign) + "'";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto found = detail::find_campaign(conn, campaign);
  if (!found) return found.error();
  if (found->control == "cancelled") return cancelled_error(campaign, "retried");

  std::int64_t total = 0;
  // The repeated state test is recipients_failures' own WHERE, which lets the planner use that
  // partial index: only failed and unknown rows are visited, not the whole campaign.
  auto requeue = [&](std::string_view sql, RecipientState from) -> Result<void> {
    auto stmt = conn.prepare(sql);
    if (!stmt) return stmt.error();
    stmt->bind(1, found->id);
    if (auto r = stmt->run(what); !r) return r;
    std::int64_t const n = conn.changes();
    total += n;
    return detail::move_counts(conn, found->id, from, RecipientState::pending, n, now);
  };
  if (auto r = requeue(R"sql(
UPDATE recipients SET state = 'pending', reason = NULL, attempts = 0, next_attempt_at = NULL
WHERE campaign_id = ?1 AND (state = 'failed' OR state = 'unknown' OR state = 'retrying') AND state = 'failed')sql",
                       RecipientState::failed);
      !r)
    return r.error();
  if (include_unknown) {
    if (auto r = requeue(R"sql(
UPDATE recipients SET state = 'pending', reason = NULL, attempts = 0, next_attempt_at = NULL
WHERE campaign_id = ?1 AND (state = 'failed' OR state = 'unknown' OR state = 'retrying') AND state = 'unknown')sql",
                         RecipientState::unknown);
        !r)
      return r.error();
    // The operator decided for these: their inbox checks, about attempts now forgotten, go.
    auto drop = conn.prepare(R"sql(
DELETE FROM inbox_checks WHERE recipient_id IN
  (SELECT k.recipient_id FROM inbox_checks k JOIN recipients r ON r.id = k.recipient_id
   WHERE r.campaign_id = ?1 AND r.state = 'pending'))sql");
    if (!drop) return drop.error();
    drop->bind(1, found->id);
    if (auto r = drop->run(what); !r) return r.error();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return total;
}

Result<void> pause_campaign(Database& db, std::string_view campaign) {
  return set_control(db, campaign, "paused", "paused");
}

Result<void> resume_campaign(Database& db, std::string_view campaign, bool read_inbox_first) {
  return set_control(db, campaign, "active", "resumed", read_inbox_first);
}

Result<std::int64_t> cancel_campaign(Database& db, std::string_view campaign, TimePoint now) {
  auto& conn = db.connection();
  std::string const what = "cancelling campaign '" + std::string(campaign) + "'";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto found = detail::find_campaign(conn, campaign);
  if (!found) return found.error();
  auto control = conn.prepare("UPDATE campaigns SET control = 'cancelled' WHERE id = ?1");
  if (!control) return control.error();
  control->bind(1, found->id);
  if (auto r = control->run(what); !r) return r.error();

  std::int64_t total = 0;
  auto skip = [&](std::string_view sql, RecipientState from) -> Result<void> {
    auto stmt = conn.prepare(sql);
    if (!stmt) return stmt.error();
    stmt->bind(1, found->id);
    if (auto r = stmt->run(what); !r) return r;
    std::int64_t const n = conn.changes();
    total += n;
    return detail::move_counts(conn, found->id, from, RecipientState::skipped, n, now);
  };
  if (auto r = skip("UPDATE recipients SET state = 'skipped', reason = 'cancelled' "
                    "WHERE campaign_id = ?1 AND state = 'pending'",
                    RecipientState::pending);
      !r)
    return r.error();
  if (auto r = skip("UPDATE recipients SET state = 'skipped', reason = 'cancelled', next_attempt_at = NULL "
                    "WHERE campaign_id = ?1 AND state = 'retrying'",
                    RecipientState::retrying);
      !r)
    return r.error();
  if (auto r = tx->commit(what); !r) return r.error();
  return total;
}

Result<std::string> suppression_key(std::string_view text) {
  auto const is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '@') text.remove_prefix(1);
  if (text.empty()) return make_error("an empty name cannot be suppressed");
  std::string key;
  key.reserve(text.size());
  for (char c : text) {
    auto const u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f)
      return make_error("'" + std::string(text) +
                        "' is not a username or user id (it contains a space or control character)");
    key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return key;
}

Result<std::int64_t> suppress(Database& db, std::span<const std::string> users, TimePoint now) {
  std::vector<std::string> keys;
  keys.reserve(users.size());
  for (auto const& u : users) {
    auto key = suppression_key(u);
    if (!key) return key.error();
    keys.push_back(std::move(*key));
  }
  auto& conn = db.connection();
  constexpr std::string_view what = "adding to the suppression list";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto stmt = conn.prepare("INSERT OR IGNORE INTO suppression (key, added_at) VALUES (?1, ?2)");
  if (!stmt) return stmt.error();
  std::int64_t added = 0;
  for (auto const& key : keys) {
    stmt->bind(1, key).bind(2, now);
    if (auto r = stmt->run(what); !r) return r.error();
    added += conn.changes();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return added;
}

Result<bool> is_suppressed(Database& db, std::string_view username_or_id) {
  auto key = suppression_key(username_or_id);
  if (!key) return key.error();
  auto stmt = db.connection().prepare("SELECT EXISTS (SELECT 1 FROM suppression WHERE key = ?1)");
  if (!stmt) return stmt.error();
  stmt->bind(1, *key);
  auto row = stmt->step("reading the suppression list");
  if (!row) return row.error();
  return *row && stmt->int_at(0) != 0;
}

}  // namespace outreach
