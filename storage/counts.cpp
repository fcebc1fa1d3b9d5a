#include "storage/counts.hpp"

namespace outreach::detail {

Result<void> move_counts(sql::Connection& conn, std::int64_t campaign_id, RecipientState from, RecipientState to,
                         std::int64_t n, TimePoint now) {
  if (n == 0 || from == to) return {};
  // One statement for every pair of states: each column gains n if it is `to` and loses n if it
  // is `from`. Right-hand sides see the old row, so the "still open" test adds the move itself.
  // (ORs rather than IN lists: an IN list of three constants costs a temporary table per run.)
  auto stmt = conn.prepare(R"sql(
UPDATE campaign_counts SET
  pending  = pending  + ?2 * ((?4 = 'pending')  - (?3 = 'pending')),
  retrying = retrying + ?2 * ((?4 = 'retrying') - (?3 = 'retrying')),
  sending  = sending  + ?2 * ((?4 = 'sending')  - (?3 = 'sending')),
  sent     = sent     + ?2 * ((?4 = 'sent')     - (?3 = 'sent')),
  failed   = failed   + ?2 * ((?4 = 'failed')   - (?3 = 'failed')),
  skipped  = skipped  + ?2 * ((?4 = 'skipped')  - (?3 = 'skipped')),
  unknown  = unknown  + ?2 * ((?4 = 'unknown')  - (?3 = 'unknown')),
  last_sent_at = CASE WHEN ?4 = 'sent' THEN ?5 ELSE last_sent_at END,
  finished_at = CASE
    WHEN pending + retrying + sending
         + ?2 * ((?4 = 'pending' OR ?4 = 'retrying' OR ?4 = 'sending')
                 - (?3 = 'pending' OR ?3 = 'retrying' OR ?3 = 'sending')) = 0
    THEN coalesce(finished_at, ?5) ELSE NULL END
WHERE campaign_id = ?1)sql");
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign_id).bind(2, n).bind(3, to_string(from)).bind(4, to_string(to)).bind(5, now);
  return stmt->run("updating campaign counts");
}

}  // namespace outreach::detail
