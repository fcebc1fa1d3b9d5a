// The built-in demo scenario (`outreachd simulate` without --scenario). Kept as JSON text so it is
// parsed and checked exactly like a user's file, and `--print-default-scenario` can show it as a
// starting point. docs/simulator.md lists the users, keys and tokens the demo config relies on.
#include "daemon/sim/simulator_scenario.hpp"

namespace outreach {

std::string_view default_scenario_json() {
  static constexpr std::string_view kText = R"json({
  "seed": 20261201,
  "users": [
    {"username": "alice", "id": "1000000000000000001", "name": "Alice"},
    {"username": "bob", "id": "1000000000000000002", "name": "Bob"},
    {"username": "carol", "id": "1000000000000000003", "name": "Carol"},
    {"username": "dave", "id": "1000000000000000004", "name": "Dave"},
    {"username": "erin", "id": "1000000000000000005", "name": "Erin"},
    {"username": "frank", "id": "1000000000000000006", "name": "Frank"},
    {"username": "grace", "id": "1000000000000000007", "name": "Grace"},
    {"username": "heidi", "id": "1000000000000000008", "name": "Heidi"},
    {"username": "ivan", "id": "1000000000000000009", "name": "Ivan"},
    {"username": "judy", "id": "1000000000000000010", "name": "Judy"},
    {"username": "ken", "id": "1000000000000000011", "name": "Ken"},
    {"username": "laura", "id": "1000000000000000012", "name": "Laura"},
    {"username": "mike", "id": "1000000000000000013", "name": "Mike"},
    {"username": "nina", "id": "1000000000000000014", "name": "Nina"},
    {"username": "oscar", "id": "1000000000000000015", "name": "Oscar"},
    {"username": "peggy", "id": "1000000000000000016", "name": "Peggy"},
    {"username": "quentin", "id": "1000000000000000017", "name": "Quentin"},
    {"username": "rachel", "id": "1000000000000000018", "name": "Rachel"},
    {"username": "steve", "id": "1000000000000000019", "name": "Steve"},
    {"username": "tina", "id": "1000000000000000020", "name": "Tina"},
    {"username": "uma", "id": "1000000000000000021", "name": "Uma"},
    {"username": "victor", "id": "1000000000000000022", "name": "Victor"},
    {"username": "wendy", "id": "1000000000000000023", "name": "Wendy"},
    {"username": "xavier", "id": "1000000000000000024", "name": "Xavier"},
    {"username": "yara", "id": "1000000000000000025", "name": "Yara"},
    {"username": "zack", "id": "1000000000000000026", "name": "Zack"},
    {"username": "mallory", "id": "1000000000000000027", "name": "Mallory", "can_dm": false},
    {"username": "trent", "id": "1000000000000000028", "name": "Trent", "can_dm": false},
    {"username": "sybil", "id": "1000000000000000029", "name": "Sybil", "can_dm": false, "refusal_code": 150},
    {"username": "walter", "id": "1000000000000000030", "name": "Walter", "can_dm": false, "refusal_code": 214},
    {"username": "olivia_v", "id": "1000000000000000031", "name": "Olivia", "can_dm": false, "refusal_code": 476},
    {"username": "private_pat", "id": "1000000000000000032", "name": "Pat", "protected": true, "can_dm": false, "refusal_code": 150},
    {"username": "spam_bot_9000", "id": "1000000000000000033", "name": "Spam Bot", "suspended": true},
    {"username": "ghost", "exists": false},
    {"username": "deleted_user", "exists": false},
    {"username": "no_such_user", "exists": false}
  ],
  "user_ranges": [
    {"prefix": "load", "count": 1000000, "first_id": "5000000000000000000", "closed_every": 20, "missing_every": 50}
  ],
  "accounts": [
    {"name": "demo-getxapi-1", "provider": "getxapi", "token": "getxapi-session-1", "user_id": "1858475867762270001", "username": "demo_getx_1"},
    {"name": "demo-getxapi-2", "provider": "getxapi", "token": "getxapi-session-2", "user_id": "1858475867762270002", "username": "demo_getx_2"},
    {"name": "demo-twitterapi-io-1", "provider": "twitterapi_io", "token": "twitterapi-io-cookies-1", "user_id": "1858475867762270101", "username": "demo_twio_1"},
    {"name": "demo-tweetapi-1", "provider": "tweetapi", "token": "tweetapi-auth-token-1", "user_id": "1858475867762270208", "username": "demo_tweet_1"},
    {"name": "demo-x-api-1", "provider": "x_api", "access_token": "x-api-access-token-1", "refresh_token": "x-api-refresh-token-1", "user_id": "1858475867762270301", "username": "demo_x_1"}
  ],
  "providers": {
    "getxapi": {"api_keys": ["getxapi-demo-key"]},
    "twitterapi_io": {"api_keys": ["twitterapi-io-demo-key"]},
    "tweetapi": {"api_keys": ["tweetapi-demo-key"]},
    "x_api": {"client_id": "demo-client-id"}
  },
  "faults": []
}
)json";
  return kText;
}

}  // namespace outreach
