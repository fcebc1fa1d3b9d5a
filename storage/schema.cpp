#include "storage/schema.hpp"

#include <array>

namespace outreach {
namespace {

// Version 1. Times are integer milliseconds since the Unix epoch (UTC); the views render them as
// ISO 8601 text. "Absent" is NULL, never ''.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE accounts (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  provider     TEXT NOT NULL,
  daily_cap    INTEGER NOT NULL CHECK (daily_cap >= 0),
  -- Accounts removed from the config stay (their history refers to them) but leave account_status.
  configured   INTEGER NOT NULL DEFAULT 1 CHECK (configured IN (0, 1)),
  state        TEXT NOT NULL DEFAULT 'ready' CHECK (state = 'ready' OR state = 'pacing' OR state = 'capped' OR
                                                 state = 'backoff' OR state = 'stopped'),
  next_send_at INTEGER,
  last_error   TEXT
);

CREATE TABLE campaigns (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  file_name    TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  message      TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  start_at     INTEGER,
  dry_run      INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  -- The operator's switch; 'scheduled' and 'done' are derived by campaign_status.
  control      TEXT NOT NULL DEFAULT 'active' CHECK (control = 'active' OR control = 'paused' OR control = 'cancelled'),
  created_at   INTEGER NOT NULL,
  -- The import gives a campaign's recipients consecutive ids, so this range is the campaign:
  -- recipient_status walks it by rowid instead of keeping a campaign index on a million rows.
  first_recipient_id INTEGER NOT NULL DEFAULT 1,
  last_recipient_id  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE campaign_accounts (
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  PRIMARY KEY (account_id, campaign_id)
) WITHOUT ROWID;

-- Recipient counts per state, changed in the same transaction as the recipients they count, so
-- campaign_status reads one row per campaign instead of grouping a million recipients.
CREATE TABLE campaign_counts (
  campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns(id),
  total        INTEGER NOT NULL DEFAULT 0,
  pending      INTEGER NOT NULL DEFAULT 0,
  retrying     INTEGER NOT NULL DEFAULT 0,
  sending      INTEGER NOT NULL DEFAULT 0,
  sent         INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  unknown      INTEGER NOT NULL DEFAULT 0,
  last_sent_at INTEGER,
  finished_at  INTEGER
);

CREATE TABLE recipients (
  id               INTEGER PRIMARY KEY,  -- ascending in file order within a campaign
  campaign_id      INTEGER NOT NULL REFERENCES campaigns(id),
  -- The value lists are spelled as ORs, not IN (...): SQLite builds a temporary table for an
  -- IN list of more than two constants on every execution of a one-row statement.
  state            TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state = 'pending' OR state = 'retrying' OR state = 'sending' OR state = 'sent' OR
                          state = 'failed' OR state = 'skipped' OR state = 'unknown'),
  reason           TEXT CHECK (reason IS NULL OR reason = 'rate_limited' OR reason = 'server_error' OR
                          reason = 'network' OR reason = 'timeout' OR reason = 'cannot_dm' OR reason = 'not_found' OR
                          reason = 'bad_request' OR reason = 'suppressed' OR reason = 'dry_run' OR
                          reason = 'account' OR reason = 'in_doubt' OR reason = 'cancelled'),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  claimed_by       INTEGER REFERENCES accounts(id),
  claimed_at       INTEGER,
  username         TEXT COLLATE NOCASE,  -- X handles are case-insensitive (and ASCII)
  user_id          TEXT,                 -- as given in the file
  resolved_user_id TEXT,                 -- found by a lookup when only the username was given
  last_http_status INTEGER,
  last_error       TEXT,
  message_id       TEXT,
  sent_at          INTEGER,
  text             TEXT NOT NULL,        -- the rendered message
  CHECK (username IS NOT NULL OR user_id IS NOT NULL)
);
-- No index on campaign_id alone: campaigns.first/last_recipient_id give a campaign's rows. And
-- duplicates (same username, any case, or same user_id) are collapsed by the import itself: see
-- storage/dedup_index.hpp for why there are no UNIQUE indexes.
-- The queue: small partial indexes, so a claim is O(log n) whatever the queue's size and touches
-- few pages (rows leave recipients_pending as they are claimed).
CREATE INDEX recipients_pending ON recipients (campaign_id) WHERE state = 'pending';
CREATE INDEX recipients_retrying ON recipients (campaign_id, next_attempt_at) WHERE state = 'retrying';
CREATE INDEX recipients_sending ON recipients (campaign_id) WHERE state = 'sending';
CREATE INDEX recipients_failures ON recipients (campaign_id)
  WHERE (state = 'failed' OR state = 'unknown' OR state = 'retrying');

-- Every send attempt (and every lookup that ended a recipient's turn), kept for inspection.
CREATE TABLE attempts (
  id           INTEGER PRIMARY KEY,
  recipient_id INTEGER NOT NULL REFERENCES recipients(id),
  account_id   INTEGER NOT NULL REFERENCES accounts(id),
  at           INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('send', 'lookup')),
  outcome      TEXT NOT NULL,  -- the recipient's state after the attempt
  http_status  INTEGER,
  error_class  TEXT,
  message_id   TEXT,
  error        TEXT            -- redacted before it gets here
);
CREATE INDEX attempts_recipient ON attempts (recipient_id);

-- The rolling 24 h cap (docs/send-rules.md#daily-cap): one row per attempt that counts, pruned once
-- out of the window.
-- WITHOUT ROWID: the key is the only access path, so one B-tree (one page written per entry).
CREATE TABLE send_ledger (
  account_id   INTEGER NOT NULL REFERENCES accounts(id),
  at           INTEGER NOT NULL,
  recipient_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, at, recipient_id)
) WITHOUT ROWID;

-- The global do-not-contact list: lowercase usernames and user ids.
CREATE TABLE suppression (
  key      TEXT PRIMARY KEY,
  added_at INTEGER NOT NULL
) WITHOUT ROWID;

-- username → user id (NULL: the user does not exist), shared by all accounts.
CREATE TABLE user_id_cache (
  username   TEXT PRIMARY KEY COLLATE NOCASE,
  user_id    TEXT,
  fetched_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Whether `account` may DM `user_id` (canDm answers differ per sender).
CREATE TABLE can_dm_cache (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  user_id    TEXT NOT NULL,
  can_dm     INTEGER NOT NULL CHECK (can_dm IN (0, 1)),
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id)
) WITHOUT ROWID;

-- x_api OAuth 2.0 tokens. X rotates the refresh token on every refresh, so the newest pair lives
-- here; `seed` is the config token they descend from, so a new token in the config replaces them.
CREATE TABLE oauth_tokens (
  account       TEXT PRIMARY KEY,
  access_token  TEXT NOT NULL,
  refresh_token TEXT NOT NULL,
  expires_at    INTEGER,
  seed          TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- ---- The stable interface (README.md#the-schema-stable-interface) ----

CREATE VIEW campaign_status AS
SELECT c.name AS campaign,
       CASE WHEN c.control = 'cancelled' THEN 'cancelled'
            WHEN n.pending + n.retrying + n.sending = 0 THEN 'done'
            WHEN c.control = 'paused' THEN 'paused'
            WHEN c.start_at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) THEN 'scheduled'
            ELSE 'active' END AS state,
       n.total, n.pending, n.retrying, n.sending, n.sent, n.failed, n.skipped, n.unknown,
       strftime('%Y-%m-%dT%H:%M:%SZ', c.created_at / 1000, 'unixepoch') AS created_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.last_sent_at / 1000, 'unixepoch') AS last_sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.finished_at / 1000, 'unixepoch') AS finished_at
FROM campaigns c JOIN campaign_counts n ON n.campaign_id = c.id
ORDER BY c.id;

-- A waiting state whose time has passed reads as 'ready', so the view stays true when no daemon runs.
CREATE VIEW account_status AS
WITH clock(now_ms) AS (SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)),
     used(account_id, n) AS (
       SELECT l.account_id, count(*) FROM send_ledger l, clock
       WHERE l.at > clock.now_ms - 86400000 GROUP BY l.account_id)
SELECT a.name AS account,
       a.provider,
       CASE WHEN a.state IN ('pacing', 'backoff', 'capped') AND coalesce(a.next_send_at <= clock.now_ms, 1)
            THEN 'ready' ELSE a.state END AS state,
       a.daily_cap,
       coalesce(used.n, 0) AS sent_24h,
       a.daily_cap - coalesce(used.n, 0) AS remaining_24h,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.next_send_at / 1000, 'unixepoch') AS next_send_at,
       a.last_error
FROM accounts a CROSS JOIN clock LEFT JOIN used ON used.account_id = a.id
WHERE a.configured = 1
ORDER BY a.id;

-- File order: campaigns in creation order, each one's id range in order, with no sort. The CROSS
-- JOIN keeps campaigns as the outer loop and the unary + keeps the campaign_id check a filter, so
-- the planner walks the id range rather than building an index on campaign_id.
CREATE VIEW recipient_status AS
SELECT c.name AS campaign,
       r.username,
       coalesce(r.user_id, r.resolved_user_id) AS user_id,
       r.state,
       r.reason,
       r.attempts,
       r.last_http_status,
       r.last_error,
       r.message_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.sent_at / 1000, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.next_attempt_at / 1000, 'unixepoch') AS next_attempt_at
FROM campaigns c CROSS JOIN recipients r
  ON r.id BETWEEN c.first_recipient_id AND c.last_recipient_id AND +r.campaign_id = c.id
ORDER BY c.id, r.id;

-- Same columns as recipient_status; the WHERE matches recipients_failures so it is an index scan.
CREATE VIEW failures AS
SELECT c.name AS campaign,
       r.username,
       coalesce(r.user_id, r.resolved_user_id) AS user_id,
       r.state,
       r.reason,
       r.attempts,
       r.last_http_status,
       r.last_error,
       r.message_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.sent_at / 1000, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.next_attempt_at / 1000, 'unixepoch') AS next_attempt_at
FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
WHERE (r.state = 'failed' OR r.state = 'unknown' OR r.state = 'retrying')
ORDER BY r.campaign_id, r.id;
)sql";

// Version 2: one person, one DM (docs/send-rules.md#one-person-one-dm). Two reasons join the CHECK
// list, and an index finds the rows that already reached a person (claimed, retrying, sent or
// unknown) by their id, given or resolved. It is partial, so an import of pending rows does not pay
// for it.
//
// SQLite cannot ALTER a CHECK constraint; copying a million-row table to change one would stall the
// first start. Its documented alternative (sqlite.org/lang_altertable.html, "making other kinds of
// table schema changes") rewrites the CREATE text in sqlite_schema, which is safe when every
// existing row satisfies the new constraint, as a longer list of allowed values does. The schema
// cookie is then bumped by migrate() (rewrites_schema_text) so every connection reloads it.
constexpr std::string_view kVersion2 = R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'reason = ''in_doubt'' OR reason = ''cancelled'')',
                     'reason = ''in_doubt'' OR reason = ''cancelled'' OR reason = ''duplicate'' OR ' ||
                     'reason = ''recently_contacted'')')
 WHERE type = 'table' AND name = 'recipients';
PRAGMA writable_schema = OFF;

CREATE INDEX recipients_contacted ON recipients (coalesce(user_id, resolved_user_id))
  WHERE state = 'sending' OR state = 'retrying' OR state = 'sent' OR state = 'unknown';
)sql";

// Version 3: imports in chunks (storage/import.hpp). A campaign is written over many short
// transactions, so that claims and records of running campaigns go on beside it; until its last
// one commits it is `importing` and nothing sees it: the views below skip it, its counts row and
// account links are only written by that last transaction, and a killed import leaves rows that
// the next import purges. The views are recreated with the filter; their columns do not change.
constexpr std::string_view kVersion3 = R"sql(
ALTER TABLE campaigns ADD COLUMN importing INTEGER NOT NULL DEFAULT 0 CHECK (importing IN (0, 1));

DROP VIEW campaign_status;
CREATE VIEW campaign_status AS
SELECT c.name AS campaign,
       CASE WHEN c.control = 'cancelled' THEN 'cancelled'
            WHEN n.pending + n.retrying + n.sending = 0 THEN 'done'
            WHEN c.control = 'paused' THEN 'paused'
            WHEN c.start_at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) THEN 'scheduled'
            ELSE 'active' END AS state,
       n.total, n.pending, n.retrying, n.sending, n.sent, n.failed, n.skipped, n.unknown,
       strftime('%Y-%m-%dT%H:%M:%SZ', c.created_at / 1000, 'unixepoch') AS created_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.last_sent_at / 1000, 'unixepoch') AS last_sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.finished_at / 1000, 'unixepoch') AS finished_at
FROM campaigns c JOIN campaign_counts n ON n.campaign_id = c.id
WHERE c.importing = 0
ORDER BY c.id;

DROP VIEW recipient_status;
CREATE VIEW recipient_status AS
SELECT c.name AS campaign,
       r.username,
       coalesce(r.user_id, r.resolved_user_id) AS user_id,
       r.state,
       r.reason,
       r.attempts,
       r.last_http_status,
       r.last_error,
       r.message_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.sent_at / 1000, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.next_attempt_at / 1000, 'unixepoch') AS next_attempt_at
FROM campaigns c CROSS JOIN recipients r
  ON r.id BETWEEN c.first_recipient_id AND c.last_recipient_id AND +r.campaign_id = c.id
WHERE c.importing = 0
ORDER BY c.id, r.id;

DROP VIEW failures;
CREATE VIEW failures AS
SELECT c.name AS campaign,
       r.username,
       coalesce(r.user_id, r.resolved_user_id) AS user_id,
       r.state,
       r.reason,
       r.attempts,
       r.last_http_status,
       r.last_error,
       r.message_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.sent_at / 1000, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.next_attempt_at / 1000, 'unixepoch') AS next_attempt_at
FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
WHERE (r.state = 'failed' OR r.state = 'unknown' OR r.state = 'retrying') AND c.importing = 0
ORDER BY r.campaign_id, r.id;
)sql";


// Version 4: the inbox (docs/send-rules.md#the-inbox) and the part-two status columns. New view
// columns are appended after the old ones, so a `SELECT *` written against version 3 reads the
// same leading columns. Columns for what later versions build (waiting rows, spending, audiences,
// hourly caps, warm-up) read as their neutral values until then.
constexpr std::string_view kVersion4 = R"sql(
ALTER TABLE campaigns ADD COLUMN paused_reason TEXT
  CHECK (paused_reason IS NULL OR paused_reason = 'operator' OR paused_reason = 'budget' OR
         paused_reason = 'failure_rate');
UPDATE campaigns SET paused_reason = 'operator' WHERE control = 'paused';
ALTER TABLE campaigns ADD COLUMN spent_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN audience TEXT;
ALTER TABLE campaign_counts ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaign_counts ADD COLUMN replied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN replied_at INTEGER;
-- Set when the campaign becomes active for an inbox-reading account: its inbox is read before the
-- campaign's first claim there (a "stop" sent between campaigns is seen first).
ALTER TABLE campaign_accounts ADD COLUMN inbox_read_needed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE suppression ADD COLUMN source TEXT NOT NULL DEFAULT 'operator'
  CHECK (source = 'operator' OR source = 'opt_out');
-- Whether the account's provider can read its DMs: core's reads_inbox(), written by
-- sync_accounts() at every start and reload; filled here for the accounts known before.
ALTER TABLE accounts ADD COLUMN reads_inbox INTEGER NOT NULL DEFAULT 0 CHECK (reads_inbox IN (0, 1));
UPDATE accounts SET reads_inbox = 1 WHERE provider = 'getxapi' OR provider = 'x_api';

-- One row per inbox-reading account that has been read.
CREATE TABLE inbox_state (
  account_id  INTEGER PRIMARY KEY REFERENCES accounts(id),
  own_user_id TEXT,     -- the account's own provider id, once known
  synced_at   INTEGER,  -- when the last completed read began
  -- Reading was refused: the inbox is off for this account (sends go on). account_status shows it
  -- as last_error while the account has no error of its own (a send's success clears that one).
  off_reason  TEXT
);

-- Every DM read from an account's inbox, so that nothing is matched or counted twice. No text:
-- only replies from recipients keep theirs (the replies table).
CREATE TABLE inbox_messages (
  account_id    INTEGER NOT NULL REFERENCES accounts(id),
  message_id    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  direction     TEXT NOT NULL CHECK (direction = 'in' OR direction = 'out'),
  other_user_id TEXT NOT NULL,
  PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE INDEX inbox_messages_time ON inbox_messages (account_id, created_at);
-- The account's latest message sent (its polls go on for `lookback` after it), without walking
-- past every message received since.
CREATE INDEX inbox_messages_sent ON inbox_messages (account_id, created_at) WHERE direction = 'out';

-- Replies from recipients, with their text (outreachd forget deletes them).
CREATE TABLE replies_kept (
  id           INTEGER PRIMARY KEY,
  account_id   INTEGER NOT NULL REFERENCES accounts(id),
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
  recipient_id INTEGER NOT NULL REFERENCES recipients(id),
  user_id      TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  text         TEXT NOT NULL
);
CREATE INDEX replies_kept_user ON replies_kept (user_id);
CREATE INDEX replies_kept_time ON replies_kept (received_at);

-- Sends whose delivery is in doubt, waiting for a read of their account's inbox: an `unknown` row
-- (retry_at NULL), or a `retrying` row whose retry waits for the read (retry_at: when it was due;
-- its next_attempt_at is NULL meanwhile, so no claim takes it). `text` is what the attempt carried.
-- Two times, since a crash blurs when the request went out: `started_at`, no later than the
-- request (the claim), opens the window a matching message may fall in; `settled_at`, no earlier
-- than the request's end (its answer, or the recovery after a crash), is when waiting
-- `reconcile_after` begins before an empty read can prove the DM absent.
CREATE TABLE inbox_checks (
  recipient_id INTEGER PRIMARY KEY REFERENCES recipients(id),
  account_id   INTEGER NOT NULL REFERENCES accounts(id),
  started_at   INTEGER NOT NULL,
  settled_at   INTEGER NOT NULL,
  text         TEXT NOT NULL,
  retry_at     INTEGER,
  may_requeue  INTEGER NOT NULL DEFAULT 1 CHECK (may_requeue IN (0, 1))
);
CREATE INDEX inbox_checks_account ON inbox_checks (account_id, started_at);

-- Upgrading: `unknown` rows of inbox-reading accounts are checked where the history still reaches
-- them, and never requeued automatically.
INSERT INTO inbox_checks (recipient_id, account_id, started_at, settled_at, text, retry_at, may_requeue)
SELECT r.id, r.claimed_by, coalesce(r.claimed_at, 0),
       CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), r.text, NULL, 0
FROM recipients r JOIN accounts a ON a.id = r.claimed_by
WHERE r.state = 'unknown' AND a.reads_inbox = 1;

DROP VIEW campaign_status;
CREATE VIEW campaign_status AS
SELECT c.name AS campaign,
       CASE WHEN c.control = 'cancelled' THEN 'cancelled'
            WHEN n.pending + n.retrying + n.sending + n.waiting = 0 THEN 'done'
            WHEN c.control = 'paused' THEN 'paused'
            WHEN c.start_at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) THEN 'scheduled'
            ELSE 'active' END AS state,
       n.total, n.pending, n.retrying, n.sending, n.sent, n.failed, n.skipped, n.unknown,
       strftime('%Y-%m-%dT%H:%M:%SZ', c.created_at / 1000, 'unixepoch') AS created_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.last_sent_at / 1000, 'unixepoch') AS last_sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', n.finished_at / 1000, 'unixepoch') AS finished_at,
       n.waiting, n.replied, c.spent_usd,
       CASE WHEN c.control = 'paused' AND n.pending + n.retrying + n.sending + n.waiting > 0
            THEN coalesce(c.paused_reason, 'operator') END AS paused_reason,
       c.audience
FROM campaigns c JOIN campaign_counts n ON n.campaign_id = c.id
WHERE c.importing = 0
ORDER BY c.id;

DROP VIEW account_status;
CREATE VIEW account_status AS
WITH clock(now_ms) AS (SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)),
     used(account_id, n, n_1h) AS (
       SELECT l.account_id, count(*), sum(l.at > clock.now_ms - 3600000) FROM send_ledger l, clock
       WHERE l.at > clock.now_ms - 86400000 GROUP BY l.account_id)
SELECT a.name AS account,
       a.provider,
       CASE WHEN a.state IN ('pacing', 'backoff', 'capped') AND coalesce(a.next_send_at <= clock.now_ms, 1)
            THEN 'ready' ELSE a.state END AS state,
       a.daily_cap,
       coalesce(used.n, 0) AS sent_24h,
       a.daily_cap - coalesce(used.n, 0) AS remaining_24h,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.next_send_at / 1000, 'unixepoch') AS next_send_at,
       coalesce(a.last_error, i.off_reason) AS last_error,
       NULL AS hourly_cap,
       coalesce(used.n_1h, 0) AS sent_1h,
       NULL AS warmup_day,
       0.0 AS spent_24h_usd,
       strftime('%Y-%m-%dT%H:%M:%SZ', i.synced_at / 1000, 'unixepoch') AS inbox_synced_at
FROM accounts a CROSS JOIN clock LEFT JOIN used ON used.account_id = a.id
     LEFT JOIN inbox_state i ON i.account_id = a.id
WHERE a.configured = 1
ORDER BY a.id;

DROP VIEW recipient_status;
CREATE VIEW recipient_status AS
SELECT c.name AS campaign,
       r.username,
       coalesce(r.user_id, r.resolved_user_id) AS user_id,
       r.state,
       r.reason,
       r.attempts,
       r.last_http_status,
       r.last_error,
       r.message_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.sent_at / 1000, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.next_attempt_at / 1000, 'unixepoch') AS next_attempt_at,
       r.step,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.replied_at / 1000, 'unixepoch') AS replied_at
FROM campaigns c CROSS JOIN recipients r
  ON r.id BETWEEN c.first_recipient_id AND c.last_recipient_id AND +r.campaign_id = c.id
WHERE c.importing = 0
ORDER BY c.id, r.id;

CREATE VIEW replies AS
SELECT c.name AS campaign,
       a.name AS account,
       r.username,
       k.user_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', k.received_at / 1000, 'unixepoch') AS received_at,
       k.text
FROM replies_kept k JOIN campaigns c ON c.id = k.campaign_id JOIN accounts a ON a.id = k.account_id
     JOIN recipients r ON r.id = k.recipient_id
ORDER BY k.received_at DESC, k.id DESC;

CREATE VIEW suppressions AS
SELECT key AS user, source, strftime('%Y-%m-%dT%H:%M:%SZ', added_at / 1000, 'unixepoch') AS added_at
FROM suppression
ORDER BY added_at, key;

-- Last: the reason list grows as version 2's did (its comment says why the text is rewritten).
-- After every ALTER TABLE of recipients, which computes where a new column goes from the table's
-- parsed definition, not from rewritten text; migrate() then bumps the schema cookie.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'reason = ''duplicate'' OR reason = ''recently_contacted'')',
                     'reason = ''duplicate'' OR reason = ''recently_contacted'' OR reason = ''reconciled'' OR ' ||
                     'reason = ''replied'' OR reason = ''opted_out'')')
 WHERE type = 'table' AND name = 'recipients';
PRAGMA writable_schema = OFF;
)sql";

constexpr std::array<Migration, 4> kMigrations{{{kVersion1, false}, {kVersion2, true}, {kVersion3, false}, {kVersion4, true}}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int current_schema_version() { return static_cast<int>(kMigrations.size()); }

}  // namespace outreach
