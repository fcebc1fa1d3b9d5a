#include "storage/queue.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "core/daily_cap.hpp"
#include "storage/counts.hpp"
#include "storage/lookups.hpp"
#include "storage/sqlite.hpp"

namespace outreach {
namespace {

struct OpenCampaign {
  std::int64_t id = 0;
  std::string name;
  bool dry_run = false;
  std::int64_t pending = 0;
  std::int64_t retrying = 0;
  std::optional<TimePoint> start_at;
};

/// The account's active campaigns that still hold pending or retrying recipients, in claim order.
/// A campaign that waits for a read of the account's inbox before its first claim is left out
/// until the read is done (storage/inbox.hpp); the inbox sync wakes the worker then. The wait is
/// ignored once the account's provider reads no inbox (a reload changed it): nothing would end it.
/// A handful of rows (campaign_accounts is keyed by account), so reading them all is cheap.
Result<std::vector<OpenCampaign>> open_campaigns(sql::Connection& conn, std::int64_t account_id) {
  auto stmt = conn.prepare(R"sql(
SELECT c.id, c.name, c.dry_run, n.pending, n.retrying, c.start_at
FROM campaign_accounts ca
JOIN campaigns c ON c.id = ca.campaign_id
JOIN campaign_counts n ON n.campaign_id = c.id
WHERE ca.account_id = ?1 AND c.control = 'active' AND n.pending + n.retrying > 0
  AND (ca.inbox_read_needed = 0 OR
       NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = ?1 AND a.reads_inbox = 1))
ORDER BY c.priority DESC, c.created_at, c.id)sql");
  if (!stmt) return stmt.error();
  stmt->bind(1, account_id);
  std::vector<OpenCampaign> out;
  for (;;) {
    auto row = stmt->step("listing the account's campaigns");
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({stmt->int64_at(0), stmt->text_at(1), stmt->int_at(2) != 0, stmt->int64_at(3), stmt->int64_at(4),
                   stmt->optional_time_at(5)});
  }
}

struct Candidate {
  std::int64_t id = 0;
  RecipientState state = RecipientState::pending;
};

/// The campaign's next due recipient: the first pending one or the first due retrying one,
/// whichever comes first in the file.
Result<std::optional<Candidate>> next_candidate(sql::Connection& conn, OpenCampaign const& c, TimePoint now) {
  std::optional<Candidate> best;
  if (c.pending > 0) {
    auto stmt =
        conn.prepare("SELECT id FROM recipients WHERE campaign_id = ?1 AND state = 'pending' ORDER BY id LIMIT 1");
    if (!stmt) return stmt.error();
    stmt->bind(1, c.id);
    auto row = stmt->step("finding the next pending recipient");
    if (!row) return row.error();
    if (*row) best = Candidate{stmt->int64_at(0), RecipientState::pending};
  }
  if (c.retrying > 0) {
    // min(id) over the due range of recipients_retrying: file order among the due retries (docs/send-rules.md#claim-before-send),
    // not whichever fell due first. It reads every due retry of the campaign, which are few unless
    // a long outage piled them up; even then it is an index-only walk.
    auto stmt = conn.prepare(
        "SELECT min(id) FROM recipients WHERE campaign_id = ?1 AND state = 'retrying' AND next_attempt_at <= ?2");
    if (!stmt) return stmt.error();
    stmt->bind(1, c.id).bind(2, now);
    auto row = stmt->step("finding the next due retry");
    if (!row) return row.error();
    if (*row && !stmt->is_null(0) && (!best || stmt->int64_at(0) < best->id))
      best = Candidate{stmt->int64_at(0), RecipientState::retrying};
  }
  return best;
}

Result<bool> campaign_control_is(sql::Connection& conn, std::int64_t campaign_id, std::string_view control) {
  auto stmt = conn.prepare("SELECT control = ?2 FROM campaigns WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, campaign_id).bind(2, control);
  auto row = stmt->step("reading a campaign's control state");
  if (!row) return row.error();
  if (!*row) return make_error("unknown campaign id " + std::to_string(campaign_id));
  return stmt->int_at(0) != 0;
}

Result<bool> is_suppressed_row(sql::Connection& conn, std::string_view username, std::string_view user_id,
                               std::string_view resolved_user_id) {
  auto stmt = conn.prepare(
      "SELECT EXISTS (SELECT 1 FROM suppression WHERE key = lower(?1)) OR "
      "EXISTS (SELECT 1 FROM suppression WHERE key = ?2) OR EXISTS (SELECT 1 FROM suppression WHERE key = ?3)");
  if (!stmt) return stmt.error();
  stmt->bind_text_or_null(1, username).bind_text_or_null(2, user_id).bind_text_or_null(3, resolved_user_id);
  auto row = stmt->step("checking the suppression list");
  if (!row) return row.error();
  return *row && stmt->int_at(0) != 0;
}

/// One claim inside an open transaction.
Result<std::optional<ClaimedRecipient>> claim_in_transaction(sql::Connection& conn, std::string_view account,
                                                             TimePoint now) {
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  auto campaigns = open_campaigns(conn, *account_id);
  if (!campaigns) return campaigns.error();
  for (auto const& c : *campaigns) {
    if (c.start_at && *c.start_at > now) continue;  // scheduled
    for (;;) {
      auto candidate = next_candidate(conn, c, now);
      if (!candidate) return candidate.error();
      if (!*candidate) break;
      auto const [id, from] = **candidate;

      auto load =
          conn.prepare("SELECT username, user_id, resolved_user_id, text, attempts FROM recipients WHERE id = ?1");
      if (!load) return load.error();
      load->bind(1, id);
      auto row = load->step("reading the claimed recipient");
      if (!row) return row.error();
      if (!*row) return make_error("recipient " + std::to_string(id) + " vanished while being claimed");
      ClaimedRecipient claim;
      claim.recipient_id = id;
      claim.campaign_id = c.id;
      claim.campaign = c.name;
      claim.account = std::string(account);
      claim.username = load->text_at(0);
      std::string const resolved = load->text_at(2);
      claim.user_id = load->is_null(1) ? resolved : load->text_at(1);
      claim.text = load->text_at(3);
      claim.attempts = load->int_at(4);
      claim.dry_run = c.dry_run;
      claim.claimed_at = now;

      auto suppressed = is_suppressed_row(conn, claim.username, load->text_at(1), resolved);
      if (!suppressed) return suppressed.error();
      if (*suppressed) {  // suppressed after import: skip it now that its turn has come, and go on
        auto skip = conn.prepare(
            "UPDATE recipients SET state = 'skipped', reason = 'suppressed', next_attempt_at = NULL WHERE id = ?1");
        if (!skip) return skip.error();
        skip->bind(1, id);
        if (auto r = skip->run("skipping a suppressed recipient"); !r) return r.error();
        if (auto r = detail::move_counts(conn, c.id, from, RecipientState::skipped, 1, now); !r) return r.error();
        continue;
      }

      auto mark = conn.prepare(
          "UPDATE recipients SET state = 'sending', claimed_by = ?2, claimed_at = ?3, next_attempt_at = NULL "
          "WHERE id = ?1");
      if (!mark) return mark.error();
      mark->bind(1, id).bind(2, *account_id).bind(3, now);
      if (auto r = mark->run("claiming a recipient"); !r) return r.error();
      if (auto r = detail::move_counts(conn, c.id, from, RecipientState::sending, 1, now); !r) return r.error();
      return std::optional<ClaimedRecipient>(std::move(claim));
    }
  }
  return std::optional<ClaimedRecipient>();
}

Result<void> validate(Outcome const& o) {
  auto const state = to_string(o.state);
  if (o.state == RecipientState::sending)
    return make_error("invalid state change: a claimed recipient cannot be recorded as 'sending' again");
  if (o.state == RecipientState::sent && !o.send_attempted)
    return make_error("invalid state change: a recipient can only become 'sent' through a send attempt");
  if (o.state == RecipientState::sent && o.reason != ErrorClass::none)
    return make_error("invalid outcome: a 'sent' recipient has no reason");
  bool const needs_reason = o.state == RecipientState::retrying || o.state == RecipientState::failed ||
                            o.state == RecipientState::skipped || o.state == RecipientState::unknown;
  if (needs_reason && o.reason == ErrorClass::none)
    return make_error("invalid outcome: a '" + std::string(state) + "' recipient needs a reason");
  if (o.state == RecipientState::retrying && !o.next_attempt_at)
    return make_error("invalid outcome: a 'retrying' recipient needs a next attempt time");
  if (o.counts_toward_cap && !o.send_attempted)
    return make_error("invalid outcome: only a send attempt counts toward the daily cap");
  if (o.http_status < 0 || o.http_status > 999)
    return make_error("invalid outcome: HTTP status " + std::to_string(o.http_status) + " is out of range");
  return {};
}

/// Why recording failed, for a recipient that was not in the expected state.
Error not_sending_error(sql::Connection& conn, ClaimedRecipient const& claim) {
  auto stmt = conn.prepare(
      "SELECT r.state, a.name FROM recipients r LEFT JOIN accounts a ON a.id = r.claimed_by WHERE r.id = ?1");
  std::string const who = "recipient " + std::to_string(claim.recipient_id) + " of campaign '" + claim.campaign + "'";
  if (!stmt) return stmt.error();
  stmt->bind(1, claim.recipient_id);
  auto row = stmt->step("reading a recipient");
  if (!row) return row.error();
  if (!*row) return make_error("unknown recipient " + std::to_string(claim.recipient_id));
  std::string const state = stmt->text_at(0);
  if (state != "sending")
    return make_error("invalid state change: " + who + " is '" + state + "', not 'sending' (recorded twice?)");
  return make_error("invalid state change: " + who + " is being sent by account '" + stmt->text_at(1) + "', not '" +
                    claim.account + "'");
}

/// The id a lookup resolved, on a row still `sending` (inside the caller's transaction).
Result<void> store_resolved_id(sql::Connection& conn, ClaimedRecipient const& claim, std::string_view user_id,
                               std::string_view what) {
  auto stmt = conn.prepare("UPDATE recipients SET resolved_user_id = ?2 WHERE id = ?1 AND state = 'sending'");
  if (!stmt) return stmt.error();
  stmt->bind(1, claim.recipient_id).bind(2, user_id);
  if (auto r = stmt->run(what); !r) return r;
  if (conn.changes() != 1) return not_sending_error(conn, claim);
  return {};
}

/// The gate's decision (see check_before_send), inside its transaction.
Result<SendGate> decide_gate(sql::Connection& conn, ClaimedRecipient const& claim, std::string_view resolved_user_id,
                             GateRules const& rules, std::string_view what) {
  auto active = campaign_control_is(conn, claim.campaign_id, "active");
  if (!active) return active.error();
  if (!*active) return SendGate::hold;
  // Username and every id: the list may have grown while the lookup was out.
  auto suppressed = is_suppressed_row(conn, claim.username, claim.user_id, resolved_user_id);
  if (!suppressed) return suppressed.error();
  if (*suppressed) return SendGate::suppressed;
  std::string_view const person = resolved_user_id.empty() ? std::string_view(claim.user_id) : resolved_user_id;
  if (person.empty()) return SendGate::go;
  // The person's other rows that reached them. The WHERE repeats recipients_contacted's, so the
  // partial index serves it.
  auto others = conn.prepare(R"sql(
SELECT campaign_id, coalesce(sent_at, claimed_at) FROM recipients
WHERE coalesce(user_id, resolved_user_id) = ?1
  AND (state = 'sending' OR state = 'retrying' OR state = 'sent' OR state = 'unknown')
  AND id != ?2)sql");
  if (!others) return others.error();
  others->bind(1, person).bind(2, claim.recipient_id);
  SendGate gate = SendGate::go;
  for (;;) {
    auto row = others->step(what);
    if (!row) return row.error();
    if (!*row) return gate;
    if (others->int64_at(0) == claim.campaign_id) return SendGate::duplicate;
    auto const contacted = others->optional_time_at(1);
    if (rules.contact_cooldown > Duration{0} && contacted && *contacted > rules.now - rules.contact_cooldown)
      gate = SendGate::recently_contacted;
  }
}

}  // namespace


// ---- claim ------------------------------------------------------------------------------------

Result<std::optional<ClaimedRecipient>> claim_next(Database& db, std::string_view account, TimePoint now) {
  auto& conn = db.connection();
  std::string const what = "claiming a recipient for account '" + std::string(account) + "'";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto claim = claim_in_transaction(conn, account, now);
  if (!claim) return claim.error();
  if (auto r = tx->commit(what); !r) return r.error();
  return claim;
}

Result<std::vector<std::optional<ClaimedRecipient>>> claim_batch(Database& db, std::span<const std::string> accounts,
                                                                 TimePoint now) {
  std::set<std::string_view> seen;
  for (auto const& a : accounts)
    if (!seen.insert(a).second) return make_error("claim_batch: account '" + a + "' appears twice");
  auto& conn = db.connection();
  constexpr std::string_view what = "claiming recipients";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  std::vector<std::optional<ClaimedRecipient>> out;
  out.reserve(accounts.size());
  for (auto const& a : accounts) {
    auto claim = claim_in_transaction(conn, a, now);
    if (!claim) return claim.error();
    out.push_back(std::move(*claim));
  }
  if (auto r = tx->commit(what); !r) return r.error();
  return out;
}

Result<std::optional<TimePoint>> next_due_at(Database& db, std::string_view account, TimePoint now) {
  auto& conn = db.connection();
  auto account_id = detail::configured_account_id(conn, account);
  if (!account_id) return account_id.error();
  auto campaigns = open_campaigns(conn, *account_id);
  if (!campaigns) return campaigns.error();
  std::optional<TimePoint> earliest;
  for (auto const& c : *campaigns) {
    TimePoint due = now;
    if (c.pending == 0) {  // only retries left: the earliest of them
      auto stmt =
          conn.prepare("SELECT min(next_attempt_at) FROM recipients WHERE campaign_id = ?1 AND state = 'retrying'");
      if (!stmt) return stmt.error();
      stmt->bind(1, c.id);
      auto row = stmt->step("finding the next retry time");
      if (!row) return row.error();
      if (!*row || stmt->is_null(0)) continue;
      due = std::max(now, stmt->time_at(0));
    }
    if (c.start_at) due = std::max(due, *c.start_at);
    if (!earliest || due < *earliest) earliest = due;
  }
  return earliest;
}

// ---- record -----------------------------------------------------------------------------------

Result<void> record_outcome(Database& db, ClaimedRecipient const& claim, Outcome const& o, TimePoint now) {
  if (auto r = validate(o); !r) return r;
  auto& conn = db.connection();
  std::string const what = "recording the outcome for recipient " + std::to_string(claim.recipient_id);
  // NORMAL: see the header — a lost record can only surface as `unknown`, never as a resend.
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  auto account = detail::find_account(conn, claim.account);
  if (!account) return account.error();

  // The recipient's new state: the outcome's, unless the campaign was cancelled meanwhile.
  RecipientState state = o.state;
  ErrorClass reason = o.reason;
  std::optional<TimePoint> next_attempt_at = o.next_attempt_at;
  std::optional<TimePoint> held_retry_at;
  if (state == RecipientState::pending || state == RecipientState::retrying) {
    auto cancelled = campaign_control_is(conn, claim.campaign_id, "cancelled");
    if (!cancelled) return cancelled.error();
    if (*cancelled) {
      state = RecipientState::skipped;
      reason = ErrorClass::cancelled;
      next_attempt_at.reset();
    }
  }

  // A retry that waits for an inbox check has no due time until the check gives it back.
  if (o.check_inbox && state == RecipientState::retrying) held_retry_at = next_attempt_at;
  bool const keep_attempt = o.send_attempted || o.uses_attempt || o.http_status != 0 || !o.error.empty();
  std::string const error = detail::clip_error_text(o.error);
  // Reasons describe why a recipient is not (yet) sent; a requeued pending row shows its cause in
  // last_error instead.
  bool const store_reason = state != RecipientState::pending && reason != ErrorClass::none;

  auto update = conn.prepare(R"sql(
UPDATE recipients SET
  state = ?3,
  reason = ?4,
  attempts = attempts + ?5,
  next_attempt_at = ?6,
  last_http_status = CASE WHEN ?7 THEN ?8 ELSE last_http_status END,
  last_error = CASE WHEN ?7 THEN ?9 ELSE last_error END,
  message_id = coalesce(?10, message_id),
  sent_at = CASE WHEN ?3 = 'sent' THEN ?11 ELSE sent_at END,
  resolved_user_id = coalesce(?12, resolved_user_id)
WHERE id = ?1 AND state = 'sending' AND claimed_by = ?2)sql");
  if (!update) return update.error();
  update->bind(1, claim.recipient_id).bind(2, account->id).bind(3, to_string(state));
  if (store_reason)
    update->bind(4, to_string(reason));
  else
    update->bind_null(4);
  update->bind(5, o.uses_attempt ? 1 : 0).bind(6, held_retry_at ? std::optional<TimePoint>{} : next_attempt_at);
  update->bind(7, keep_attempt);
  if (o.http_status != 0)
    update->bind(8, o.http_status);
  else
    update->bind_null(8);
  update->bind_text_or_null(9, error).bind_text_or_null(10, o.message_id).bind(11, now);
  update->bind_text_or_null(12, o.resolved_user_id);
  if (auto r = update->run(what); !r) return r;
  if (conn.changes() != 1) return not_sending_error(conn, claim);

  if (keep_attempt) {
    auto insert = conn.prepare(R"sql(
INSERT INTO attempts (recipient_id, account_id, at, kind, outcome, http_status, error_class, message_id, error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql");
    if (!insert) return insert.error();
    insert->bind(1, claim.recipient_id).bind(2, account->id).bind(3, now);
    insert->bind(4, o.send_attempted ? "send" : "lookup").bind(5, to_string(o.state));
    if (o.http_status != 0)
      insert->bind(6, o.http_status);
    else
      insert->bind_null(6);
    insert->bind_text_or_null(7, to_string(o.reason)).bind_text_or_null(8, o.message_id).bind_text_or_null(9, error);
    if (auto r = insert->run(what); !r) return r;
  }
  if (o.counts_toward_cap) {
    auto ledger = conn.prepare("INSERT OR IGNORE INTO send_ledger (account_id, at, recipient_id) VALUES (?1, ?2, ?3)");
    if (!ledger) return ledger.error();
    ledger->bind(1, account->id).bind(2, now).bind(3, claim.recipient_id);
    if (auto r = ledger->run(what); !r) return r;
    // The ledger prunes itself: entries that left the 24 h window are of no further use.
    auto prune = conn.prepare("DELETE FROM send_ledger WHERE account_id = ?1 AND at <= ?2");
    if (!prune) return prune.error();
    prune->bind(1, account->id).bind(2, now - kCapWindow);
    if (auto r = prune->run(what); !r) return r;
  }
  if (o.check_inbox && (state == RecipientState::unknown || state == RecipientState::retrying)) {
    // The delivery is in doubt: the inbox sync checks the account's sent messages for it. A retry
    // waits for that check (next_attempt_at NULL: no claim takes it), so that a DM delivered
    // despite its 5xx is not sent twice; the check gives it back its retry time when it is absent.
    // The window opens at the claim (the request went out after it); the wait for a proof of
    // absence runs from this answer.
    auto check = conn.prepare(R"sql(
INSERT OR REPLACE INTO inbox_checks (recipient_id, account_id, started_at, settled_at, text, retry_at, may_requeue)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1))sql");
    if (!check) return check.error();
    check->bind(1, claim.recipient_id).bind(2, account->id).bind(3, claim.claimed_at).bind(4, now);
    check->bind(5, claim.text).bind(6, state == RecipientState::retrying ? next_attempt_at : std::nullopt);
    if (auto r = check->run(what); !r) return r;
  }
  if (state == RecipientState::sent) {
    // The account works: an error that once stopped it no longer describes it (account_status).
    auto clear = conn.prepare("UPDATE accounts SET last_error = NULL WHERE id = ?1 AND last_error IS NOT NULL");
    if (!clear) return clear.error();
    clear->bind(1, account->id);
    if (auto r = clear->run(what); !r) return r;
  }
  if (auto r = detail::move_counts(conn, claim.campaign_id, RecipientState::sending, state, 1, now); !r) return r;
  return tx->commit(what);
}

Result<SendGate> check_before_send(Database& db, ClaimedRecipient const& claim, std::string_view resolved_user_id,
                                   GateRules const& rules) {
  auto& conn = db.connection();
  std::string const what = "checking recipient " + std::to_string(claim.recipient_id) + " before its send";
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  if (!resolved_user_id.empty() && resolved_user_id != claim.user_id) {
    if (auto r = store_resolved_id(conn, claim, resolved_user_id, what); !r) return r.error();
  }
  auto gate = decide_gate(conn, claim, resolved_user_id, rules, what);
  if (!gate) return gate;
  // Committed whatever the decision: the stored id is what the person's other rows check against.
  if (auto r = tx->commit(what); !r) return r.error();
  return gate;
}

Result<void> note_resolved_user_id(Database& db, ClaimedRecipient const& claim, std::string_view user_id) {
  if (user_id.empty()) return make_error("cannot store an empty resolved user id");
  auto& conn = db.connection();
  std::string const what = "storing the resolved user id of recipient " + std::to_string(claim.recipient_id);
  auto tx = sql::Transaction::begin(conn, sql::Durability::normal, what);
  if (!tx) return tx.error();
  if (auto r = store_resolved_id(conn, claim, user_id, what); !r) return r;
  return tx->commit(what);
}

}  // namespace outreach
