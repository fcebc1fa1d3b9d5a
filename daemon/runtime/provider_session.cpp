#include "daemon/runtime/provider_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/providers/x_oauth.hpp"
#include "daemon/http/http_client.hpp"
#include "daemon/runtime/clock.hpp"
#include "storage/tokens.hpp"

namespace outreach {

ProviderResult transport_failure(Transport transport, std::string error) {
  ProviderResult r;
  r.transport = transport;
  r.message = std::move(error);
  return r;
}

namespace {

/// A request the codec refuses to build is an account configuration problem (missing proxy or
/// sender id): stop the account rather than fail recipients one by one.
Decision config_problem(Error const& error) { return decision::AccountStop{"cannot build request: " + error.message}; }

/// A read the codec cannot build (a credential the read needs is missing): nothing was sent, and
/// repeating it cannot help, so the inbox is turned off for the account (decide_inbox_read).
ProviderResult unbuildable_read(std::string why) {
  ProviderResult r;
  r.signal = ProviderSignal::read_refused;
  r.message = std::move(why);
  return r;
}

/// One read (an inbox page, the account's own id): the request as the codec built it, sent, and
/// its answer parsed by `parse`; whatever fails on the way is the answer's result.
template <class Answer, class Parse>
boost::asio::awaitable<Answer> read_exchange(HttpClient& client, std::string const& base_url,
                                             Result<HttpRequest> request, std::string_view what, Parse parse) {
  Answer out;
  if (!request) {
    out.result = unbuildable_read("cannot build " + std::string(what) + ": " + request.error().message);
    co_return out;
  }
  HttpExchange exchange = co_await client.send(base_url, std::move(*request));
  if (exchange.transport != Transport::responded) {
    out.result = transport_failure(exchange.transport, exchange.error);
    co_return out;
  }
  out = parse(exchange.response);
  out.result.http_status = exchange.response.status;
  co_return out;
}

LookupAnswer not_answered(HttpExchange const& exchange, RetryContext const& ctx) {
  return LookupAnswer{classify(RequestKind::lookup, transport_failure(exchange.transport, exchange.error), ctx),
                      std::nullopt, std::nullopt, 0};
}

}  // namespace

ProviderSession::ProviderSession(HttpClient& client, std::string base_url, ProviderKind kind,
                                 ProviderCredentials provider, AccountCredentials account, std::string account_name,
                                 Database& db, Clock& clock)
    : client_(client),
      base_url_(std::move(base_url)),
      codec_(make_codec(kind)),
      provider_(std::move(provider)),
      account_(std::move(account)),
      account_name_(std::move(account_name)),
      db_(db),
      clock_(clock) {}

boost::asio::awaitable<LookupAnswer> ProviderSession::lookup_by_id(std::string const& user_id,
                                                                   RetryContext const& ctx) {
  auto request = codec_->lookup_by_id_request(provider_, account_, user_id);
  if (!request) co_return LookupAnswer{config_problem(request.error()), std::nullopt, std::nullopt, 0};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  if (exchange.transport != Transport::responded) co_return not_answered(exchange, ctx);
  UserLookup parsed = codec_->parse_lookup_by_id(exchange.response, provider_, account_, user_id, ctx.now);
  LookupAnswer out{classify(RequestKind::lookup, parsed.result, ctx), parsed.user_id, parsed.can_dm,
                   exchange.response.status};
  if (!out.user_id) out.user_id = user_id;
  co_return out;
}

boost::asio::awaitable<LookupAnswer> ProviderSession::lookup(std::string username, std::string user_id,
                                                             RetryContext ctx) {
  if (!user_id.empty()) co_return co_await lookup_by_id(user_id, ctx);

  auto request = codec_->lookup_by_username_request(provider_, account_, username);
  if (!request) co_return LookupAnswer{config_problem(request.error()), std::nullopt, std::nullopt, 0};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  if (exchange.transport != Transport::responded) co_return not_answered(exchange, ctx);
  UserLookup parsed = codec_->parse_lookup_by_username(exchange.response, provider_, account_, username, ctx.now);
  LookupAnswer out{classify(RequestKind::lookup, parsed.result, ctx), parsed.user_id, parsed.can_dm,
                   exchange.response.status};
  // tweetapi: by-username only resolves the id; canDm comes from dm-permissions for that id.
  if (parsed.needs_dm_check && parsed.user_id && std::holds_alternative<decision::Sent>(out.decision))
    co_return co_await lookup_by_id(*parsed.user_id, ctx);
  co_return out;
}

boost::asio::awaitable<SendAnswer> ProviderSession::send(DmMessage message, RetryContext ctx) {
  auto request = codec_->send_request(provider_, account_, message);
  if (!request) co_return SendAnswer{config_problem(request.error()), 0, Duration{0}};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  ProviderResult result = exchange.transport == Transport::responded
                              ? codec_->parse_send(exchange.response, provider_, account_, ctx.now)
                              : transport_failure(exchange.transport, exchange.error);
  if (exchange.transport == Transport::responded) result.http_status = exchange.response.status;
  co_return SendAnswer{classify(RequestKind::send, result, ctx), result.http_status, exchange.latency};
}

boost::asio::awaitable<bool> ProviderSession::refresh_tokens() {
  if (auto under_way = refresh_) {
    boost::system::error_code ec;
    co_await under_way->done.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return under_way->ok;
  }
  auto mine = std::make_shared<RefreshUnderWay>(co_await boost::asio::this_coro::executor);
  mine->done.expires_at(boost::asio::steady_timer::time_point::max());
  refresh_ = mine;
  // However it ends (an exception included), the waiters are let go and the next refresh may begin.
  struct EndRefresh {
    ProviderSession& session;
    std::shared_ptr<RefreshUnderWay> const& mine;
    ~EndRefresh() {
      if (session.refresh_ == mine) session.refresh_.reset();
      mine->done.cancel();
    }
  } end{*this, mine};
  mine->ok = co_await refresh_once();
  co_return mine->ok;
}

boost::asio::awaitable<InboxPage> ProviderSession::read_inbox(std::optional<std::string> cursor, std::string own_id) {
  auto request = codec_->inbox_request(provider_, account_, cursor ? std::optional<std::string_view>(*cursor)
                                                                   : std::nullopt);
  co_return co_await read_exchange<InboxPage>(client_, base_url_, std::move(request), "the inbox request",
                                              [&](HttpResponse const& response) {
                                                return codec_->parse_inbox(response, provider_, account_, own_id,
                                                                           clock_.now());
                                              });
}

boost::asio::awaitable<OwnAccount> ProviderSession::own_account() {
  co_return co_await read_exchange<OwnAccount>(client_, base_url_, codec_->own_account_request(provider_, account_),
                                               "the /2/users/me request", [&](HttpResponse const& response) {
                                                 return codec_->parse_own_account(response, provider_, account_,
                                                                                  clock_.now());
                                               });
}

boost::asio::awaitable<bool> ProviderSession::refresh_once() {
  std::string const& account = account_name_;
  auto stored = load_oauth_tokens(db_, account);
  if (!stored || !*stored) {
    spdlog::error("account {}: no stored OAuth refresh token to refresh with", account);
    co_return false;
  }
  AccountCredentials credentials = account_;
  credentials.refresh_token = (*stored)->refresh_token;
  auto request = x_token_refresh_request(provider_, credentials);
  if (!request) {
    spdlog::error("account {}: cannot build the token refresh: {}", account, request.error().message);
    co_return false;
  }
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  if (exchange.transport != Transport::responded) {
    spdlog::error("account {}: token refresh failed: {}", account, exchange.error);
    co_return false;
  }
  TokenRefresh refreshed = parse_x_token_refresh(exchange.response, provider_, credentials, clock_.now());
  if (!refreshed.tokens) {
    spdlog::error("account {}: token refresh refused: HTTP {} {}", account, exchange.response.status,
                  refreshed.result.message);
    co_return false;
  }
  StoredOAuthTokens rotated{refreshed.tokens->access_token,
                            refreshed.tokens->refresh_token.value_or((*stored)->refresh_token),
                            refreshed.tokens->expires_at};
  if (auto saved = save_rotated_tokens(db_, account, rotated, clock_.now()); !saved) {
    // Without the new refresh token on disk, using the new access token risks losing the
    // account's authorization at the next restart: stop instead.
    spdlog::error("account {}: cannot store the rotated refresh token: {}", account, saved.error().message);
    co_return false;
  }
  account_.access_token = rotated.access_token;
  account_.refresh_token = rotated.refresh_token;  // so the codecs scrub it from any echoed text
  spdlog::info("account {}: OAuth access token refreshed", account);
  co_return true;
}

}  // namespace outreach
