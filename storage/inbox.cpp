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

Result<bool> campaign_cancelled(sql::Connection& conn, std::int64_t campaign_id) {
  auto stmt = conn.prepare("SELECT control = 'cancelled' FROM campaigns WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign_id);
  auto row = stmt->step("reading a campaign's control state");
  if (!row) return row.error();
  return *row && stmt->int_at(0) != 0;
}

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
  TimePoint started_at;  ///< the window opens here (5 minutes earlier)
  TimePoint settled_at;  ///< an empty read proves nothing before this + reconcile_after
  std::string text;
  std::optional<TimePoint> retry_at;
  bool may_requeue = true;
  bool stale = false;  ///< the row was claimed by another account since: this check is not its
};

Result<std::vector<CheckedRow>> open_checks(sql::Connection& conn, std::int64_t account_id) {
  auto stmt = conn.prepare(R"sql(
SELECT k.recipient_id, r.campaign_id, r.state, coalesce(r.user_id, r.resolved_user_id), k.started_at, k.settled_at,
       k.text, k.retry_at, k.may_requeue, coalesce(r.claimed_by <> k.account_id, 1)
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
    c.settled_at = stmt->time_at(5);
    c.text = stmt->text_at(6);
    c.retry_at = stmt->optional_time_at(7);
    c.may_requeue = stmt->int_at(8) != 0;
    c.stale = stmt->int_at(9) != 0;
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

/// A held retry (after a server error) that a read proved undelivered goes ahead at the time it
/// was due.
Result<bool> release_retry(sql::Connection& conn, CheckedRow const& c, TimePoint now, std::string_view what) {
  if (c.state != RecipientState::retrying) return false;
  auto stmt = conn.prepare(
      "UPDATE recipients SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'retrying' AND next_attempt_at IS NULL");
  if (!stmt) return stmt.error();
  stmt->bind(1, c.recipient_id).bind(2, c.retry_at.value_or(now));
  if (auto r = stmt->run(what); !r) return r.error();
  return conn.changes() == 1;
}

/// A check that no read will ever settle (too old, the inbox turned off or no longer read): the
/// DM may have gone out, so a held retry becomes unknown/in_doubt rather than a blind second copy,
/// and an unknown row says why it stays so.
Result<void> give_up_check(sql::Connection& conn, CheckedRow const& c, std::string const& why, TimePoint now,
                           std::string_view what) {
  if (c.state == RecipientState::retrying) {
    if (auto r = settle_row(conn, c, RecipientState::unknown, R"sql(
UPDATE recipients SET state = 'unknown', reason = 'in_doubt', next_attempt_at = NULL, last_error = ?3
WHERE id = ?1 AND state = ?2 AND next_attempt_at IS NULL)sql",
                            [&](sql::Stmt& s) { s.bind(3, why); }, now, what);
        !r)
      return r;
  } else if (c.state == RecipientState::unknown) {
    auto stmt = conn.prepare("UPDATE recipients SET last_error = ?2 WHERE id = ?1 AND state = 'unknown'");
    if (!stmt) return stmt.error();
    stmt->bind(1, c.recipient_id).bind(2, why);
    if (auto r = stmt->run(what); !r) return r;
  }
  return drop_check(conn, c.recipient_id, what);
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
    if (c.stale) {  // another account's attempt now: this one's check says nothing about it
      if (auto r = drop_check(conn, c.recipient_id, what); !r) return r;
      continue;
    }
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
    // An empty read proves nothing until reconcile_after after the request could have ended (a
    // row recovered after a crash: after the recovery).
    bool const too_soon = std::holds_alternative<verdict::Absent>(v.verdict) &&
                          walk.coverage.read_at < c.settled_at + rules.limits.reconcile_after;
    if (std::holds_alternative<verdict::Undecided>(v.verdict) || too_soon ||
        c.state == RecipientState::sending) {  // claimed again meanwhile (an operator's retry): later
      ++applied.open_checks;
      continue;
    }
    bool const open_row = c.state == RecipientState::unknown || c.state == RecipientState::retrying;
    if (!open_row) {  // the row left the states a check is about (an operator retried or cancelled it)
      if (auto r = drop_check(conn, c.recipient_id, what); !r) return r;
      continue;
    }
    if (auto const* found = std::get_if<verdict::Confirmed>(&v.verdict)) {
      auto r = settle_row(conn, c, RecipientState::sent, R"sql(
UPDATE recipients SET state = 'sent', reason = 'reconciled', next_attempt_at = NULL, message_id = ?3, sent_at = ?4,
                      last_error = NULL
WHERE id = ?1 AND state = ?2)sql",
                          [&](sql::Stmt& s) { s.bind(3, found->message_id).bind(4, found->created_at); }, now, what);
      if (!r) return r;
      ++applied.confirmed;
    } else if (std::holds_alternative<verdict::Absent>(v.verdict)) {
      ++applied.absent;
      if (c.state == RecipientState::retrying) {
        auto released = release_retry(conn, c, now, what);
        if (!released) return released.error();
        applied.retries_released += *released ? 1 : 0;
      } else if (rules.requeue_unconfirmed && c.may_requeue) {
        auto cancelled = campaign_cancelled(conn, c.campaign_id);
        if (!cancelled) return cancelled.error();
        // As record_outcome does: a cancelled campaign takes what would be queued again.
        auto r = *cancelled ? settle_row(conn, c, RecipientState::skipped, R"sql(
UPDATE recipients SET state = 'skipped', reason = 'cancelled', next_attempt_at = NULL, last_error = ?3
WHERE id = ?1 AND state = ?2)sql",
                                         [&](sql::Stmt& s) { s.bind(3, kNotDelivered); }, now, what)
                            : settle_row(conn, c, RecipientState::retrying, R"sql(
UPDATE recipients SET state = 'retrying', reason = 'in_doubt', next_attempt_at = ?3, last_error = ?4
WHERE id = ?1 AND state = ?2)sql",
                                         [&](sql::Stmt& s) { s.bind(3, now).bind(4, kRequeuedText); }, now, what);
        if (!r) return r;
        applied.requeued += *cancelled ? 0 : 1;
      } else {
        auto stmt = conn.prepare("UPDATE recipients SET last_error = ?2 WHERE id = ?1 AND state = 'unknown'");
        if (!stmt) return stmt.error();
        stmt->bind(1, c.recipient_id).bind(2, kNotDelivered);
        if (auto r = stmt->run(what); !r) return r;
      }
    } else {  // beyond the provider's history: no read can tell any more
      ++applied.beyond_history;
      if (auto r = give_up_check(conn, c, kBeyondHistory, now, what); !r) return r;
      continue;
    }
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
SELECT id, campaign_id, message_id, coalesce(sent_at, claimed_at), replied_at IS NOT NULL, username, claimed_by, state,
       EXISTS (SELECT 1 FROM inbox_checks k WHERE k.recipient_id = recipients.id)
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
    // Sent, in doubt, or a retry held because its 5xx may have followed a delivery.
    std::string const state = stmt->text_at(7);
    if (state != "sent" && state != "unknown" && !(state == "retrying" && stmt->int_at(8) != 0)) continue;
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
    // One walk of the campaign's id range finds the user's queued rows; each is then skipped by id.
    std::vector<std::pair<std::int64_t, RecipientState>> queued;
    {
      auto find = conn.prepare(R"sql(
SELECT id, state FROM recipients
WHERE id BETWEEN (SELECT first_recipient_id FROM campaigns WHERE id = ?1)
             AND (SELECT last_recipient_id FROM campaigns WHERE id = ?1)
  AND campaign_id = ?1 AND (state = 'pending' OR state = 'retrying')
  AND (coalesce(user_id, resolved_user_id) = ?2 OR (?3 IS NOT NULL AND lower(username) = ?3)))sql");
      if (!find) return find.error();
      find->bind(1, campaign_id).bind(2, user_id).bind_text_or_null(3, key);
      for (;;) {
        auto row = find->step(what);
        if (!row) return row.error();
        if (!*row) break;
        queued.emplace_back(find->int64_at(0), find->text_at(1) == "retrying" ? RecipientState::retrying
                                                                               : RecipientState::pending);
      }
    }
    for (auto const& [id, from] : queued) {
      auto skip = conn.prepare(R"sql(
UPDATE recipients SET state = 'skipped', reason = 'suppressed', next_attempt_at = NULL,
                      last_error = 'the user opted out in a reply'
WHERE id = ?1)sql");
      if (!skip) return skip.error();
      skip->bind(1, id);
      if (auto r = skip->run(what); !r) return r;
      if (auto r = detail::move_counts(conn, campaign_id, from, RecipientState::skipped, 1, now); !r) return r;
      ++applied.rows_suppressed;
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

/// The account's campaigns no longer wait for a read, active or not (no read will come).
Result<std::int64_t> stop_waiting_for_reads(sql::Connection& conn, std::int64_t account_id, std::string_view what) {
  auto stmt = conn.prepare(
      "UPDATE campaign_accounts SET inbox_read_needed = 0 WHERE account_id = ?1 AND inbox_read_needed = 1");
  if (!stmt) return stmt.error();
  stmt->bind(1, account_id);
  if (auto r = stmt->run(what); !r) return r.error();
  return conn.changes();
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
    auto stmt = conn.prepare("SELECT min(settled_at) FROM inbox_checks WHERE account_id = ?1 AND settled_at > ?2");
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
  // NORMAL (no fsync of its own, the next claim's makes it durable): a read lost to a power cut
  // is lost whole — its messages are not stored as read — so the next read finds the same
  // replies, opt-outs and in-doubt messages again. Polls of a thousand accounts then cost no fsync.
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
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
  // Which of the walk's messages were stored before: one range read over the walk's time span
  // (index inbox_messages_time) instead of an insert attempt per message, so a poll that finds
  // nothing new costs one query, not a page of them.
  std::set<std::string> stored;
  if (!walk.messages.empty()) {
    auto [oldest, newest] = std::minmax_element(walk.messages.begin(), walk.messages.end(),
                                                [](InboxMessage const& a, InboxMessage const& b) {
                                                  return a.created_at < b.created_at;
                                                });
    auto known = conn.prepare(
        "SELECT message_id FROM inbox_messages WHERE account_id = ?1 AND created_at BETWEEN ?2 AND ?3");
    if (!known) return known.error();
    known->bind(1, *account_id).bind(2, oldest->created_at).bind(3, newest->created_at);
    for (;;) {
      auto row = known->step(what);
      if (!row) return row.error();
      if (!*row) break;
      stored.insert(known->text_at(0));
    }
  }
  std::vector<InboxMessage const*> fresh_replies;  // newest first
  {
    auto insert = conn.prepare(R"sql(
INSERT OR IGNORE INTO inbox_messages (account_id, message_id, created_at, direction, other_user_id)
VALUES (?1, ?2, ?3, ?4, ?5))sql");
    if (!insert) return insert.error();
    for (InboxMessage const& m : walk.messages) {
      if (stored.contains(m.id)) continue;
      bool const outgoing = m.sender_id == walk.own_user_id;
      if (!outgoing && m.recipient_id != walk.own_user_id) continue;  // not this account's conversation
      insert->bind(1, *account_id).bind(2, m.id).bind(3, m.created_at).bind(4, outgoing ? "out" : "in");
      insert->bind(5, outgoing ? m.recipient_id : m.sender_id);
      if (auto r = insert->run(what); !r) return r.error();
      if (conn.changes() == 0) continue;  // stored with another time (the provider changed it)
      ++applied.new_messages;
      if (!outgoing) fresh_replies.push_back(&m);
    }
  }
  // In-doubt sends first: a send the walk confirms is one a reply in the same walk can answer.
  if (auto r = reconcile_checks(conn, *account_id, walk, rules, now, applied); !r) return r.error();
  // Oldest first, so that the first reply of a recipient is the one whose time replied_at keeps.
  for (auto it = fresh_replies.rbegin(); it != fresh_replies.rend(); ++it)
    if (auto r = record_if_reply(conn, *account_id, **it, rules, now, applied); !r) return r.error();
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
  std::string const why = "the DM may have been delivered; it cannot be checked: " + std::string(reason);
  for (auto const& c : *checks)
    if (auto r = give_up_check(conn, c, why, now, what); !r) return r.error();
  applied.abandoned_checks = static_cast<std::int64_t>(checks->size());
  auto released = stop_waiting_for_reads(conn, *account_id, what);
  if (!released) return released.error();
  applied.campaigns_released = *released;
  if (auto r = tx->commit(what); !r) return r.error();
  return applied;
}

Result<std::int64_t> abandon_unread_inbox_checks(Database& db, std::span<const std::string> reading, TimePoint now) {
  auto& conn = db.connection();
  constexpr std::string_view what = "giving up the inbox checks of accounts whose inbox is not read";
  std::set<std::string> const read(reading.begin(), reading.end());
  std::vector<std::pair<std::int64_t, std::string>> others;  // accounts with checks or waiting campaigns
  {
    auto stmt = conn.prepare(R"sql(
SELECT id, name FROM accounts
WHERE id IN (SELECT account_id FROM inbox_checks UNION SELECT account_id FROM campaign_accounts WHERE inbox_read_needed = 1))sql");
    if (!stmt) return stmt.error();
    for (;;) {
      auto row = stmt->step(what);
      if (!row) return row.error();
      if (!*row) break;
      if (!read.contains(stmt->text_at(1))) others.emplace_back(stmt->int64_at(0), stmt->text_at(1));
    }
  }
  if (others.empty()) return 0;
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  std::int64_t given_up = 0;
  for (auto const& [account_id, name] : others) {
    auto checks = open_checks(conn, account_id);
    if (!checks) return checks.error();
    std::string const why =
        "the DM may have been delivered; it cannot be checked: account " + name + " no longer reads its inbox";
    for (auto const& c : *checks)
      if (auto r = give_up_check(conn, c, why, now, what); !r) return r.error();
    given_up += static_cast<std::int64_t>(checks->size());
    if (auto r = stop_waiting_for_reads(conn, account_id, what); !r) return r.error();
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return given_up;
}

Result<std::int64_t> forget_users(Database& db, std::span<const std::string> users) {
  std::vector<std::string> keys;
  for (auto const& u : users) {
    if (u.find_first_not_of(" \t\r\n@") == std::string::npos)
      return make_error("an empty name cannot be forgotten: give a user id or a username");
    auto key = suppression_key(u);  // trims, drops '@', lower-cases, refuses spaces
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
