#include "storage/inbox.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/opt_out.hpp"
#include "core/reply_attribution.hpp"
#include "storage/counts.hpp"
#include "storage/lookups.hpp"
#include "storage/operator.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

std::string const kNotDelivered =
    "the account's sent messages hold no such DM: it was not delivered (`outreachd retry --include-unknown` "
    "sends it again)";
std::string const kRequeuedText = "the account's sent messages hold no such DM: it was not delivered; sending again";
std::string const kBeyondHistory =
    "the DM may have been delivered; it is too old to be checked against the account's sent messages";

template <class T>
T max_of(std::optional<T> const& a, std::optional<T> const& b, T fallback) {
  if (a && b) return std::max(*a, *b);
  return a ? *a : b ? *b : fallback;
}

Result<std::optional<TimePoint>> optional_time(sql::Connection& conn, std::string_view query, std::int64_t account_id,
                                               std::string_view what) {
  auto stmt = conn.prepare(query);
  if (!stmt) return stmt.error();
  stmt->bind(1, account_id);
  auto row = stmt->step(what);
  if (!row) return row.error();
  if (!*row) return std::optional<TimePoint>{};
  return stmt->optional_time_at(0);
}

/// The row a check is about, as it is now.
struct CheckedRow {
  std::int64_t recipient_id = 0;
  std::int64_t campaign_id = 0;
  RecipientState state = RecipientState::pending;
  std::string user_id;
  TimePoint started_at;
  std::string text;
  std::optional<TimePoint> retry_at;
  bool may_requeue = true;
};

Result<std::vector<CheckedRow>> open_checks(sql::Connection& conn, std::int64_t account_id) {
  auto stmt = conn.prepare(R"sql(
SELECT k.recipient_id, r.campaign_id, r.state, coalesce(r.user_id, r.resolved_user_id), k.started_at, k.text,
       k.retry_at, k.may_requeue
FROM inbox_checks k JOIN recipients r ON r.id = k.recipient_id
WHERE k.account_id = ?1
ORDER BY k.started_at, k.recipient_id)sql");
  if (!stmt) return stmt.error();
  stmt->bind(1, account_id);
  std::vector<CheckedRow> out;
  for (;;) {
    auto row = stmt->step("reading the open inbox checks");
    if (!row) return row.error();
    if (!*row) return out;
    CheckedRow c;
    c.recipient_id = stmt->int64_at(0);
    c.campaign_id = stmt->int64_at(1);
    c.state = parse_recipient_state(stmt->text_at(2)).value_or(RecipientState::pending);
    c.user_id = stmt->text_at(3);
    c.started_at = stmt->time_at(4);
    c.text = stmt->text_at(5);
    c.retry_at = stmt->optional_time_at(6);
    c.may_requeue = stmt->int_at(7) != 0;
    out.push_back(std::move(c));
  }
}

Result<void> drop_check(sql::Connection& conn, std::int64_t recipient_id, std::string_view what) {
  auto stmt = conn.prepare("DELETE FROM inbox_checks WHERE recipient_id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, recipient_id);
  return stmt->run(what);
}

/// Moves one row from `from` to `to` with the given column changes, keeping the counts in step.
Result<void> settle_row(sql::Connection& conn, CheckedRow const& c, RecipientState to, std::string_view sql,
                        auto&& bind, TimePoint now, std::string_view what) {
  auto stmt = conn.prepare(sql);
  if (!stmt) return stmt.error();
  stmt->bind(1, c.recipient_id).bind(2, to_string(c.state));
  bind(*stmt);
  if (auto r = stmt->run(what); !r) return r;
  if (conn.changes() != 1) return {};
  return detail::move_counts(conn, c.campaign_id, c.state, to, 1, now);
}

/// A held retry (after a server error) goes ahead at the time it was due.
Result<bool> release_retry(sql::Connection& conn, CheckedRow const& c, TimePoint now, std::string_view what) {
  if (c.state != RecipientState::retrying) return false;
  auto stmt = conn.prepare(
      "UPDATE recipients SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'retrying' AND next_attempt_at IS NULL");
  if (!stmt) return stmt.error();
  stmt->bind(1, c.recipient_id).bind(2, c.retry_at.value_or(now));
  if (auto r = stmt->run(what); !r) return r.error();
  return conn.changes() == 1;
}

/// Message ids already confirmed for (or returned by the sends to) these users: one message
/// confirms one attempt.
Result<std::vector<std::string>> used_message_ids(sql::Connection& conn, std::set<std::string> const& users) {
  std::vector<std::string> out;
  // The state test is recipients_contacted's WHERE, so the lookup by user id uses that index.
  auto stmt = conn.prepare(R"sql(
SELECT message_id FROM recipients
WHERE coalesce(user_id, resolved_user_id) = ?1 AND message_id IS NOT NULL
  AND (state = 'sending' OR state = 'retrying' OR state = 'sent' OR state = 'unknown'))sql");
  if (!stmt) return stmt.error();
  for (auto const& u : users) {
    stmt->bind(1, u);
    for (;;) {
      auto row = stmt->step("reading the message ids already matched");
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(stmt->text_at(0));
    }
  }
  return out;
}

/// Settles the account's open checks against the walk's outgoing messages.
Result<void> reconcile_checks(sql::Connection& conn, std::int64_t account_id, InboxWalk const& walk,
                              InboxRules const& rules, TimePoint now, InboxApplied& applied) {
  constexpr std::string_view what = "settling in-doubt sends";
  auto checks = open_checks(conn, account_id);
  if (!checks) return checks.error();
  if (checks->empty()) return {};

  std::vector<InDoubtAttempt> attempts;
  std::set<std::string> users;
  std::map<std::int64_t, CheckedRow const*> by_id;
  for (auto const& c : *checks) {
    by_id[c.recipient_id] = &c;
    attempts.push_back({c.recipient_id, c.user_id, c.started_at, c.text});
    if (!c.user_id.empty()) users.insert(c.user_id);
  }
  std::vector<OutgoingMessage> sent;
  for (auto const& m : walk.messages)
    if (m.sender_id == walk.own_user_id && users.contains(m.recipient_id))
      sent.push_back({m.id, m.recipient_id, m.created_at, m.text});
  auto used = used_message_ids(conn, users);
  if (!used) return used.error();

  auto verdicts = reconcile(attempts, sent, *used, walk.coverage, rules.limits, now);
  for (auto const& v : verdicts) {
    CheckedRow const& c = *by_id.at(v.attempt_id);
    if (std::holds_alternative<verdict::Undecided>(v.verdict)) {
      ++applied.open_checks;
      continue;
    }
    if (c.state == RecipientState::sending) {  // claimed again meanwhile (an operator's retry): later
      ++applied.open_checks;
      continue;
    }
    bool const open_row = c.state == RecipientState::unknown || c.state == RecipientState::retrying;
    if (auto const* found = std::get_if<verdict::Confirmed>(&v.verdict); found && open_row) {
      auto r = settle_row(conn, c, RecipientState::sent, R"sql(
UPDATE recipients SET state = 'sent', reason = 'reconciled', next_attempt_at = NULL, message_id = ?3, sent_at = ?4,
                      last_error = NULL
WHERE id = ?1 AND state = ?2)sql",
                          [&](sql::Stmt& s) { s.bind(3, found->message_id).bind(4, found->created_at); }, now, what);
      if (!r) return r;
      ++applied.confirmed;
    } else if (std::holds_alternative<verdict::Absent>(v.verdict) && open_row) {
      ++applied.absent;
      if (c.state == RecipientState::retrying) {
        auto released = release_retry(conn, c, now, what);
        if (!released) return released.error();
        applied.retries_released += *released ? 1 : 0;
      } else if (rules.requeue_unconfirmed && c.may_requeue) {
        auto r = settle_row(conn, c, RecipientState::retrying, R"sql(
UPDATE recipients SET state = 'retrying', reason = 'in_doubt', next_attempt_at = ?3, last_error = ?4
WHERE id = ?1 AND state = ?2)sql",
                            [&](sql::Stmt& s) { s.bind(3, now).bind(4, kRequeuedText); }, now, what);
        if (!r) return r;
        ++applied.requeued;
      } else {
        auto stmt = conn.prepare("UPDATE recipients SET last_error = ?2 WHERE id = ?1 AND state = 'unknown'");
        if (!stmt) return stmt.error();
        stmt->bind(1, c.recipient_id).bind(2, kNotDelivered);
        if (auto r = stmt->run(what); !r) return r;
      }
    } else if (std::holds_alternative<verdict::BeyondHistory>(v.verdict) && open_row) {
      ++applied.beyond_history;
      if (c.state == RecipientState::retrying) {
        auto released = release_retry(conn, c, now, what);
        if (!released) return released.error();
        applied.retries_released += *released ? 1 : 0;
      } else {
        auto stmt = conn.prepare("UPDATE recipients SET last_error = ?2 WHERE id = ?1 AND state = 'unknown'");
        if (!stmt) return stmt.error();
        stmt->bind(1, c.recipient_id).bind(2, kBeyondHistory);
        if (auto r = stmt->run(what); !r) return r;
      }
    }
    // Settled, or the row left the states a check is about (an operator retried or cancelled it).
    if (auto r = drop_check(conn, c.recipient_id, what); !r) return r;
  }
  return {};
}

/// The rows of `user_id` that the account reached (or may have), one per campaign.
struct ReachedRow {
  std::int64_t recipient_id = 0;
  std::int64_t campaign_id = 0;
  std::string message_id;
  TimePoint sent_at;
  bool replied = false;
  std::string username;
};

Result<std::vector<ReachedRow>> rows_reached(sql::Connection& conn, std::int64_t account_id, std::string const& user_id) {
  auto stmt = conn.prepare(R"sql(
SELECT id, campaign_id, message_id, coalesce(sent_at, claimed_at), replied_at IS NOT NULL, username, claimed_by, state
FROM recipients
WHERE coalesce(user_id, resolved_user_id) = ?1
  AND (state = 'sending' OR state = 'retrying' OR state = 'sent' OR state = 'unknown'))sql");
  if (!stmt) return stmt.error();
  stmt->bind(1, user_id);
  std::vector<ReachedRow> out;
  for (;;) {
    auto row = stmt->step("finding the campaigns that reached a user");
    if (!row) return row.error();
    if (!*row) return out;
    if (stmt->is_null(6) || stmt->int64_at(6) != account_id) continue;
    std::string const state = stmt->text_at(7);
    if (state != "sent" && state != "unknown") continue;
    out.push_back({stmt->int64_at(0), stmt->int64_at(1), stmt->text_at(2), stmt->time_at(3), stmt->int_at(4) != 0,
                   stmt->text_at(5)});
  }
}

/// An opt-out: the user joins the suppression list, and their queued rows in every campaign are
/// skipped at once. Campaigns are walked by id range (there is no index on a pending row's user).
Result<void> opt_out(sql::Connection& conn, std::string const& user_id, std::string const& username, TimePoint now,
                     InboxApplied& applied) {
  constexpr std::string_view what = "recording an opt-out";
  {
    auto add = conn.prepare("INSERT OR IGNORE INTO suppression (key, added_at, source) VALUES (?1, ?2, 'opt_out')");
    if (!add) return add.error();
    add->bind(1, user_id).bind(2, now);
    if (auto r = add->run(what); !r) return r;
    applied.opt_outs += conn.changes();
  }
  std::vector<std::int64_t> campaigns;
  {
    auto list = conn.prepare(
        "SELECT c.id FROM campaigns c JOIN campaign_counts n ON n.campaign_id = c.id "
        "WHERE c.importing = 0 AND n.pending + n.retrying > 0");
    if (!list) return list.error();
    for (;;) {
      auto row = list->step(what);
      if (!row) return row.error();
      if (!*row) break;
      campaigns.push_back(list->int64_at(0));
    }
  }
  std::string key;
  if (auto k = suppression_key(username); k) key = std::move(*k);
  for (auto const campaign_id : campaigns) {
    for (RecipientState from : {RecipientState::pending, RecipientState::retrying}) {
      auto stmt = conn.prepare(R"sql(
UPDATE recipients SET state = 'skipped', reason = 'suppressed', next_attempt_at = NULL,
                      last_error = 'the user opted out in a reply'
WHERE id BETWEEN (SELECT first_recipient_id FROM campaigns WHERE id = ?1)
             AND (SELECT last_recipient_id FROM campaigns WHERE id = ?1)
  AND campaign_id = ?1 AND state = ?2
  AND (coalesce(user_id, resolved_user_id) = ?3 OR (?4 IS NOT NULL AND lower(username) = ?4)))sql");
      if (!stmt) return stmt.error();
      stmt->bind(1, campaign_id).bind(2, to_string(from)).bind(3, user_id).bind_text_or_null(4, key);
      if (auto r = stmt->run(what); !r) return r;
      std::int64_t const n = conn.changes();
      applied.rows_suppressed += n;
      if (auto r = detail::move_counts(conn, campaign_id, from, RecipientState::skipped, n, now); !r) return r;
    }
  }
  return {};
}

/// A new message from `m.sender_id` to the account: a reply when it answers one of its campaigns.
Result<void> record_if_reply(sql::Connection& conn, std::int64_t account_id, InboxMessage const& m,
                             InboxRules const& rules, TimePoint now, InboxApplied& applied) {
  constexpr std::string_view what = "recording a reply";
  auto reached = rows_reached(conn, account_id, m.sender_id);
  if (!reached) return reached.error();
  if (reached->empty()) return {};  // not a recipient of this account: nothing of it is kept
  std::vector<CampaignFirstMessage> firsts;
  for (auto const& r : *reached) firsts.push_back({r.campaign_id, r.message_id, r.sent_at});
  auto campaign = attribute_reply(ReplyMessage{m.id, m.created_at}, firsts);
  if (!campaign) return {};
  auto const row = std::find_if(reached->begin(), reached->end(),
                                [&](ReachedRow const& r) { return r.campaign_id == *campaign; });

  auto keep = conn.prepare(R"sql(
INSERT INTO replies_kept (account_id, campaign_id, recipient_id, user_id, message_id, received_at, text)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");
  if (!keep) return keep.error();
  keep->bind(1, account_id).bind(2, row->campaign_id).bind(3, row->recipient_id).bind(4, m.sender_id);
  keep->bind(5, m.id).bind(6, m.created_at).bind(7, m.text);
  if (auto r = keep->run(what); !r) return r;
  ++applied.replies;

  if (!row->replied) {
    auto mark = conn.prepare("UPDATE recipients SET replied_at = ?2 WHERE id = ?1 AND replied_at IS NULL");
    if (!mark) return mark.error();
    mark->bind(1, row->recipient_id).bind(2, m.created_at);
    if (auto r = mark->run(what); !r) return r;
    if (conn.changes() == 1) {
      auto count = conn.prepare("UPDATE campaign_counts SET replied = replied + 1 WHERE campaign_id = ?1");
      if (!count) return count.error();
      count->bind(1, row->campaign_id);
      if (auto r = count->run(what); !r) return r;
    }
  }
  if (is_opt_out(m.text, rules.opt_out_keywords)) return opt_out(conn, m.sender_id, row->username, now, applied);
  return {};
}

Result<std::int64_t> release_waiting_campaigns(sql::Connection& conn, std::int64_t account_id, TimePoint now) {
  // Only campaigns that are active now: a scheduled one is read for again when its time comes.
  auto stmt = conn.prepare(R"sql(
UPDATE campaign_accounts SET inbox_read_needed = 0
WHERE account_id = ?1 AND inbox_read_needed = 1
  AND campaign_id IN (SELECT id FROM campaigns WHERE control = 'active' AND coalesce(start_at, 0) <= ?2))sql");
  if (!stmt) return stmt.error();
  stmt->bind(1, account_id).bind(2, now);
  if (auto r = stmt->run("releasing campaigns that waited for an inbox read"); !r) return r.error();
  return conn.changes();
}

}  // namespace

Result<InboxAccountFacts> inbox_account_facts(Database& db, std::string_view account, TimePoint now,
                                              std::optional<TimePoint> last_complete_read, Duration reconcile_after) {
  auto& conn = db.connection();
  constexpr std::string_view what = "reading the account's inbox state";
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  InboxAccountFacts facts;
  {
    auto stmt = conn.prepare(R"sql(
SELECT EXISTS (SELECT 1 FROM campaign_accounts ca JOIN campaigns c ON c.id = ca.campaign_id
               JOIN campaign_counts n ON n.campaign_id = c.id
               WHERE ca.account_id = ?1 AND c.importing = 0 AND c.control <> 'cancelled'
                 AND n.pending + n.retrying + n.sending + n.waiting > 0))sql");
    if (!stmt) return stmt.error();
    stmt->bind(1, *account_id);
    auto row = stmt->step(what);
    if (!row) return row.error();
    facts.has_unfinished_campaign = *row && stmt->int_at(0) != 0;
  }
  auto ledger = optional_time(conn, "SELECT max(at) FROM send_ledger WHERE account_id = ?1", *account_id, what);
  if (!ledger) return ledger.error();
  auto read_back = optional_time(
      conn,
      "SELECT created_at FROM inbox_messages WHERE account_id = ?1 AND direction = 'out' "
      "ORDER BY created_at DESC LIMIT 1",
      *account_id, what);
  if (!read_back) return read_back.error();
  if (*ledger || *read_back) facts.last_send_at = max_of(*ledger, *read_back, TimePoint{});
  auto oldest = optional_time(conn, "SELECT min(started_at) FROM inbox_checks WHERE account_id = ?1", *account_id, what);
  if (!oldest) return oldest.error();
  facts.oldest_check_at = *oldest;
  if (*oldest) {
    // Checks whose decidable time a completed read has already passed were decided by it (or wait
    // for their row, claimed again meanwhile): only later ones call for a read.
    auto stmt = conn.prepare("SELECT min(started_at) FROM inbox_checks WHERE account_id = ?1 AND started_at > ?2");
    if (!stmt) return stmt.error();
    TimePoint const after = last_complete_read ? *last_complete_read - reconcile_after : TimePoint::min();
    stmt->bind(1, *account_id).bind(2, after);
    auto row = stmt->step(what);
    if (!row) return row.error();
    if (*row && !stmt->is_null(0)) facts.next_check_decidable_at = stmt->time_at(0) + reconcile_after;
  }
  auto needed = optional_time(conn, R"sql(
SELECT min(coalesce(c.start_at, 0)) FROM campaign_accounts ca JOIN campaigns c ON c.id = ca.campaign_id
WHERE ca.account_id = ?1 AND ca.inbox_read_needed = 1 AND c.control = 'active' AND c.importing = 0)sql",
                              *account_id, what);
  if (!needed) return needed.error();
  if (*needed) facts.read_needed_at = std::max(**needed, now);
  return facts;
}

Result<bool> any_message_seen(Database& db, std::string_view account, std::span<InboxMessage const> messages) {
  auto& conn = db.connection();
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  auto stmt = conn.prepare("SELECT 1 FROM inbox_messages WHERE account_id = ?1 AND message_id = ?2");
  if (!stmt) return stmt.error();
  for (auto const& m : messages) {
    stmt->bind(1, *account_id).bind(2, m.id);
    auto row = stmt->step("looking for messages read before");
    if (!row) return row.error();
    if (*row) return true;
  }
  return false;
}

Result<InboxApplied> apply_inbox_walk(Database& db, std::string_view account, InboxWalk const& walk,
                                      InboxRules const& rules, TimePoint now) {
  auto& conn = db.connection();
  std::string const what = "storing a read of account " + std::string(account) + "'s inbox";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  InboxApplied applied;

  {
    auto state = conn.prepare(
        "INSERT INTO inbox_state (account_id, own_user_id, synced_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (account_id) DO UPDATE SET own_user_id = excluded.own_user_id, synced_at = excluded.synced_at, "
        "off_reason = NULL");
    if (!state) return state.error();
    state->bind(1, *account_id).bind(2, walk.own_user_id).bind(3, walk.coverage.read_at);
    if (auto r = state->run(what); !r) return r.error();
  }
  // Oldest first, so that the first reply of a recipient is the one whose time replied_at keeps.
  std::vector<InboxMessage const*> fresh_replies;
  {
    auto insert = conn.prepare(R"sql(
INSERT OR IGNORE INTO inbox_messages (account_id, message_id, created_at, direction, other_user_id)
VALUES (?1, ?2, ?3, ?4, ?5))sql");
    if (!insert) return insert.error();
    for (auto it = walk.messages.rbegin(); it != walk.messages.rend(); ++it) {
      InboxMessage const& m = *it;
      bool const outgoing = m.sender_id == walk.own_user_id;
      if (!outgoing && m.recipient_id != walk.own_user_id) continue;  // not this account's conversation
      insert->bind(1, *account_id).bind(2, m.id).bind(3, m.created_at).bind(4, outgoing ? "out" : "in");
      insert->bind(5, outgoing ? m.recipient_id : m.sender_id);
      if (auto r = insert->run(what); !r) return r.error();
      if (conn.changes() == 0) continue;
      ++applied.new_messages;
      if (!outgoing) fresh_replies.push_back(&m);
    }
  }
  for (auto const* m : fresh_replies)
    if (auto r = record_if_reply(conn, *account_id, *m, rules, now, applied); !r) return r.error();
  if (auto r = reconcile_checks(conn, *account_id, walk, rules, now, applied); !r) return r.error();
  auto released = release_waiting_campaigns(conn, *account_id, now);
  if (!released) return released.error();
  applied.campaigns_released = *released;
  if (auto r = tx->commit(what); !r) return r.error();
  return applied;
}

Result<std::int64_t> release_campaigns_waiting_for_read(Database& db, std::string_view account, TimePoint now) {
  auto& conn = db.connection();
  constexpr std::string_view what = "releasing campaigns that waited for an inbox read";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  auto released = release_waiting_campaigns(conn, *account_id, now);
  if (!released) return released.error();
  if (auto r = tx->commit(what); !r) return r.error();
  return *released;
}

Result<InboxApplied> turn_inbox_off(Database& db, std::string_view account, std::string_view reason, TimePoint now) {
  auto& conn = db.connection();
  constexpr std::string_view what = "turning the account's inbox off";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  InboxApplied applied;
  {
    auto stmt = conn.prepare(
        "INSERT INTO inbox_state (account_id, off_reason) VALUES (?1, ?2) "
        "ON CONFLICT (account_id) DO UPDATE SET off_reason = excluded.off_reason");
    if (!stmt) return stmt.error();
    stmt->bind(1, *account_id).bind(2, detail::clip_error_text(reason));
    if (auto r = stmt->run(what); !r) return r.error();
  }
  auto checks = open_checks(conn, *account_id);
  if (!checks) return checks.error();
  for (auto const& c : *checks) {
    auto released = release_retry(conn, c, now, what);
    if (!released) return released.error();
    applied.retries_released += *released ? 1 : 0;
    if (auto r = drop_check(conn, c.recipient_id, what); !r) return r.error();
  }
  {
    auto stmt = conn.prepare("UPDATE campaign_accounts SET inbox_read_needed = 0 WHERE account_id = ?1");
    if (!stmt) return stmt.error();
    stmt->bind(1, *account_id);
    if (auto r = stmt->run(what); !r) return r.error();
    applied.campaigns_released = conn.changes();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return applied;
}

Result<std::int64_t> forget_users(Database& db, std::span<const std::string> users) {
  std::vector<std::string> keys;
  for (auto const& u : users) {
    auto key = suppression_key(u);  // trims, drops '@', lower-cases, refuses spaces
    if (!key && key.error().message.starts_with("an empty name"))
      return make_error("an empty name cannot be forgotten: give a user id or a username");
    if (!key) return key.error();
    keys.push_back(std::move(*key));
  }
  auto& conn = db.connection();
  constexpr std::string_view what = "forgetting users' replies";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto stmt = conn.prepare(R"sql(
DELETE FROM replies_kept
WHERE user_id = ?1 OR recipient_id IN (SELECT k.recipient_id FROM replies_kept k JOIN recipients r ON r.id = k.recipient_id
                                       WHERE lower(r.username) = ?1))sql");
  if (!stmt) return stmt.error();
  std::int64_t deleted = 0;
  for (auto const& key : keys) {
    stmt->bind(1, key);
    if (auto r = stmt->run(what); !r) return r.error();
    deleted += conn.changes();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return deleted;
}

}  // namespace outreach
