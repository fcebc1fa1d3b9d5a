#pragma once
// Builds an account's ProviderSession from the config: the provider's keys and base URL, the
// account's credentials and, for x_api, the OAuth pair the database keeps (it rotates on refresh).
#include <memory>

#include "config/config.hpp"

namespace outreach {

class Clock;
class Database;
class HttpClient;
class ProviderSession;

std::shared_ptr<ProviderSession> make_session(HttpClient& http, Config const& config, AccountConfig const& account,
                                              Database& db, Clock& clock);

}  // namespace outreach
