#pragma once
// One account's view of its provider: the codec, the credentials and the shared HTTP client,
// combined into the two operations a worker needs — "who is this recipient and may I DM them?"
// and "send this DM" — each ending in one classified Decision (core/outcome.hpp).
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "core/outcome.hpp"
#include "core/providers/codec.hpp"

namespace outreach {

class HttpClient;

struct LookupOutcome {
  Decision decision;                   ///< Sent = the lookup succeeded; FailedPermanent = not_found/cannot_dm
  std::optional<std::string> user_id;  ///< the resolved id, when the provider named the user
  std::optional<bool> can_dm;
  int http_status = 0;
  std::string error_text;  ///< redacted provider text or transport error, for the attempt row
};

struct SendOutcome {
  Decision decision;
  ProviderResult result;  ///< status, provider message (redacted), message id, hints
  Duration latency{0};
};

class ProviderSession {
 public:
  ProviderSession(HttpClient& client, std::string base_url, ProviderKind kind, ProviderCredentials provider,
                  AccountCredentials account);

  ProviderKind kind() const { return codec_->kind(); }

  /// Resolves the recipient (username → id when needed) and checks canDm. tweetapi needs a second
  /// request (dm-permissions) after by-username; that is done here.
  boost::asio::awaitable<LookupOutcome> lookup(std::string username, std::string user_id, RetryContext ctx);

  /// Sends one DM. The caller has committed the recipient as `sending` before calling this.
  boost::asio::awaitable<SendOutcome> send(DmMessage message, RetryContext ctx);

  /// x_api: the tokens after a refresh (the caller persists the rotated refresh token first).
  void set_oauth_tokens(Secret access_token, Secret refresh_token) {
    account_.access_token = std::move(access_token);
    account_.refresh_token = std::move(refresh_token);
  }
  AccountCredentials const& account() const { return account_; }
  ProviderCredentials const& provider() const { return provider_; }
  std::string const& base_url() const { return base_url_; }
  HttpClient& client() { return client_; }

 private:
  boost::asio::awaitable<LookupOutcome> lookup_by_id(std::string const& user_id, RetryContext const& ctx);

  HttpClient& client_;
  std::string base_url_;
  std::unique_ptr<ProviderCodec> codec_;
  ProviderCredentials provider_;
  AccountCredentials account_;
};

/// A ProviderResult for an exchange that got no complete response (how far it got decides in-doubt).
ProviderResult transport_failure(Transport transport, std::string error);

}  // namespace outreach
