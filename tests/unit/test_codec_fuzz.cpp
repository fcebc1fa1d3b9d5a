// Bounded, deterministic fuzzing of every provider parser: mutated fixtures, truncations, random
// bytes and random JSON built from the providers' own vocabulary, with random statuses and
// rate-limit headers. Each answer must be a valid classification: no crash (ASan/UBSan in CI),
// an in-range signal, no secret in any text, sane waits, and a decision from classify(). The inbox
// parsers (getxapi and x_api pages, x_api users/me) get the same treatment, decided by
// decide_inbox_read(), plus page invariants: all or nothing, decimal ids, the account involved.
#include <doctest/doctest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "core/inbox_read.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/codec_support.hpp"
#include "core/providers/x_oauth.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

namespace json = boost::json;

constexpr int kIterations = 20'000;  // per provider and per parser

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
const std::string kApiKey = "FUZZ-API-KEY-0011223344";
const std::string kAuthToken = "FUZZ-AUTH-TOKEN-5566778899";
const std::string kProxy = "http://fuzzuser:FuzzProxyPw77@10.9.8.7:3128";
const std::string kProxyPassword = "FuzzProxyPw77";
const std::string kAccess = "FUZZ-ACCESS-TOKEN-aabbcc";
const std::string kRefresh = "FUZZ-REFRESH-TOKEN-ddeeff";
const std::string kClientSecret = "FUZZ-CLIENT-SECRET-778899";
const std::vector<std::string> kSecrets{kApiKey, kAuthToken, kProxy, kProxyPassword, kAccess, kRefresh, kClientSecret};

ProviderCredentials provider() { return ProviderCredentials{Secret(kApiKey), "fuzz-client", Secret(kClientSecret)}; }
AccountCredentials account() {
  return AccountCredentials{Secret(kAuthToken), Secret(kProxy), "1000000000000000002", Secret(kAccess), Secret(kRefresh)};
}

enum class Parser { send, by_username, by_id, refresh };

struct Target {
  std::string name;
  ProviderKind kind;
  Parser parser;
  std::vector<std::string> own;  ///< this parser's success fixtures, drawn more often
};

using Rng = std::mt19937_64;

std::size_t below(Rng& rng, std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); }

template <class T>
T const& pick(Rng& rng, std::vector<T> const& v) {
  return v[below(rng, v.size())];
}

/// Fixture bodies in the shapes of docs/providers.md, plus variants that echo secrets back.
std::vector<std::string> seeds() {
  std::vector<std::string> s{
      // GetXAPI
      R"({"status":"success","msg":"DM sent successfully","data":{"id":"2019384131067818211","createdAt":"2026-02-05T12:14:29.846Z","senderId":"1","recipientId":"2","text":"Hello!","recipient_username":"target_user"}})",
      R"({"error":"Missing required field: recipient_id or recipient_username"})",
      R"({"error":"Invalid auth_token - could not extract userId"})",
      R"J({"error":"You cannot send messages to this user. (349)"})J",
      R"({"data":{"id":"44196397","userName":"someone","canDm":true},"status":"success","msg":""})",
      // twitterapi.io
      R"({"message_id":"1234567890123456789","status":"success","msg":""})",
      R"({"status":"error","msg":"Sorry, something went wrong"})",
      R"({"detail":"Field required: user_id"})",
      R"({"error":400,"message":"Invalid proxy format"})",
      R"({"data":{"type":"user","id":"44196397","userName":"someone","canDm":true,"unavailable":false},"status":"success","msg":""})",
      R"({"users":[{"id":"12","canDm":false},{"id":"44196397","canDm":true,"unavailable":true,"unavailableReason":"Suspended"}],"status":"success","msg":""})",
      // tweetapi
      R"({"message":{"id":"7000000000000000001","conversationId":"1000000000000000001-1000000000000000002","senderId":"1000000000000000001","recipientId":"1000000000000000002","text":"Hello!","editCount":0},"users":[{"id":"1000000000000000001","username":"user_one","location":null}]})",
      R"({"error":{"code":"RATE_LIMIT","message":"Too many requests","details":{"retryAfter":60}}})",
      R"({"error":{"code":"BAD_REQUEST","message":"send failed","details":{"errorCode":349}}})",
      R"({"statusCode":429,"message":"Rate limited","code":"QUOTA_EXHAUSTED"})",
      R"({"statusCode":502,"message":"Proxy failed","code":"PROXY_ERROR"})",
      R"({"permissions":[{"userId":"34743251","canDm":false,"errorCode":349},{"userId":"44196397","canDm":true}],"users":[{"id":"34743251","username":"SpaceX"}]})",
      R"({"data":{"id":"34743251","username":"SpaceX","name":"SpaceX","isProtected":false}})",
      R"({"permissions":[{"userId":"34743251","canDm":true}]})",
      R"({"users":[{"id":"34743251","canDm":true}],"status":"success","msg":""})",
      R"({"data":{"id":"34743251","canDm":true,"receives_your_dm":true},"status":"success"})",
      // X API v2
      R"({"data":{"dm_conversation_id":"123123123-456456456","dm_event_id":"1146654567674912769"}})",
      R"({"type":"about:blank","title":"Unauthorized","detail":"Unauthorized","status":401})",
      R"({"detail":"credits depleted","status":402,"title":"Payment Required","type":"https://api.x.com/2/problems/credits-depleted"})",
      R"({"detail":"x","status":403,"title":"Authorization Error","type":"https://api.twitter.com/2/problems/not-authorized-for-resource"})",
      R"({"account_id":1,"title":"UsageCapExceeded","period":"Monthly","type":"https://api.twitter.com/2/problems/usage-capped"})",
      R"({"errors":[{"value":"x","detail":"Could not find user with username: [x].","title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found"}]})",
      R"({"errors":[{"code":151,"message":"There was an error sending your message: Whoops! You already said that."}]})",
      R"({"data":{"id":"2244994945","name":"X Dev","username":"XDevelopers","receives_your_dm":false}})",
      R"({"token_type":"bearer","expires_in":7200,"access_token":"NEW","scope":"dm.write","refresh_token":"NEWR"})",
      R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})",
      // Echoes of secrets in every text field the parsers read.
      R"({"status":"error","msg":"cookie )" + kAuthToken + " proxy " + kProxy + R"("})",
      R"({"error":"key )" + kApiKey + " pw " + kProxyPassword + R"("})",
      R"({"error":{"code":"UNAUTHORIZED","message":"authToken )" + kAuthToken + R"( via 10.9.8.7:3128@fuzzuser:FuzzProxyPw77"}})",
      R"({"title":"Unauthorized","detail":"token )" + kAccess + R"("})",
      R"({"error":"invalid_grant","error_description":")" + kRefresh + " " + kClientSecret + R"("})",
      "<html><body>502 Bad Gateway " + kApiKey + "</body></html>",
      "",
  };
  return s;
}

/// Strings the parsers look for, to steer random JSON into their branches.
const std::vector<std::string> kKeys{
    "status", "msg", "message", "error", "detail", "data", "id", "canDm", "unavailable", "unavailableReason",
    "message_id", "users", "code", "statusCode", "details", "retryAfter", "errorCode", "permissions", "userId",
    "errors", "type", "title", "dm_event_id", "dm_conversation_id", "receives_your_dm", "access_token",
    "refresh_token", "expires_in", "token_type", "error_description", "value", "parameters", "login_cookies"};

const std::vector<std::string> kStrings{
    "success", "error", "", " ", "44196397", "34743251", "2244994945", "7000000000000000001", "-1", "1e3",
    "18446744073709551616", "abc", "RATE_LIMIT", "RATE_LIMITED", "QUOTA_EXHAUSTED", "SUBSCRIPTION_INACTIVE",
    "PROXY_ERROR", "PROXY_TIMEOUT", "UNAUTHORIZED", "ACCOUNT_SUSPENDED", "NOT_FOUND", "VALIDATION_ERROR",
    "https://api.x.com/2/problems/usage-capped", "https://api.twitter.com/2/problems/resource-not-found",
    "https://api.x.com/2/problems/not-authorized-for-resource", "https://api.x.com/2/problems/client-forbidden",
    "https://api.x.com/2/problems/credits-depleted", "https://api.x.com/2/problems/", "about:blank", "UsageCapExceeded",
    "You cannot send messages to this user. (349)", "code 226 automated", "(151) Whoops", "code 88", "error 476",
    "User not found", "login failed", "cookie expired", "bearer", "mac", "\xC3\x28 invalid utf8", "\xE2\x9C\x93",
    std::string(400, 'x'), "\x01\x02\x7f", kApiKey, kAuthToken, kProxy, kProxyPassword, kAccess, kRefresh, kClientSecret,
    "10.9.8.7:3128@fuzzuser:FuzzProxyPw77", "FUZZ-AUTH-TOKEN-5566778899%20"};

json::value random_scalar(Rng& rng, std::vector<std::string> const& strings = kStrings) {
  switch (below(rng, 9)) {
    case 0: return json::value(pick(rng, strings));
    case 1: return json::value(pick(rng, strings));
    case 2: return json::value(static_cast<std::int64_t>(rng()));
    case 3: return json::value(static_cast<std::uint64_t>(rng()));
    case 4: {
      static const std::vector<std::int64_t> ints{0, -1, 1, 60, 88, 150, 151, 214, 226, 349, 354, 476, 999, 7200,
                                                  44196397, 34743251, 2244994945, 400, 401, 403, 404, 429, 500, 502, 503};
      return json::value(pick(rng, ints));
    }
    case 5: return json::value(static_cast<double>(rng() % 100000) / 7.0);
    case 6: return json::value(1e308);
    case 7: return json::value(below(rng, 2) == 0);
    default: return json::value(nullptr);
  }
}

json::value random_json(Rng& rng, int depth, std::vector<std::string> const& keys = kKeys,
                        std::vector<std::string> const& strings = kStrings) {
  const std::size_t roll = below(rng, depth >= 4 ? 1 : 10);
  if (roll == 0 || roll > 6) return random_scalar(rng, strings);
  if (roll <= 4) {
    json::object o;
    const std::size_t n = below(rng, 6);
    for (std::size_t i = 0; i < n; ++i) o[pick(rng, keys)] = random_json(rng, depth + 1, keys, strings);
    return o;
  }
  json::array a;
  const std::size_t n = below(rng, 4);
  for (std::size_t i = 0; i < n; ++i) a.push_back(random_json(rng, depth + 1, keys, strings));
  return a;
}

std::string random_bytes(Rng& rng, std::size_t max_len) {
  std::string s(below(rng, max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

std::string mutate(Rng& rng, std::string body, std::vector<std::string> const& corpus) {
  static const std::vector<std::string> tokens{"{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "0", "-",
                                               "1e999", "\\", "\\u0000", "\\ud800", "349", "\"status\":\"success\"",
                                               "\"data\":", "\"error\":", "{\"id\":\"1\"}", "\xff", "\n"};
  const std::size_t rounds = 1 + below(rng, 4);
  for (std::size_t round = 0; round < rounds; ++round) {
    switch (below(rng, 8)) {
      case 0:  // truncate
        body.resize(below(rng, body.size() + 1));
        break;
      case 1:  // flip bytes
        for (std::size_t i = 0, n = 1 + below(rng, 3); i < n && !body.empty(); ++i)
          body[below(rng, body.size())] = static_cast<char>(rng() & 0xFF);
        break;
      case 2:  // insert a token
        body.insert(below(rng, body.size() + 1), pick(rng, tokens));
        break;
      case 3:  // delete a range
        if (!body.empty()) {
          const std::size_t at = below(rng, body.size());
          body.erase(at, below(rng, body.size() - at + 1));
        }
        break;
      case 4:  // duplicate a range
        if (!body.empty()) {
          const std::size_t at = below(rng, body.size());
          const std::size_t len = below(rng, std::min<std::size_t>(64, body.size() - at) + 1);
          body.insert(below(rng, body.size() + 1), body.substr(at, len));
        }
        break;
      case 5: {  // splice with another fixture
        std::string const& other = pick(rng, corpus);
        body = body.substr(0, below(rng, body.size() + 1)) + other.substr(below(rng, other.size() + 1));
        break;
      }
      case 6:  // insert a secret (raw or URL-encoded)
        body.insert(below(rng, body.size() + 1), below(rng, 2) ? pick(rng, kSecrets) : url_encode(pick(rng, kSecrets)));
        break;
      default:  // replace a digit run's neighbourhood with an X code
        body.insert(below(rng, body.size() + 1), below(rng, 2) ? " (349)" : " code 226 ");
        break;
    }
  }
  return body;
}

std::string random_body(Rng& rng, std::vector<std::string> const& corpus, std::vector<std::string> const& own,
                        std::vector<std::string> const& keys = kKeys, std::vector<std::string> const& strings = kStrings) {
  switch (below(rng, 12)) {
    case 0: return pick(rng, corpus);
    case 10: return pick(rng, own);
    case 11: return mutate(rng, pick(rng, own), corpus);
    case 1: return random_bytes(rng, 64);
    case 2:
    case 3:
    case 4: return boost::json::serialize(random_json(rng, 0, keys, strings));
    case 5: {  // random JSON, then damaged
      return mutate(rng, boost::json::serialize(random_json(rng, 0, keys, strings)), corpus);
    }
    default: return mutate(rng, pick(rng, corpus), corpus);
  }
}

int random_status(Rng& rng) {
  static const std::vector<int> statuses{200, 200, 201, 204, 400, 401, 402, 403, 404, 405, 409, 422, 429, 429,
                                         500, 502, 503, 504, 0, 100, 302, 600, 999, -1};
  return below(rng, 8) == 0 ? static_cast<int>(below(rng, 1000)) : pick(rng, statuses);
}

HttpHeaders random_headers(Rng& rng) {
  static const std::vector<std::string> names{"Retry-After", "retry-after", "x-rate-limit-reset", "X-RateLimit-Reset",
                                              "x-user-limit-24hour-remaining", "x-user-limit-24hour-reset",
                                              "x-rate-limit-remaining", "Content-Type"};
  static const std::vector<std::string> values{
      "0", "1", "30", "120", "-5", "", " ", "1.5", "999999999", "9999999999999999999999999", "1795424400",
      "1795424400.5", "Mon, 23 Nov 2026 09:05:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 2026 00:00:00 GMT",
      "Sun, 99 Foo 9999 99:99:99 GMT", "Sun,", "application/json", "text/html", "\xff\xfe", "0x10", "+5"};
  HttpHeaders headers;
  const std::size_t n = below(rng, 5);
  for (std::size_t i = 0; i < n; ++i) {
    std::string value = below(rng, 6) == 0 ? random_bytes(rng, 20) : pick(rng, values);
    if (below(rng, 8) == 0) {  // a reset near now, to exercise the plausible branch
      value = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count() +
                             static_cast<std::int64_t>(below(rng, 200000)));
    }
    headers.emplace_back(pick(rng, names), std::move(value));
  }
  return headers;
}

bool contains_secret(std::string const& text) {
  for (std::string const& s : kSecrets)
    if (text.find(s) != std::string::npos) return true;
  return false;
}

/// Empty when `r` is a valid classification of `resp`; otherwise what is wrong.
std::string check_result(ProviderResult const& r, HttpResponse const& resp, RequestKind kind, Rng& rng) {
  if (r.transport != Transport::responded) return "transport changed";
  if (r.http_status != resp.status) return "status not copied";
  const int signal = static_cast<int>(r.signal);
  if (signal < static_cast<int>(ProviderSignal::none) || signal > static_cast<int>(ProviderSignal::malformed))
    return "signal out of range";
  if (contains_secret(r.message) || contains_secret(r.provider_code) || contains_secret(r.message_id))
    return "secret leaked: " + r.message;
  if (r.message.size() > 700) return "message too long";
  if (r.provider_code.size() > codec::kMaxMessage + 3) return "provider_code too long";
  if (r.message_id.size() > 64) return "message_id too long";
  if (r.x_code && !codec::is_known_x_code(*r.x_code)) return "unknown x_code";
  if (r.retry_after && (*r.retry_after < 0ms || *r.retry_after > std::chrono::hours{24 * 31})) return "implausible retry_after";
  if (r.reset_at && *r.reset_at > kNow + std::chrono::hours{24 * 31}) return "implausible reset_at";
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  if (r.signal == ProviderSignal::success && !ok_status) return "success on a non-2xx status";
  const bool is_json = codec::parse_json(resp.body).has_value();
  if (ok_status && !is_json && r.signal != ProviderSignal::malformed) return "unreadable 2xx not malformed";

  RetryContext ctx{1 + static_cast<int>(below(rng, 5)), 5, BackoffPolicy{30s, 1h}, static_cast<double>(below(rng, 1000)) / 1000.0, kNow};
  const Decision d = classify(kind, r, ctx);
  if (auto const* wait = std::get_if<decision::RateLimitedWait>(&d); wait && wait->until < kNow) return "wait in the past";
  if (auto const* retry = std::get_if<decision::RetryLater>(&d); retry && retry->delay < 0ms) return "negative retry delay";
  if (kind == RequestKind::send && ok_status && !is_json && !std::holds_alternative<decision::InDoubt>(d))
    return "unreadable 2xx send not in doubt";
  return {};
}

std::string check_lookup(UserLookup const& l, HttpResponse const& resp, Target const& t, Rng& rng) {
  if (auto why = check_result(l.result, resp, RequestKind::lookup, rng); !why.empty()) return why;
  if (l.user_id && !codec::is_decimal_id(*l.user_id)) return "non-decimal user_id";
  if (l.result.signal == ProviderSignal::success && !l.user_id) return "success without user_id";
  if (l.result.signal == ProviderSignal::success && l.can_dm == false) return "success with can_dm false";
  if (l.can_dm == false && l.result.signal != ProviderSignal::recipient_refused && !l.result.x_code)
    return "can_dm false without a refusal";
  if (l.needs_dm_check && !(l.result.signal == ProviderSignal::success && t.kind == ProviderKind::tweetapi &&
                            t.parser == Parser::by_username))
    return "needs_dm_check outside tweetapi's by-username success";
  return {};
}

struct Outcome {
  std::string why;  ///< empty when valid
  ProviderSignal signal = ProviderSignal::none;
};

Outcome run_one(Target const& t, HttpResponse const& resp, Rng& rng) {
  const auto codec = make_codec(t.kind);
  switch (t.parser) {
    case Parser::send: {
      auto r = codec->parse_send(resp, provider(), account(), kNow);
      return {check_result(r, resp, RequestKind::send, rng), r.signal};
    }
    case Parser::by_username: {
      auto l = codec->parse_lookup_by_username(resp, provider(), account(), "someone", kNow);
      return {check_lookup(l, resp, t, rng), l.result.signal};
    }
    case Parser::by_id: {
      auto l = codec->parse_lookup_by_id(resp, provider(), account(), "34743251", kNow);
      return {check_lookup(l, resp, t, rng), l.result.signal};
    }
    case Parser::refresh: {
      auto tr = parse_x_token_refresh(resp, provider(), account(), kNow);
      std::string why = check_result(tr.result, resp, RequestKind::lookup, rng);
      if (why.empty() && tr.tokens.has_value() != (tr.result.signal == ProviderSignal::success)) why = "tokens without success";
      if (why.empty() && tr.tokens && (tr.tokens->access_token.empty() || tr.tokens->expires_in <= 0ms)) why = "unusable tokens";
      return {why, tr.result.signal};
    }
  }
  return {"unknown parser", ProviderSignal::none};
}

std::vector<Target> targets() {
  const std::string profile = R"({"data":{"id":"34743251","userName":"someone","canDm":true,"receives_your_dm":true},"status":"success","msg":""})";
  return {
      {"getxapi send", ProviderKind::getxapi, Parser::send,
       {R"({"status":"success","msg":"DM sent successfully","data":{"id":"2019384131067818211"}})"}},
      {"getxapi lookup_by_username", ProviderKind::getxapi, Parser::by_username, {profile}},
      {"getxapi lookup_by_id", ProviderKind::getxapi, Parser::by_id, {profile}},
      {"twitterapi_io send", ProviderKind::twitterapi_io, Parser::send,
       {R"({"message_id":"1234567890123456789","status":"success","msg":""})"}},
      {"twitterapi_io lookup_by_username", ProviderKind::twitterapi_io, Parser::by_username, {profile}},
      {"twitterapi_io lookup_by_id", ProviderKind::twitterapi_io, Parser::by_id,
       {R"({"users":[{"id":"34743251","canDm":true}],"status":"success","msg":""})"}},
      {"tweetapi send", ProviderKind::tweetapi, Parser::send,
       {R"({"message":{"id":"7000000000000000001","conversationId":"1-2","text":"Hello!"},"users":[]})"}},
      {"tweetapi lookup_by_username", ProviderKind::tweetapi, Parser::by_username,
       {R"({"data":{"id":"34743251","username":"SpaceX"}})"}},
      {"tweetapi lookup_by_id", ProviderKind::tweetapi, Parser::by_id,
       {R"({"permissions":[{"userId":"34743251","canDm":true}],"users":[]})"}},
      {"x_api send", ProviderKind::x_api, Parser::send,
       {R"({"data":{"dm_conversation_id":"123-456","dm_event_id":"1146654567674912769"}})"}},
      {"x_api lookup_by_username", ProviderKind::x_api, Parser::by_username, {profile}},
      {"x_api lookup_by_id", ProviderKind::x_api, Parser::by_id, {profile}},
      {"x_api token refresh", ProviderKind::x_api, Parser::refresh,
       {R"({"token_type":"bearer","expires_in":7200,"access_token":"NEW","refresh_token":"NEWR"})"}},
  };
}

}  // namespace

TEST_CASE("fuzz: every parser classifies mutated, truncated and random answers without crashing") {
  const std::vector<std::string> corpus = seeds();
  std::uint64_t seed = 0x0D15EA5E;
  for (Target const& t : targets()) {
    Rng rng(seed++);
    int failures = 0;
    std::string first_failure;
    std::vector<int> tally(static_cast<std::size_t>(ProviderSignal::malformed) + 1, 0);
    for (int i = 0; i < kIterations; ++i) {
      HttpResponse resp{random_status(rng), random_headers(rng), random_body(rng, corpus, t.own)};
      const Outcome out = run_one(t, resp, rng);
      ++tally[static_cast<std::size_t>(out.signal)];
      if (!out.why.empty() && failures++ == 0) {
        std::ostringstream os;
        os << out.why << " | status " << resp.status << " | body " << resp.body.substr(0, 200);
        first_failure = os.str();
      }
    }
    CHECK_MESSAGE(failures == 0, t.name << ": " << failures << " invalid results; first: " << first_failure);
    // The generator must reach both ends, not only garbage.
    CHECK_MESSAGE(tally[static_cast<std::size_t>(ProviderSignal::success)] > 100, t.name);
    CHECK_MESSAGE(tally[static_cast<std::size_t>(ProviderSignal::malformed)] > 1000, t.name);
  }
}

TEST_CASE("fuzz: the fixtures alone reach several outcomes per parser") {
  const std::vector<std::string> corpus = seeds();
  Rng rng(42);
  for (Target const& t : targets()) {
    std::vector<bool> seen(static_cast<std::size_t>(ProviderSignal::malformed) + 1, false);
    for (std::string const& body : corpus) {
      for (int status : {200, 201, 400, 401, 403, 404, 429, 500, 502, 503}) {
        const Outcome out = run_one(t, HttpResponse{status, {}, body}, rng);
        seen[static_cast<std::size_t>(out.signal)] = true;
        CHECK_MESSAGE(out.why.empty(), t.name << " status " << status << " body " << body << ": " << out.why);
      }
    }
    int kinds = 0;
    for (bool b : seen) kinds += b ? 1 : 0;
    CHECK_MESSAGE(seen[static_cast<std::size_t>(ProviderSignal::success)], t.name);
    CHECK_MESSAGE(seen[static_cast<std::size_t>(ProviderSignal::malformed)], t.name);
    CHECK_MESSAGE(kinds >= 5, t.name << " reached only " << kinds << " signals");
  }
}

// ---- inbox reads (docs/providers.md#reading-the-inbox) ------------------------------------------

namespace {

const std::string kOwnId = "1000000000000000002";  // account().user_id

/// Inbox pages and errors in the shapes of docs/providers.md, about the fuzz account.
std::vector<std::string> inbox_seeds() {
  return {
      R"({"userId":"1000000000000000002","message_count":2,"has_more":true,"next_cursor":"DAABCgABF__-abc==","messages":[)"
      R"({"id":"2019384131067818999","createdAt":"2026-02-05T13:00:00.000Z","senderId":"34743251","recipientId":"1000000000000000002","text":"STOP","media":null},)"
      R"({"id":"2019384131067818211","createdAt":"Wed Oct 10 20:19:24 +0000 2018","senderId":"1000000000000000002","recipientId":"34743251","text":"Hello!"}]})",
      R"({"userId":"1000000000000000002","message_count":0,"has_more":false,"next_cursor":null,"messages":[]})",
      R"({"error":"Invalid auth_token - could not extract userId"})",
      R"({"error":"Missing required field: auth_token"})",
      R"({"data":[{"id":"1234567890","event_type":"MessageCreate","text":"Hello!","sender_id":"34743251","created_at":"2024-01-15T10:30:00.000Z",)"
      R"("dm_conversation_id":"34743251-1000000000000000002","participant_ids":["34743251","1000000000000000002"]},)"
      R"({"id":"1234567889","event_type":"MessageCreate","text":"hi","sender_id":"1000000000000000002","created_at":"2024-01-15T10:29:00.000Z",)"
      R"("dm_conversation_id":"34743251-1000000000000000002"},)"
      R"({"id":"1234567888","event_type":"ParticipantsJoin","created_at":"2024-01-15T10:28:00.000Z","dm_conversation_id":"1582838223519850499"}],)"
      R"("meta":{"result_count":3,"next_token":"abc123"}})",
      R"({"meta":{"result_count":0}})",
      R"({"data":{"id":"1000000000000000002","name":"Fuzz","username":"fuzz_account"}})",
      R"({"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"})",
      R"({"type":"https://api.twitter.com/2/problems/client-forbidden","title":"Client Forbidden","detail":"not enrolled","reason":"client-not-enrolled"})",
      R"({"type":"about:blank","title":"Unauthorized","detail":"Unauthorized","status":401})",
      R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
      R"({"data":[],"errors":[{"title":"Service Unavailable","detail":"partial"}],"meta":{"result_count":0}})",
      R"({"userId":"1000000000000000002","has_more":true,"next_cursor":")" + kAuthToken + R"(","messages":[]})",
      R"({"meta":{"result_count":0,"next_token":")" + kAccess + R"("}})",
      R"({"error":"token )" + kAuthToken + " via " + kProxy + R"("})",
      R"({"title":"Forbidden","detail":"bearer )" + kAccess + " " + kRefresh + R"("})",
      "<html>" + kApiKey + "</html>",
      "",
  };
}

std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> const& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

const std::vector<std::string> kInboxKeys = with(
    kKeys, {"userId", "messages", "has_more", "next_cursor", "message_count", "createdAt", "senderId", "recipientId", "text",
            "media", "meta", "result_count", "next_token", "event_type", "created_at", "sender_id", "participant_ids",
            "username", "name"});

const std::vector<std::string> kInboxStrings = with(
    kStrings, {kOwnId, "1000000000000000002-34743251", "34743251-1000000000000000002", "1582838223519850499", "1-2",
               "MessageCreate", "ParticipantsJoin", "2024-01-15T10:30:00.000Z", "2026-02-05T12:14:29.846+01:00",
               "Wed Oct 10 20:19:24 +0000 2018", "Wed Oct 32 20:19:24 +0000 2018", "2026-02-30T00:00:00Z", "abc123",
               "DAABCgABF__-abc==", "has space", std::string(1100, 'c'), "fuzz_account"});

enum class InboxParser { getxapi, getxapi_own, x_api, users_me };

struct InboxTarget {
  std::string name;
  InboxParser parser;
  std::vector<std::string> own;
};

bool leaks(std::string const& text) { return contains_secret(text); }

std::string check_read_result(ProviderResult const& r, HttpResponse const& resp) {
  if (r.transport != Transport::responded) return "transport changed";
  if (r.http_status != resp.status) return "status not copied";
  const int signal = static_cast<int>(r.signal);
  if (signal < static_cast<int>(ProviderSignal::none) || signal > static_cast<int>(ProviderSignal::read_refused))
    return "signal out of range";
  if (leaks(r.message) || leaks(r.provider_code) || leaks(r.message_id)) return "secret leaked: " + r.message;
  if (r.message.size() > 700) return "message too long";
  if (r.provider_code.size() > codec::kMaxMessage + 3) return "provider_code too long";
  if (r.x_code && !codec::is_known_x_code(*r.x_code)) return "unknown x_code";
  if (r.retry_after && (*r.retry_after < 0ms || *r.retry_after > std::chrono::hours{24 * 31})) return "implausible retry_after";
  if (r.reset_at && *r.reset_at > kNow + std::chrono::hours{24 * 31}) return "implausible reset_at";
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  if (r.signal == ProviderSignal::success && !ok_status) return "success on a non-2xx status";
  if (ok_status && !codec::parse_json(resp.body).has_value() && r.signal != ProviderSignal::malformed)
    return "unreadable 2xx not malformed";
  const InboxReadDecision d = decide_inbox_read(r, kNow, 60s);
  if (std::holds_alternative<inbox_read::Ok>(d) != (r.signal == ProviderSignal::success)) return "Ok iff success broken";
  if (auto const* w = std::get_if<inbox_read::WaitUntil>(&d); w && w->until < kNow) return "wait in the past";
  std::string why;
  std::visit(
      [&](auto const& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, inbox_read::WaitUntil> || std::is_same_v<T, inbox_read::RetryLater> ||
                      std::is_same_v<T, inbox_read::RefreshToken>) {
          if (leaks(v.detail)) why = "secret in a read decision";
        } else if constexpr (std::is_same_v<T, inbox_read::StopAccount> || std::is_same_v<T, inbox_read::InboxOff>) {
          if (leaks(v.reason)) why = "secret in a read decision";
        }
      },
      d);
  return why;
}

std::string check_page(InboxPage const& p, HttpResponse const& resp, std::string_view own, bool getxapi) {
  if (auto why = check_read_result(p.result, resp); !why.empty()) return why;
  if (p.result.signal != ProviderSignal::success) {
    if (!p.messages.empty() || p.next_cursor || p.account_id) return "a page that is not a success carries data";
    return {};
  }
  if (p.next_cursor && (!codec::is_cursor(*p.next_cursor) || leaks(*p.next_cursor))) return "bad next_cursor";
  std::string account = std::string(own);
  if (getxapi) {
    if (!p.account_id || !codec::is_decimal_id(*p.account_id)) return "getxapi page without a decimal userId";
    if (!own.empty() && codec::compare_decimal_ids(*p.account_id, own) != 0) return "page about another account";
    account = *p.account_id;
  } else if (p.account_id) {
    return "x_api page with an account id";
  }
  for (InboxMessage const& m : p.messages) {
    if (!codec::is_decimal_id(m.id) || !codec::is_decimal_id(m.sender_id) || !codec::is_decimal_id(m.recipient_id))
      return "non-decimal id in a message";
    if (codec::compare_decimal_ids(m.sender_id, account) != 0 && codec::compare_decimal_ids(m.recipient_id, account) != 0)
      return "a message that does not involve the account";
  }
  return {};
}

struct InboxOutcome {
  std::string why;
  ProviderSignal signal = ProviderSignal::none;
};

InboxOutcome run_inbox(InboxTarget const& t, HttpResponse const& resp) {
  switch (t.parser) {
    case InboxParser::getxapi:
    case InboxParser::getxapi_own: {
      const std::string_view own = t.parser == InboxParser::getxapi_own ? std::string_view(kOwnId) : std::string_view();
      const auto p = make_codec(ProviderKind::getxapi)->parse_inbox(resp, provider(), account(), own, kNow);
      return {check_page(p, resp, own, true), p.result.signal};
    }
    case InboxParser::x_api: {
      const auto p = make_codec(ProviderKind::x_api)->parse_inbox(resp, provider(), account(), kOwnId, kNow);
      return {check_page(p, resp, kOwnId, false), p.result.signal};
    }
    case InboxParser::users_me: {
      const auto me = make_codec(ProviderKind::x_api)->parse_own_account(resp, provider(), account(), kNow);
      std::string why = check_read_result(me.result, resp);
      if (why.empty() && me.user_id.has_value() != (me.result.signal == ProviderSignal::success)) why = "user_id without success";
      if (why.empty() && me.user_id && !codec::is_decimal_id(*me.user_id)) why = "non-decimal user_id";
      if (why.empty() && leaks(me.username)) why = "secret in the username";
      return {why, me.result.signal};
    }
  }
  return {"unknown parser", ProviderSignal::none};
}

std::vector<InboxTarget> inbox_targets() {
  const std::string getx = R"({"userId":"1000000000000000002","has_more":false,"messages":[{"id":"9","createdAt":"2026-02-05T13:00:00Z","senderId":"34743251","recipientId":"1000000000000000002","text":"x"}]})";
  const std::string x = R"({"data":[{"id":"9","event_type":"MessageCreate","text":"x","sender_id":"34743251","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"34743251-1000000000000000002"}],"meta":{"result_count":1,"next_token":"n2"}})";
  return {
      {"getxapi inbox", InboxParser::getxapi, {getx}},
      {"getxapi inbox with own id", InboxParser::getxapi_own, {getx}},
      {"x_api inbox", InboxParser::x_api, {x, R"({"meta":{"result_count":0}})"}},
      {"x_api users/me", InboxParser::users_me, {R"({"data":{"id":"1000000000000000002","username":"fuzz_account"}})"}},
  };
}

}  // namespace

TEST_CASE("fuzz: the inbox parsers read mutated, truncated and random pages without crashing or leaking") {
  const std::vector<std::string> corpus = with(seeds(), inbox_seeds());
  std::uint64_t seed = 0x1B0C5EED;
  constexpr std::size_t kSignals = static_cast<std::size_t>(ProviderSignal::read_refused) + 1;
  for (InboxTarget const& t : inbox_targets()) {
    Rng rng(seed++);
    int failures = 0;
    std::string first_failure;
    std::vector<int> tally(kSignals, 0);
    for (int i = 0; i < kIterations; ++i) {
      HttpResponse resp{random_status(rng), random_headers(rng), random_body(rng, corpus, t.own, kInboxKeys, kInboxStrings)};
      const InboxOutcome out = run_inbox(t, resp);
      ++tally[static_cast<std::size_t>(out.signal)];
      if (!out.why.empty() && failures++ == 0) {
        std::ostringstream os;
        os << out.why << " | status " << resp.status << " | body " << resp.body.substr(0, 300);
        first_failure = os.str();
      }
    }
    CHECK_MESSAGE(failures == 0, t.name << ": " << failures << " invalid results; first: " << first_failure);
    CHECK_MESSAGE(tally[static_cast<std::size_t>(ProviderSignal::success)] > 100, t.name);
    CHECK_MESSAGE(tally[static_cast<std::size_t>(ProviderSignal::malformed)] > 1000, t.name);
    CHECK_MESSAGE(tally[static_cast<std::size_t>(ProviderSignal::read_refused)] > 100, t.name);
  }
}

TEST_CASE("fuzz: the inbox fixtures alone reach several outcomes per parser") {
  const std::vector<std::string> corpus = inbox_seeds();
  for (InboxTarget const& t : inbox_targets()) {
    std::vector<bool> seen(static_cast<std::size_t>(ProviderSignal::read_refused) + 1, false);
    for (std::string const& body : corpus) {
      for (int status : {200, 201, 400, 401, 403, 404, 429, 500, 502, 503}) {
        const InboxOutcome out = run_inbox(t, HttpResponse{status, {}, body});
        seen[static_cast<std::size_t>(out.signal)] = true;
        CHECK_MESSAGE(out.why.empty(), t.name << " status " << status << " body " << body << ": " << out.why);
      }
    }
    int kinds = 0;
    for (bool b : seen) kinds += b ? 1 : 0;
    CHECK_MESSAGE(seen[static_cast<std::size_t>(ProviderSignal::success)], t.name);
    CHECK_MESSAGE(seen[static_cast<std::size_t>(ProviderSignal::malformed)], t.name);
    CHECK_MESSAGE(seen[static_cast<std::size_t>(ProviderSignal::read_refused)], t.name);
    CHECK_MESSAGE(kinds >= 5, t.name << " reached only " << kinds << " signals");
  }
}
