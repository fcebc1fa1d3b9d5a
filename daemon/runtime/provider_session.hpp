#pragma once
// One account's view of its provider: the codec, the credentials and the shared HTTP client,
// combined into the operations a worker needs — "who is this recipient and may I DM them?", "send
// this DM" and, for x_api, "refresh the OAuth tokens" — each ending in a classified answer
// (core/send_machine.hpp). The session owns its credentials, so the token refresh lives here.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "core/outcome.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/inbox.hpp"
#include "core/send_machine.hpp"

namespace outreach {

class Clock;
class Database;
class HttpClient;

class ProviderSession {
 public:
  /// `db` keeps x_api's rotated refresh token (and is read for it); unused by the other providers.
  ProviderSession(HttpClient& client, std::string base_url, ProviderKind kind, ProviderCredentials provider,
                  AccountCredentials account, std::string account_name, Database& db, Clock& clock);

  ProviderKind kind() const { return codec_->kind(); }

  /// Resolves the recipient (username → id when needed) and checks canDm. tweetapi needs a second
  /// request (dm-permissions) after by-username; that is done here.
  boost::asio::awaitable<LookupAnswer> lookup(std::string username, std::string user_id, RetryContext ctx);

  /// Sends one DM. The caller has committed the recipient as `sending` before calling this.
  boost::asio::awaitable<SendAnswer> send(DmMessage message, RetryContext ctx);

  /// x_api: refreshes the OAuth tokens, persisting the rotated refresh token before the new access
  /// token is used (core/providers/x_oauth.hpp's contract). True when the session now holds a
  /// fresh access token; every failure is logged. The send loop and the inbox sync share the
  /// session: a refresh asked for while one is under way waits for it and takes its answer, since
  /// X rotates the refresh token and a second refresh with the old one would be refused.
  boost::asio::awaitable<bool> refresh_tokens();

  /// One page of the account's DM history (newest first; `cursor` from the previous page).
  /// `own_id`: the account's own id (x_api needs it; getxapi checks it when given).
  boost::asio::awaitable<InboxPage> read_inbox(std::optional<std::string> cursor, std::string own_id);
  /// x_api: the account's own id (`GET /2/users/me`).
  boost::asio::awaitable<OwnAccount> own_account();

 private:
  boost::asio::awaitable<bool> refresh_once();
  struct RefreshUnderWay {
    explicit RefreshUnderWay(boost::asio::any_io_executor ex) : done(std::move(ex)) {}
    boost::asio::steady_timer done;  ///< cancelled when the refresh ends: the waiters' signal
    bool ok = false;
  };
  std::shared_ptr<RefreshUnderWay> refresh_;

  boost::asio::awaitable<LookupAnswer> lookup_by_id(std::string const& user_id, RetryContext const& ctx);

  HttpClient& client_;
  std::string base_url_;
  std::unique_ptr<ProviderCodec> codec_;
  ProviderCredentials provider_;
  AccountCredentials account_;
  std::string account_name_;
  Database& db_;
  Clock& clock_;
};

/// A ProviderResult for an exchange that got no complete response (how far it got decides in-doubt).
ProviderResult transport_failure(Transport transport, std::string error);

}  // namespace outreach
