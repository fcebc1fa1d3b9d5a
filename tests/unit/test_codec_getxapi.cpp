// GetXAPI codec against the wire contract of docs/providers.md#getxapi, each taken through
// classify() (docs/send-rules.md#outcomes).
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <variant>

#include "core/providers/codec.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
const std::string kApiKey = "get-x-api-KEY0123456789";
const std::string kAuthToken = "AUTHTOKEN0a1b2c3d4e5f";
const std::string kProxy = "http://puser:ProxyPass99@10.0.0.1:8080";

ProviderCredentials provider() { return ProviderCredentials{Secret(kApiKey), "", std::nullopt}; }
AccountCredentials account(std::string proxy = kProxy) {
  return AccountCredentials{Secret(kAuthToken), Secret(std::move(proxy)), "1858475867762270208", Secret(), Secret()};
}

RetryContext ctx() { return RetryContext{1, 5, BackoffPolicy{30s, 1h}, 0.5, kNow}; }

template <class T>
T expect(Decision const& d) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(d), "decision index " << d.index());
  return std::get<T>(d);
}

HttpResponse response(int status, std::string body, HttpHeaders headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

void check_clean(ProviderResult const& r) {
  for (std::string const& s : {kApiKey, kAuthToken, kProxy, std::string("ProxyPass99")}) {
    CHECK_MESSAGE(r.message.find(s) == std::string::npos, r.message);
    CHECK(r.provider_code.find(s) == std::string::npos);
  }
  CHECK(r.message.size() <= 400);
}

ProviderResult send(HttpResponse const& resp) {
  auto r = make_codec(ProviderKind::getxapi)->parse_send(resp, provider(), account(), kNow);
  check_clean(r);
  CHECK(r.transport == Transport::responded);
  CHECK(r.http_status == resp.status);
  return r;
}

Decision decide_send(HttpResponse const& resp) { return classify(RequestKind::send, send(resp), ctx()); }

UserLookup lookup(HttpResponse const& resp, bool by_id = false) {
  auto codec = make_codec(ProviderKind::getxapi);
  auto l = by_id ? codec->parse_lookup_by_id(resp, provider(), account(), "44196397", kNow)
                 : codec->parse_lookup_by_username(resp, provider(), account(), "someone", kNow);
  check_clean(l.result);
  CHECK_FALSE(l.needs_dm_check);
  return l;
}

boost::json::object body_of(HttpRequest const& req) { return boost::json::parse(req.body).as_object(); }

}  // namespace

TEST_CASE("getxapi send request: Bearer key, snake_case body, recipient_id preferred, proxy URL") {
  auto codec = make_codec(ProviderKind::getxapi);
  CHECK(codec->kind() == ProviderKind::getxapi);
  auto req = codec->send_request(provider(), account(), DmMessage{"44196397", "someone", "Hello \"you\" ✓", ""}).value();
  CHECK(req.method == "POST");
  CHECK(req.target == "/twitter/dm/send");
  CHECK(find_header(req.headers, "authorization") == "Bearer " + kApiKey);
  CHECK(find_header(req.headers, "content-type") == "application/json");
  auto body = body_of(req);
  CHECK(body.size() == 4);
  CHECK(body.at("auth_token").as_string() == kAuthToken);
  CHECK(body.at("recipient_id").as_string() == "44196397");
  CHECK_FALSE(body.contains("recipient_username"));
  CHECK(body.at("text").as_string() == "Hello \"you\" ✓");
  CHECK(body.at("proxy").as_string() == kProxy);
}

TEST_CASE("getxapi send request: recipient_username when no id, no proxy unless configured") {
  auto req = make_codec(ProviderKind::getxapi)->send_request(provider(), account(""), DmMessage{"", "target_user", "Hi", ""}).value();
  auto body = body_of(req);
  CHECK(body.at("recipient_username").as_string() == "target_user");
  CHECK_FALSE(body.contains("recipient_id"));
  CHECK_FALSE(body.contains("proxy"));
  CHECK(body.size() == 3);
}

TEST_CASE("getxapi send request: unusable input is an error, not a request") {
  auto codec = make_codec(ProviderKind::getxapi);
  CHECK(codec->send_request(provider(), account(), DmMessage{"", "", "Hi", ""}).has_error());
  CHECK(codec->send_request(provider(), account(), DmMessage{"12x", "", "Hi", ""}).has_error());
  CHECK(codec->send_request(ProviderCredentials{}, account(), DmMessage{"1", "", "Hi", ""}).has_error());
  CHECK(codec->send_request(provider(), AccountCredentials{}, DmMessage{"1", "", "Hi", ""}).has_error());
  auto bad_proxy = codec->send_request(provider(), account("http://u:SecretPw1@"), DmMessage{"1", "", "Hi", ""});
  REQUIRE(bad_proxy.has_error());
  CHECK(bad_proxy.error().message.find("SecretPw1") == std::string::npos);
}

TEST_CASE("getxapi send: documented 200 → sent with data.id") {
  auto d = decide_send(response(200, R"({"status":"success","msg":"DM sent successfully","data":{"id":"2019384131067818211",)"
                                     R"("createdAt":"2026-02-05T12:14:29.846Z","senderId":"1","recipientId":"2","text":"Hello!",)"
                                     R"("recipient_username":"target_user"}})"));
  CHECK(expect<decision::Sent>(d).message_id == "2019384131067818211");
  // A numeric id is kept exactly (never through a double).
  CHECK(send(response(200, R"({"status":"success","data":{"id":2019384131067818211}})")).message_id == "2019384131067818211");
}

TEST_CASE("getxapi send: 400 missing field → failed bad_request") {
  auto r = send(response(400, R"({"error":"Missing required field: recipient_id or recipient_username"})"));
  CHECK(r.signal == ProviderSignal::invalid_request);
  auto f = expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx()));
  CHECK(f.reason == ErrorClass::bad_request);
  CHECK(f.detail.find("Missing required field") != std::string::npos);
}

TEST_CASE("getxapi send: 401 invalid auth_token → account stops") {
  auto r = send(response(401, R"({"error":"Invalid auth_token - could not extract userId"})"));
  CHECK(r.signal == ProviderSignal::account_error);
  CHECK_FALSE(expect<decision::AccountStop>(classify(RequestKind::send, r, ctx())).refreshable);
  expect<decision::AccountStop>(decide_send(response(402, R"({"error":"Insufficient credits"})")));
}

TEST_CASE("getxapi send: 502 is X's refusal, its code decides") {
  SUBCASE("349 closed DMs → cannot_dm") {
    auto r = send(response(502, R"J({"error":"You cannot send messages to this user. (349)"})J"));
    CHECK(r.x_code == 349);
    CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::cannot_dm);
  }
  SUBCASE("150, 214, 476 → cannot_dm") {
    for (int code : {150, 214, 476}) {
      auto r = send(response(502, R"({"error":"X error code )" + std::to_string(code) + R"(: refused"})"));
      CHECK(r.x_code == code);
      CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::cannot_dm);
    }
  }
  SUBCASE("refusal wording without a code → cannot_dm") {
    auto d = decide_send(response(502, R"({"error":"You cannot send messages to this user."})"));
    CHECK(expect<decision::FailedPermanent>(d).reason == ErrorClass::cannot_dm);
  }
  SUBCASE("226 automated → account stops") {
    auto r = send(response(502, R"({"error":"{\"code\":226,\"message\":\"This request looks like it might be automated.\"}"})"));
    CHECK(r.x_code == 226);
    expect<decision::AccountStop>(classify(RequestKind::send, r, ctx()));
  }
  SUBCASE("326 locked → account stops") {
    expect<decision::AccountStop>(decide_send(response(502, R"J({"error":"To protect our users from spam... (326)"})J")));
  }
  SUBCASE("151 → in doubt, never resent") {
    auto d = decide_send(response(502, R"J({"error":"There was an error sending your message: Whoops! You already said that. (151)"})J"));
    expect<decision::InDoubt>(d);
  }
  SUBCASE("unknown recipient → not_found") {
    auto d = decide_send(response(502, R"({"error":"User not found: target_user"})"));
    CHECK(expect<decision::FailedPermanent>(d).reason == ErrorClass::not_found);
  }
  SUBCASE("unknown X failure → retried") {
    auto d = decide_send(response(502, R"({"error":"Something went wrong on X"})"));
    CHECK(expect<decision::RetryLater>(d).reason == ErrorClass::server_error);
  }
}

TEST_CASE("getxapi send: 429 waits for Retry-After, 5xx retries") {
  auto wait = expect<decision::RateLimitedWait>(decide_send(response(429, R"({"error":"Rate limit exceeded"})", {{"Retry-After", "120"}})));
  CHECK(wait.until == kNow + 120s);
  CHECK_FALSE(wait.daily_limit);
  auto none = expect<decision::RateLimitedWait>(decide_send(response(429, R"({"error":"Too many requests"})")));
  CHECK(none.until == kNow + 30s);  // retry.base_delay when no hint was given
  CHECK(expect<decision::RetryLater>(decide_send(response(500, R"({"error":"Internal server error"})"))).reason ==
        ErrorClass::server_error);
  auto html = send(response(503, "<html><body>Service Unavailable</body></html>"));
  CHECK(html.signal == ProviderSignal::malformed);
  CHECK(html.message.find("non-JSON") != std::string::npos);
  expect<decision::RetryLater>(classify(RequestKind::send, html, ctx()));
}

TEST_CASE("getxapi send: unreadable 2xx bodies are malformed and in doubt") {
  for (std::string body : {std::string(""), std::string("<html>ok</html>"), std::string(R"({"status":"succ)"),
                           std::string("{}"), std::string("[]"), std::string(R"({"data":{"id":4.4e7}})"), std::string("null")}) {
    auto r = send(response(200, body));
    CHECK_MESSAGE(r.signal == ProviderSignal::malformed, body);
    CHECK_FALSE(r.message.empty());
    expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  }
}

TEST_CASE("getxapi send: an error inside HTTP 200 is not a success") {
  auto r = send(response(200, R"({"status":"error","error":"Temporary failure"})"));
  CHECK(r.signal == ProviderSignal::transient);
  expect<decision::RetryLater>(classify(RequestKind::send, r, ctx()));
  auto refused = send(response(200, R"J({"error":"You cannot send messages to this user (349)"})J"));
  CHECK(refused.x_code == 349);
}

TEST_CASE("getxapi send: echoed secrets never reach the message") {
  auto r = send(response(401, R"({"error":"Invalid auth_token )" + kAuthToken + " via " + kProxy + " key " + kApiKey + R"("})"));
  CHECK(r.message.find("[redacted]") != std::string::npos);
  auto html = send(response(200, "<p>" + kAuthToken + " ProxyPass99</p>"));
  CHECK(html.message.find("[redacted]") != std::string::npos);
  auto long_error = send(response(400, R"({"error":")" + std::string(5000, 'e') + R"("})"));
  CHECK(long_error.message.size() <= 310);
}

TEST_CASE("getxapi lookups: userName and userId requests") {
  auto codec = make_codec(ProviderKind::getxapi);
  auto by_name = codec->lookup_by_username_request(provider(), account(), "some one&x").value();
  CHECK(by_name.method == "GET");
  CHECK(by_name.target == "/twitter/user/info?userName=some%20one%26x");
  CHECK(find_header(by_name.headers, "Authorization") == "Bearer " + kApiKey);
  CHECK(by_name.body.empty());
  auto by_id = codec->lookup_by_id_request(provider(), account(), "44196397").value();
  CHECK(by_id.target == "/twitter/user/info_by_id?userId=44196397");
  CHECK(codec->lookup_by_id_request(provider(), account(), "4419x").has_error());
  CHECK(codec->lookup_by_username_request(provider(), account(), "").has_error());
}

TEST_CASE("getxapi lookup: data.id and data.canDm") {
  const std::string open = R"({"data":{"id":"44196397","userName":"someone","canDm":true,"followers":10},"status":"success","msg":""})";
  auto l = lookup(response(200, open));
  CHECK(l.user_id == "44196397");
  CHECK(l.can_dm == true);
  expect<decision::Sent>(classify(RequestKind::lookup, l.result, ctx()));
  auto by_id = lookup(response(200, open), true);
  CHECK(by_id.result.signal == ProviderSignal::success);
  // A by-id answer about somebody else is never acted on.
  auto other = lookup(response(200, R"({"data":{"id":"12","canDm":false}})"), true);
  CHECK(other.result.signal == ProviderSignal::malformed);
  CHECK_FALSE(other.user_id.has_value());
  CHECK_FALSE(other.can_dm.has_value());

  auto closed = lookup(response(200, R"({"data":{"id":"44196397","canDm":false},"status":"success"})"));
  CHECK(closed.can_dm == false);
  CHECK(closed.user_id == "44196397");
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::lookup, closed.result, ctx())).reason == ErrorClass::cannot_dm);

  auto unknown = lookup(response(200, R"({"data":{"id":"44196397"}})"));
  CHECK(unknown.result.signal == ProviderSignal::success);
  CHECK_FALSE(unknown.can_dm.has_value());  // the send will decide

  auto numeric = lookup(response(200, R"({"data":{"id":44196397,"canDm":true}})"));
  CHECK(numeric.user_id == "44196397");
}

TEST_CASE("getxapi lookup: not found, errors and unreadable answers") {
  auto missing = lookup(response(404, R"({"error":"User not found"})"));
  CHECK(missing.result.signal == ProviderSignal::not_found);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::lookup, missing.result, ctx())).reason == ErrorClass::not_found);
  CHECK(lookup(response(200, R"({"error":"User not found"})")).result.signal == ProviderSignal::not_found);
  CHECK(lookup(response(200, R"({"data":null,"status":"success"})")).result.signal == ProviderSignal::not_found);
  expect<decision::AccountStop>(classify(RequestKind::lookup, lookup(response(401, R"({"error":"Invalid API key"})")).result, ctx()));
  expect<decision::RateLimitedWait>(classify(RequestKind::lookup, lookup(response(429, "")).result, ctx()));
  for (std::string body : {std::string(""), std::string("<html/>"), std::string(R"({"data":{"id":"4419)"),
                           std::string(R"({"status":"success"})"), std::string(R"({"data":{"canDm":true}})"),
                           std::string(R"({"data":{"id":"abc","canDm":true}})"), std::string(R"({"data":{"id":"1","canDm":"yes"}})")}) {
    auto l = lookup(response(200, body));
    CHECK_MESSAGE(l.result.signal == ProviderSignal::malformed, body);
    CHECK_FALSE(l.can_dm.has_value());
    CHECK(expect<decision::RetryLater>(classify(RequestKind::lookup, l.result, ctx())).reason == ErrorClass::server_error);
  }
}
