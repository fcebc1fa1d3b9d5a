#pragma once
// What a daemon test is made of, as text: the accounts, the simulator's scenario, the daemon's
// config and the secrets it reads. Shared by the subprocess harness (tests/e2e/daemon_harness.hpp)
// and the in-process one (tests/runtime/runtime_harness.hpp), so both set up the same daemon.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace outreach::test {

/// A JSON value as text for comparisons: strings as they are, null as "<null>", numbers in decimal.
inline std::string str(boost::json::value const& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "<null>";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  return boost::json::serialize(v);
}

/// Milliseconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.mmm]Z".
inline std::int64_t iso_ms(std::string_view iso) {
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(iso.substr(pos, len))); };
  const std::chrono::year_month_day date{std::chrono::year{num(0, 4)}, std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(num(8, 2))}};
  std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::sys_days{date}.time_since_epoch())
                        .count();
  ms += ((num(11, 2) * 60 + num(14, 2)) * 60 + num(17, 2)) * 1000LL;
  if (iso.size() > 20 && iso[19] == '.') ms += num(20, 3);
  return ms;
}

/// One sending account, configured in both the scenario and the daemon's config. Its secrets are
/// derived from its name (session-NAME, access-NAME, refresh-NAME) and reach the daemon through
/// environment variables, as in production.
struct TestAccount {
  std::string name;
  std::string provider;   ///< getxapi | twitterapi_io | tweetapi | x_api
  std::string toml = {};  ///< extra lines for its [[accounts]] entry, e.g. "daily_cap = 3\n"
  std::string json = {};  ///< extra members for its scenario entry, e.g. R"("state": "expired")"
};

inline std::string env_key(std::string prefix, std::string const& name) {
  for (char c : name) prefix.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_');
  return prefix;
}

/// A scenario users array: open users, users with DMs closed, users that do not exist. Ids are
/// 1000000000000000001 … in the order given (open first, then closed).
inline std::string users_json(std::vector<std::string> const& open, std::vector<std::string> const& closed = {},
                              std::vector<std::string> const& missing = {}) {
  std::string out = "[";
  int n = 0;
  auto add = [&](std::string const& entry) { out += (out.size() > 1 ? ",\n    " : "\n    ") + entry; };
  for (auto const& u : open) add(R"({"username": ")" + u + R"(", "id": ")" + std::to_string(1000000000000000001LL + n++) + "\"}");
  for (auto const& u : closed)
    add(R"({"username": ")" + u + R"(", "id": ")" + std::to_string(1000000000000000001LL + n++) + R"(", "can_dm": false})");
  for (auto const& u : missing) add(R"({"username": ")" + u + R"(", "exists": false})");
  return out + "\n  ]";
}

/// The id users_json gives the i-th user (0-based).
inline std::string user_id(int i) { return std::to_string(1000000000000000001LL + i); }

/// How many times `part` occurs in `text` (e.g. a log line).
inline int count_of(std::string const& text, std::string const& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

/// `n` usernames: PREFIX0, PREFIX1, … ("user0", "user1", … unless told).
inline std::vector<std::string> user_names(int n, std::string const& prefix = "user") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

/// The members of a campaign's "recipients" array: one {"username": …} per name, in the order given.
inline std::string recipients_json(std::vector<std::string> const& usernames) {
  std::string out;
  for (auto const& u : usernames) out += std::string(out.empty() ? "" : ", ") + R"({"username": ")" + u + "\"}";
  return out;
}

/// A campaign file's text: `accounts` send `message` (put in as it is: no escaping) to `usernames`,
/// in the order given. `extra`: more top-level members, with a leading comma, e.g.
/// R"(, "start_at": "2026-11-23T10:00:00Z")".
inline std::string campaign_json(std::string const& name, std::vector<std::string> const& accounts,
                                 std::vector<std::string> const& usernames,
                                 std::string const& message = "Hi {{username}}", std::string const& extra = {}) {
  std::string list;
  for (auto const& a : accounts) list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
  return R"({"name": ")" + name + R"(", "accounts": [)" + list + R"(], "message": ")" + message +
         R"(", "recipients": [)" + recipients_json(usernames) + "]" + extra + "}";
}

/// How many DMs the simulator delivered to each recipient id, from its messages (either harness's
/// messages()).
inline std::map<std::string, int> deliveries_by_recipient(std::vector<boost::json::object> const& messages) {
  std::map<std::string, int> out;
  for (auto const& m : messages) ++out[str(m.at("recipient_id"))];
  return out;
}

/// The sending id the scenario gives the i-th account.
inline std::string sender_id(std::size_t i) { return std::to_string(1858475867762270001LL + static_cast<long long>(i)); }

/// The provider tables (each provider at base_url/NAME) and the [[accounts]] entries of a config.
inline std::string config_body(std::vector<TestAccount> const& accounts, std::string const& base_url) {
  std::string body;
  auto base = [&](std::string const& p) { return "base_url = \"" + base_url + "/" + p + "\"\n\n"; };
  body += "[providers.getxapi]\napi_key = { env = \"GX_KEY\" }\n" + base("getxapi");
  body += "[providers.twitterapi_io]\napi_key = { env = \"TIO_KEY\" }\n" + base("twitterapi_io");
  body += "[providers.tweetapi]\napi_key = { env = \"TWEET_KEY\" }\n" + base("tweetapi");
  body += "[providers.x_api]\nclient_id = \"demo-client-id\"\n" + base("x_api");
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    auto const& a = accounts[i];
    body += "[[accounts]]\nname = \"" + a.name + "\"\nprovider = \"" + a.provider + "\"\ntier = \"new\"\n";
    if (a.provider == "x_api") {
      body += "access_token = { env = \"" + env_key("ACCESS_", a.name) + "\" }\nrefresh_token = { env = \"" +
              env_key("REFRESH_", a.name) + "\" }\n";
    } else {
      body += "auth_token = { env = \"" + env_key("SESSION_", a.name) + "\" }\n";
    }
    if (a.provider == "twitterapi_io" || a.provider == "tweetapi") body += "proxy = \"http://user:pw@127.0.0.1:9\"\n";
    if (a.provider == "tweetapi" && a.toml.find("user_id") == std::string::npos)
      body += "user_id = \"" + sender_id(i) + "\"\n";
    body += a.toml + "\n";
  }
  return body;
}

/// The tests' [inbox]: an in-doubt send is checked 100 ms after its attempt (30 s in production),
/// so that a 5xx's retry, which waits for that check on getxapi and x_api accounts, still goes at its
/// backoff time, as the tests of other rules expect. The inbox tests set their own.
inline constexpr char const* kTestInbox = "reconcile_after = \"100ms\"";

/// A whole config: directories, pacing, retry, timeouts and [inbox], then `body`.
inline std::string config_text(std::string const& state_dir, std::string const& watch_dir, std::string const& body,
                               std::string const& pacing, std::string const& retry,
                               std::string const& inbox = kTestInbox) {
  return "state_dir = \"" + state_dir + "\"\nwatch_dir = \"" + watch_dir + "\"\nlog_level = \"debug\"\n\n[pacing]\n" +
         pacing + "\n\n[retry]\n" + retry + "\n\n[http]\nconnect_timeout = \"1s\"\nrequest_timeout = \"2s\"\n\n[inbox]\n" +
         inbox + "\n\n" + body;
}

/// Every secret the config refers to, as environment variables.
inline std::map<std::string, std::string> secret_vars(std::vector<TestAccount> const& accounts) {
  std::map<std::string, std::string> env{{"GX_KEY", "gx-key"}, {"TIO_KEY", "tio-key"}, {"TWEET_KEY", "tweet-key"}};
  for (auto const& a : accounts) {
    env[env_key("SESSION_", a.name)] = "session-" + a.name;
    env[env_key("ACCESS_", a.name)] = "access-" + a.name;
    env[env_key("REFRESH_", a.name)] = "refresh-" + a.name;
  }
  return env;
}

/// The simulator's scenario for `accounts` and `users` (users_json); `extra`: more top-level
/// members such as R"("faults": [...])" (no leading comma); `x_api`: the providers.x_api object.
inline std::string scenario_json(std::vector<TestAccount> const& accounts, std::string const& users,
                                 std::string const& extra = {},
                                 std::string const& x_api = R"({"client_id": "demo-client-id"})") {
  std::string s = "{\n  \"seed\": 7,\n  \"users\": " + users + ",\n  \"accounts\": [";
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    auto const& a = accounts[i];
    s += std::string(i ? ",\n" : "\n") + "    {\"name\": \"" + a.name + "\", \"provider\": \"" + a.provider +
         "\", \"user_id\": \"" + sender_id(i) + "\"";
    if (a.provider == "x_api") s += ", \"access_token\": \"access-" + a.name + "\", \"refresh_token\": \"refresh-" + a.name + "\"";
    else s += ", \"token\": \"session-" + a.name + "\"";
    if (!a.json.empty()) s += ", " + a.json;
    s += "}";
  }
  s += "\n  ],\n  \"providers\": {\"getxapi\": {\"api_keys\": [\"gx-key\"]}, \"twitterapi_io\": {\"api_keys\": [\"tio-key\"]}, "
       "\"tweetapi\": {\"api_keys\": [\"tweet-key\"]}, \"x_api\": " + x_api + "}";
  if (!extra.empty()) s += ",\n  " + extra;
  return s + "\n}\n";
}

}  // namespace outreach::test
