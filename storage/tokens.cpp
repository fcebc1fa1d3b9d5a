#include "storage/tokens.hpp"

#include <string>

#include "storage/sqlite.hpp"

namespace outreach {
namespace {

/// What a stored pair remembers of the config: its refresh token, or the access token when the
/// config has no refresh token.
std::string_view seed_of(StoredOAuthTokens const& config) {
  return config.refresh_token.empty() ? config.access_token.reveal() : config.refresh_token.reveal();
}

struct StoredTokens {
  StoredOAuthTokens tokens;
  std::string seed;
};

Result<std::optional<StoredTokens>> read_tokens(sql::Connection& conn, std::string_view account) {
  auto stmt = conn.prepare("SELECT access_token, refresh_token, expires_at, seed FROM oauth_tokens WHERE account = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, account);
  // Error texts never carry token values: only the account name is named.
  auto row = stmt->step("reading the stored tokens of account '" + std::string(account) + "'");
  if (!row) return row.error();
  if (!*row) return std::optional<StoredTokens>();
  StoredTokens out{{Secret(stmt->text_at(0)), Secret(stmt->text_at(1)), stmt->optional_time_at(2)}, stmt->text_at(3)};
  return std::optional<StoredTokens>(std::move(out));
}

}  // namespace

Result<StoredOAuthTokens> adopt_oauth_tokens(Database& db, std::string_view account,
                                             StoredOAuthTokens const& from_config, TimePoint now) {
  if (account.empty()) return make_error("cannot store tokens for an empty account name");
  if (from_config.access_token.empty() && from_config.refresh_token.empty())
    return make_error("account '" + std::string(account) + "' has neither an access token nor a refresh token");
  auto& conn = db.connection();
  std::string const what = "storing the tokens of account '" + std::string(account) + "'";
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto stored = read_tokens(conn, account);
  if (!stored) return stored.error();
  if (*stored && (*stored)->seed == seed_of(from_config)) return (*stored)->tokens;

  auto stmt = conn.prepare(
      "INSERT OR REPLACE INTO oauth_tokens (account, access_token, refresh_token, expires_at, seed, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt) return stmt.error();
  stmt->bind(1, account).bind(2, from_config.access_token.reveal()).bind(3, from_config.refresh_token.reveal());
  stmt->bind(4, from_config.expires_at).bind(5, seed_of(from_config)).bind(6, now);
  if (auto r = stmt->run(what); !r) return r.error();
  if (auto r = tx->commit(what); !r) return r.error();
  return from_config;
}

Result<void> save_rotated_tokens(Database& db, std::string_view account, StoredOAuthTokens const& tokens,
                                 TimePoint now) {
  if (tokens.access_token.empty())
    return make_error("refusing to store an empty access token for account '" + std::string(account) + "'");
  auto& conn = db.connection();
  std::string const what = "storing the refreshed tokens of account '" + std::string(account) + "'";
  // FULL: losing this write would leave only the dead refresh token after a power cut.
  auto tx = sql::Transaction::begin(conn, sql::Durability::full, what);
  if (!tx) return tx.error();
  auto stmt = conn.prepare(
      "UPDATE oauth_tokens SET access_token = ?2, refresh_token = ?3, expires_at = ?4, updated_at = ?5 "
      "WHERE account = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, account).bind(2, tokens.access_token.reveal()).bind(3, tokens.refresh_token.reveal());
  stmt->bind(4, tokens.expires_at).bind(5, now);
  if (auto r = stmt->run(what); !r) return r;
  if (conn.changes() != 1)
    return make_error(what + " failed: the account has no stored tokens (adopt the config's tokens first)");
  return tx->commit(what);
}

Result<std::optional<StoredOAuthTokens>> load_oauth_tokens(Database& db, std::string_view account) {
  auto stored = read_tokens(db.connection(), account);
  if (!stored) return stored.error();
  if (!*stored) return std::optional<StoredOAuthTokens>();
  return std::optional<StoredOAuthTokens>(std::move((*stored)->tokens));
}

}  // namespace outreach
