#include "daemon/runtime/session_factory.hpp"

#include <spdlog/spdlog.h>

#include "daemon/runtime/clock.hpp"
#include "daemon/runtime/provider_session.hpp"
#include "storage/tokens.hpp"

namespace outreach {

std::shared_ptr<ProviderSession> make_session(HttpClient& http, Config const& config, AccountConfig const& account,
                                              Database& db, Clock& clock) {
  ProviderConfig const* provider = config.find_provider(account.provider);
  ProviderCredentials pc;
  std::string base_url(default_base_url(account.provider));
  if (provider) {
    pc = ProviderCredentials{provider->api_key, provider->client_id, provider->client_secret};
    base_url = provider->base_url;
  }
  AccountCredentials ac;
  ac.auth_token = account.auth_token;
  if (account.proxy) ac.proxy = *account.proxy;
  if (account.user_id) ac.user_id = *account.user_id;
  ac.access_token = account.access_token;
  if (account.provider == ProviderKind::x_api) {
    // The rotated pair in the database wins over the config's, unless the config's changed.
    StoredOAuthTokens from_config{account.access_token, account.refresh_token, std::nullopt};
    if (auto adopted = adopt_oauth_tokens(db, account.name, from_config, clock.now())) {
      ac.access_token = adopted->access_token;
      ac.refresh_token = adopted->refresh_token;  // so the codecs scrub it from any echoed text
    } else {
      spdlog::error("account {}: cannot load its stored OAuth tokens: {}", account.name, adopted.error().message);
    }
  }
  return std::make_shared<ProviderSession>(http, base_url, account.provider, std::move(pc), std::move(ac),
                                           account.name, db, clock);
}

}  // namespace outreach
