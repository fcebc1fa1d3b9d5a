// recover_in_doubt (declared in storage/queue.hpp): the start-up half of crash safety
// (docs/send-rules.md#crash-recovery).
#include <vector>

#include "core/daily_cap.hpp"
#include "storage/counts.hpp"
#include "storage/queue.hpp"
#include "storage/sqlite.hpp"

namespace outreach {

Result<std::int64_t> recover_in_doubt(Database& db, StateLock const& lock, TimePoint now) {
  if (!lock.guards(db))
    return make_error("recovering in-doubt sends needs the lock of the database's own state directory; " + db.path() +
                      " is not in " + lock.state_dir());
  auto& conn = db.connection();
  constexpr std::string_view what = "recovering in-doubt sends";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();

  // Found through the small `sending` index rather than the counters, so recovery trusts only
  // the recipients themselves.
  std::vector<std::int64_t> campaigns;
  {
    auto stmt = conn.prepare("SELECT DISTINCT campaign_id FROM recipients WHERE state = 'sending'");
    if (!stmt) return stmt.error();
    for (;;) {
      auto row = stmt->step(what);
      if (!row) return row.error();
      if (!*row) break;
      campaigns.push_back(stmt->int64_at(0));
    }
  }

  constexpr std::string_view kText = "the daemon stopped while this send was in flight; the DM may have been delivered";
  std::int64_t total = 0;
  for (auto const campaign_id : campaigns) {
    // The attempt may have reached the provider: it is kept, and it counts toward the cap at the
    // time it was claimed (docs/send-rules.md#daily-cap: attempts whose outcome is unknown count).
    auto attempt = conn.prepare(R"sql(
INSERT INTO attempts (recipient_id, account_id, at, kind, outcome, error_class, error)
SELECT id, claimed_by, claimed_at, 'send', 'unknown', 'in_doubt', ?2
FROM recipients WHERE campaign_id = ?1 AND state = 'sending' AND claimed_by IS NOT NULL)sql");
    if (!attempt) return attempt.error();
    attempt->bind(1, campaign_id).bind(2, kText);
    if (auto r = attempt->run(what); !r) return r.error();

    auto ledger = conn.prepare(R"sql(
INSERT OR IGNORE INTO send_ledger (account_id, at, recipient_id)
SELECT claimed_by, claimed_at, id
FROM recipients WHERE campaign_id = ?1 AND state = 'sending' AND claimed_by IS NOT NULL AND claimed_at > ?2)sql");
    if (!ledger) return ledger.error();
    ledger->bind(1, campaign_id).bind(2, now - kCapWindow);
    if (auto r = ledger->run(what); !r) return r.error();

    // Accounts that read their inbox check these rows against their sent messages
    // (docs/send-rules.md#the-inbox); accounts.reads_inbox is core's reads_inbox().
    auto check = conn.prepare(R"sql(
INSERT OR REPLACE INTO inbox_checks (recipient_id, account_id, started_at, settled_at, text, retry_at, may_requeue)
SELECT r.id, r.claimed_by, r.claimed_at, ?2, r.text, NULL, 1
FROM recipients r JOIN accounts a ON a.id = r.claimed_by
WHERE r.campaign_id = ?1 AND r.state = 'sending' AND a.reads_inbox = 1)sql");
    if (!check) return check.error();
    // When the request went out is unknown: between the claim and now. The window opens at the
    // claim; an empty read proves nothing until reconcile_after after now.
    check->bind(1, campaign_id).bind(2, now);
    if (auto r = check->run(what); !r) return r.error();

    auto update = conn.prepare(R"sql(
UPDATE recipients SET state = 'unknown', reason = 'in_doubt', attempts = attempts + 1,
                      last_http_status = NULL, last_error = ?2
WHERE campaign_id = ?1 AND state = 'sending')sql");
    if (!update) return update.error();
    update->bind(1, campaign_id).bind(2, kText);
    if (auto r = update->run(what); !r) return r.error();
    std::int64_t const n = conn.changes();
    if (auto r = detail::move_counts(conn, campaign_id, RecipientState::sending, RecipientState::unknown, n, now); !r)
      return r.error();
    total += n;
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return total;
}

}  // namespace outreach
