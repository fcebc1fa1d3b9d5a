#include "daemon/provider_session.hpp"

#include "daemon/http_client.hpp"

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

}  // namespace

ProviderSession::ProviderSession(HttpClient& client, std::string base_url, ProviderKind kind,
                                 ProviderCredentials provider, AccountCredentials account)
    : client_(client),
      base_url_(std::move(base_url)),
      codec_(make_codec(kind)),
      provider_(std::move(provider)),
      account_(std::move(account)) {}

boost::asio::awaitable<LookupOutcome> ProviderSession::lookup_by_id(std::string const& user_id,
                                                                    RetryContext const& ctx) {
  auto request = codec_->lookup_by_id_request(provider_, account_, user_id);
  if (!request) co_return LookupOutcome{config_problem(request.error()), std::nullopt, std::nullopt, 0, {}};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  if (exchange.transport != Transport::responded) {
    auto failure = transport_failure(exchange.transport, exchange.error);
    co_return LookupOutcome{classify(RequestKind::lookup, failure, ctx), std::nullopt, std::nullopt, 0, exchange.error};
  }
  UserLookup parsed = codec_->parse_lookup_by_id(exchange.response, provider_, account_, user_id, ctx.now);
  LookupOutcome out{classify(RequestKind::lookup, parsed.result, ctx), parsed.user_id, parsed.can_dm,
                    exchange.response.status, parsed.result.message};
  if (!out.user_id) out.user_id = user_id;
  co_return out;
}

boost::asio::awaitable<LookupOutcome> ProviderSession::lookup(std::string username, std::string user_id,
                                                              RetryContext ctx) {
  if (!user_id.empty()) co_return co_await lookup_by_id(user_id, ctx);

  auto request = codec_->lookup_by_username_request(provider_, account_, username);
  if (!request) co_return LookupOutcome{config_problem(request.error()), std::nullopt, std::nullopt, 0, {}};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  if (exchange.transport != Transport::responded) {
    auto failure = transport_failure(exchange.transport, exchange.error);
    co_return LookupOutcome{classify(RequestKind::lookup, failure, ctx), std::nullopt, std::nullopt, 0, exchange.error};
  }
  UserLookup parsed = codec_->parse_lookup_by_username(exchange.response, provider_, account_, username, ctx.now);
  LookupOutcome out{classify(RequestKind::lookup, parsed.result, ctx), parsed.user_id, parsed.can_dm,
                    exchange.response.status, parsed.result.message};
  // tweetapi: by-username only resolves the id; canDm comes from dm-permissions for that id.
  if (parsed.needs_dm_check && parsed.user_id && std::holds_alternative<decision::Sent>(out.decision))
    co_return co_await lookup_by_id(*parsed.user_id, ctx);
  co_return out;
}

boost::asio::awaitable<SendOutcome> ProviderSession::send(DmMessage message, RetryContext ctx) {
  auto request = codec_->send_request(provider_, account_, message);
  if (!request) co_return SendOutcome{config_problem(request.error()), {}, Duration{0}};
  HttpExchange exchange = co_await client_.send(base_url_, std::move(*request));
  ProviderResult result = exchange.transport == Transport::responded
                              ? codec_->parse_send(exchange.response, provider_, account_, ctx.now)
                              : transport_failure(exchange.transport, exchange.error);
  if (exchange.transport == Transport::responded) result.http_status = exchange.response.status;
  Decision decision = classify(RequestKind::send, result, ctx);
  co_return SendOutcome{std::move(decision), std::move(result), exchange.latency};
}

}  // namespace outreach
