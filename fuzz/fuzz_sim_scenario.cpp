// daemon/simulator_scenario: the simulator's scenario JSON (compiled alone: Boost.JSON, no Asio).
// Invariants:
// - parse_scenario returns a value or an error; it never throws or crashes;
// - an error is one sentence that starts with its location: "scenario" or a field path such as
//   "users[3].id" or "faults[0].nth[1]" (or says the text is not valid JSON);
// - a parsed scenario keeps the documented rules (valid unique usernames and ids, refusal codes,
//   ranges that fit below 2^64, at most one trigger per fault, statuses and rates in range,
//   positive windows and delays, unique account names and tokens, faults naming known accounts,
//   replies of existing users with a text, a delay of at most 365d, a DM number >= 1 and known
//   accounts, x_api scopes that are X scopes and listed once);
// - a parsed scenario round-trips: written back as scenario JSON, it parses to the same values.
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "common.hpp"
#include "core/duration.hpp"
#include "daemon/sim/simulator_scenario.hpp"

using namespace outreach;
namespace json = boost::json;

namespace {

bool valid_username(std::string_view s) {
  return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}
bool is_refusal(int code) { return code == 349 || code == 150 || code == 214 || code == 476; }

json::value keys(std::vector<SimApiKey> const& keys) {
  json::array out;
  for (auto const& k : keys) {
    json::object o{{"key", k.key}, {"subscription_inactive", k.subscription_inactive}};
    if (k.quota) o["quota"] = *k.quota;
    out.emplace_back(std::move(o));
  }
  return out;
}

json::value rate_limit(SimRateLimit const& rl) {
  return json::object{{"limit", rl.limit}, {"window", format_duration(rl.window)}};
}

json::object provider(SimProviderSettings const& p, ProviderKind kind) {
  json::object o{{"api_keys", keys(p.api_keys)}};
  if (p.rate_limit) o["rate_limit"] = rate_limit(*p.rate_limit);
  if (kind == ProviderKind::tweetapi) o["error_envelope"] = p.error_envelope == SimErrorEnvelope::a ? "a" : "b";
  if (kind == ProviderKind::twitterapi_io)
    o["bad_request_shape"] = p.bad_request_shape == SimBadRequestShape::detail ? "detail" : "error_message";
  return o;
}

std::string serialize(Scenario const& s) {
  json::object root;
  root["seed"] = s.seed;
  json::array users;
  for (auto const& u : s.users) {
    json::object o{{"username", u.username}, {"exists", u.exists},   {"name", u.name},
                   {"can_dm", u.can_dm},     {"refusal_code", u.refusal_code}, {"protected", u.protected_account},
                   {"suspended", u.suspended}};
    if (!u.id.empty()) o["id"] = u.id;
    json::array replies;
    for (auto const& r : u.replies) {
      json::object reply{{"after", format_duration(r.after)}, {"text", r.text}, {"dm", r.dm}};
      if (!r.account.empty()) reply["account"] = r.account;
      replies.emplace_back(std::move(reply));
    }
    if (!replies.empty()) o["replies"] = std::move(replies);
    users.emplace_back(std::move(o));
  }
  root["users"] = std::move(users);
  json::array ranges;
  for (auto const& r : s.user_ranges)
    ranges.emplace_back(json::object{{"prefix", r.prefix},
                                     {"count", r.count},
                                     {"first_id", std::to_string(r.first_id)},
                                     {"closed_every", r.closed_every},
                                     {"missing_every", r.missing_every}});
  root["user_ranges"] = std::move(ranges);
  json::array accounts;
  for (auto const& a : s.accounts) {
    json::object o{{"name", a.name},       {"provider", to_string(a.provider)}, {"user_id", a.user_id},
                   {"username", a.username}, {"daily_cap", a.daily_cap},       {"state", to_string(a.state)}};
    if (a.provider == ProviderKind::x_api) {
      o["access_token"] = a.access_token;
      o["refresh_token"] = a.refresh_token;
      json::array scopes;
      for (auto const& scope : a.scopes) scopes.emplace_back(scope);
      o["scopes"] = std::move(scopes);
    } else {
      o["token"] = a.token;
    }
    accounts.emplace_back(std::move(o));
  }
  root["accounts"] = std::move(accounts);
  json::object x{{"client_id", s.x_api.client_id},
                 {"access_token_ttl", format_duration(s.x_api.access_token_ttl)},
                 {"rate_limit", rate_limit(s.x_api.rate_limit)},
                 {"problem_host", s.x_api.problem_host},
                 {"revoke_on_refresh_reuse", s.x_api.revoke_on_refresh_reuse}};
  if (s.x_api.client_secret) x["client_secret"] = *s.x_api.client_secret;
  root["providers"] = json::object{{"getxapi", provider(s.getxapi, ProviderKind::getxapi)},
                                   {"twitterapi_io", provider(s.twitterapi_io, ProviderKind::twitterapi_io)},
                                   {"tweetapi", provider(s.tweetapi, ProviderKind::tweetapi)},
                                   {"x_api", std::move(x)}};
  json::array faults;
  for (auto const& f : s.faults) {
    json::object o{{"kind", to_string(f.kind)}, {"endpoint", to_string(f.endpoint)}};
    if (f.provider) o["provider"] = to_string(*f.provider);
    if (!f.recipient.empty()) o["recipient"] = f.recipient;
    if (!f.account.empty()) o["account"] = f.account;
    if (f.rate) o["rate"] = *f.rate;
    if (!f.nth.empty()) {
      json::array nth;
      for (auto n : f.nth) nth.emplace_back(n);
      o["nth"] = std::move(nth);
    }
    if (f.every) o["every"] = f.every;
    if (f.times) o["times"] = *f.times;
    switch (f.kind) {
      case SimFaultKind::server_error:
        o["status"] = f.status;
        o["deliver"] = f.deliver;
        break;
      case SimFaultKind::proxy_error: o["status"] = f.status; break;
      case SimFaultKind::slow: o["delay"] = format_duration(f.delay); break;
      case SimFaultKind::rate_limited:
        o["retry_after"] = format_duration(f.retry_after);
        o["reset_headers"] = f.reset_headers;
        break;
      case SimFaultKind::cannot_dm: o["code"] = f.code; break;
      default: break;
    }
    faults.emplace_back(std::move(o));
  }
  root["faults"] = std::move(faults);
  return json::serialize(root);
}

bool same(Scenario const& a, Scenario const& b) {
  auto users = [](Scenario const& s) {
    using Reply = std::tuple<Duration, std::string, std::uint64_t, std::string>;
    std::vector<std::tuple<std::string, std::string, std::string, bool, bool, int, bool, bool, std::vector<Reply>>> out;
    for (auto const& u : s.users) {
      std::vector<Reply> replies;
      for (auto const& r : u.replies) replies.emplace_back(r.after, r.text, r.dm, r.account);
      out.emplace_back(u.username, u.id, u.name, u.exists, u.can_dm, u.refusal_code, u.protected_account, u.suspended,
                       std::move(replies));
    }
    return out;
  };
  auto ranges = [](Scenario const& s) {
    std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>> out;
    for (auto const& r : s.user_ranges) out.emplace_back(r.prefix, r.count, r.first_id, r.closed_every, r.missing_every);
    return out;
  };
  auto accounts = [](Scenario const& s) {
    std::vector<std::tuple<std::string, ProviderKind, std::string, std::string, std::string, std::string, std::string,
                           std::uint64_t, SimAccountState, std::vector<std::string>>>
        out;
    for (auto const& a : s.accounts)
      out.emplace_back(a.name, a.provider, a.token, a.access_token, a.refresh_token, a.user_id, a.username, a.daily_cap,
                       a.state, a.scopes);
    return out;
  };
  auto settings = [](SimProviderSettings const& p) {
    std::vector<std::tuple<std::string, std::optional<std::uint64_t>, bool>> k;
    for (auto const& key : p.api_keys) k.emplace_back(key.key, key.quota, key.subscription_inactive);
    std::optional<std::pair<std::uint64_t, Duration>> rl;
    if (p.rate_limit) rl = std::pair{p.rate_limit->limit, p.rate_limit->window};
    return std::tuple{k, rl, p.error_envelope, p.bad_request_shape};
  };
  auto faults = [](Scenario const& s) {
    std::vector<std::tuple<SimFaultKind, std::optional<ProviderKind>, SimEndpoint, std::string, std::string,
                           std::optional<double>, std::vector<std::uint64_t>, std::uint64_t, std::optional<std::uint64_t>,
                           int, Duration, Duration, bool, bool, int>>
        out;
    for (auto const& f : s.faults)
      out.emplace_back(f.kind, f.provider, f.endpoint, f.recipient, f.account, f.rate, f.nth, f.every, f.times, f.status,
                       f.delay, f.retry_after, f.reset_headers, f.deliver, f.code);
    return out;
  };
  auto x = [](SimXApiSettings const& v) {
    return std::tuple{v.client_id, v.client_secret, v.access_token_ttl, v.rate_limit.limit, v.rate_limit.window,
                      v.problem_host, v.revoke_on_refresh_reuse};
  };
  return a.seed == b.seed && users(a) == users(b) && ranges(a) == ranges(b) && accounts(a) == accounts(b) &&
         settings(a.getxapi) == settings(b.getxapi) && settings(a.twitterapi_io) == settings(b.twitterapi_io) &&
         settings(a.tweetapi) == settings(b.tweetapi) && x(a.x_api) == x(b.x_api) && faults(a) == faults(b);
}

void check_location(std::string const& message) {
  if (fuzz::starts_with(message, "scenario is not valid JSON: ")) return;
  static const std::vector<std::string_view> kRoots{"scenario:", "seed", "users",  "user_ranges",
                                                    "accounts",  "providers", "faults"};
  const bool located = std::any_of(kRoots.begin(), kRoots.end(), [&](std::string_view r) { return fuzz::starts_with(message, r); });
  FUZZ_CHECK(located, "an error without a location: " + fuzz::show(message));
  const auto colon = message.find(": ");
  FUZZ_CHECK(colon != std::string::npos && colon + 2 < message.size(), "an error without a sentence: " + fuzz::show(message));
}

void check_rules(Scenario const& s) {
  std::set<std::string> names, ids;
  for (auto const& u : s.users) {
    FUZZ_CHECK(valid_username(u.username), u.username);
    std::string lower = u.username;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    FUZZ_CHECK(names.insert(lower).second, "duplicate username " + u.username);
    FUZZ_CHECK(!u.exists || !u.id.empty(), "an existing user without id");
    if (!u.id.empty()) FUZZ_CHECK(ids.insert(u.id).second, "duplicate id " + u.id);
    FUZZ_CHECK(is_refusal(u.refusal_code), std::to_string(u.refusal_code));
  }
  for (auto const& r : s.user_ranges) {
    FUZZ_CHECK(r.count >= 1 && r.first_id >= 1 && r.first_id <= UINT64_MAX - r.count, "range bounds");
    FUZZ_CHECK(r.prefix.size() + std::to_string(r.count - 1).size() <= 15, "range usernames too long");
  }
  std::set<std::string> account_names;
  for (auto const& a : s.accounts) {
    FUZZ_CHECK(account_names.insert(a.name).second, "duplicate account " + a.name);
    FUZZ_CHECK(!a.user_id.empty(), "");
    FUZZ_CHECK(a.provider == ProviderKind::x_api ? !a.access_token.empty() : !a.token.empty(), "account without token");
    std::set<std::string> scopes;
    for (auto const& scope : a.scopes) {
      FUZZ_CHECK(scopes.insert(scope).second, "scope listed twice: " + scope);
      FUZZ_CHECK(!scope.empty() && scope.find(' ') == std::string::npos, fuzz::show(scope));
    }
  }
  for (auto const& u : s.users) {
    FUZZ_CHECK(u.replies.empty() || u.exists, "replies of a user that does not exist");
    for (auto const& r : u.replies) {
      FUZZ_CHECK(!r.text.empty(), "a reply without text");
      FUZZ_CHECK(r.after >= Duration{0} && r.after <= std::chrono::days(365), "reply delay " + format_duration(r.after));
      FUZZ_CHECK(r.dm >= 1, "reply dm");
      if (!r.account.empty()) FUZZ_CHECK(account_names.contains(r.account), "reply names an unknown account");
    }
  }
  for (auto const* p : {&s.getxapi, &s.twitterapi_io, &s.tweetapi}) {
    for (auto const& k : p->api_keys) FUZZ_CHECK(!k.key.empty(), "");
    if (p->rate_limit) FUZZ_CHECK(p->rate_limit->limit >= 1 && p->rate_limit->window > Duration{0}, "rate limit");
  }
  FUZZ_CHECK(s.x_api.access_token_ttl > Duration{0} && !s.x_api.client_id.empty(), "");
  FUZZ_CHECK(s.x_api.problem_host == "api.twitter.com" || s.x_api.problem_host == "api.x.com", s.x_api.problem_host);
  for (auto const& f : s.faults) {
    const int triggers = (f.rate ? 1 : 0) + (f.nth.empty() ? 0 : 1) + (f.every ? 1 : 0);
    FUZZ_CHECK(triggers <= 1, "more than one trigger");
    if (f.rate) FUZZ_CHECK(*f.rate >= 0.0 && *f.rate <= 1.0, "rate");
    for (auto n : f.nth) FUZZ_CHECK(n >= 1, "nth");
    if (f.kind == SimFaultKind::server_error) FUZZ_CHECK(f.status >= 500 && f.status <= 599, "status");
    if (f.kind == SimFaultKind::proxy_error) FUZZ_CHECK(f.status == 502 || f.status == 504, "status");
    if (f.kind == SimFaultKind::slow) FUZZ_CHECK(f.delay > Duration{0}, "delay");
    FUZZ_CHECK(is_refusal(f.code), "code");
    FUZZ_CHECK(f.retry_after >= Duration{0}, "retry_after");
    if (!f.account.empty()) FUZZ_CHECK(account_names.contains(f.account), "fault names an unknown account");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  Result<Scenario> parsed = make_error("not parsed");
  try {
    parsed = parse_scenario(text);
  } catch (std::exception const& e) {
    FUZZ_CHECK(false, std::string("parse_scenario threw: ") + e.what());
  }
  if (!parsed) {
    check_location(parsed.error().message);
    return 0;
  }
  check_rules(*parsed);
  const std::string again_text = serialize(*parsed);
  Result<Scenario> again = make_error("not parsed");
  try {
    again = parse_scenario(again_text);
  } catch (std::exception const& e) {
    FUZZ_CHECK(false, std::string("parse_scenario threw on the round trip: ") + e.what());
  }
  FUZZ_CHECK(again, "the written-back scenario is rejected: " + again.error().message + " in " + again_text);
  FUZZ_CHECK(same(*parsed, *again), "the scenario changed on a round trip: " + again_text);
  return 0;
}
