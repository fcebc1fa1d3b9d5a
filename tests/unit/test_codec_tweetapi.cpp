// tweetapi.com codec against the wire contract of docs/providers.md#tweetapi, each taken through
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
const std::string kApiKey = "tweetapi-KEY-55aa66bb";
const std::string kAuthToken = "a1b2c3d4e5f6a7b8c9d0";
const std::string kProxy = "http://puser:Pr0xy%2FPass@10.0.0.1:8080";
const std::string kSender = "1000000000000000002";

ProviderCredentials provider() { return ProviderCredentials{Secret(kApiKey), "", std::nullopt}; }
AccountCredentials account(std::string proxy = kProxy, std::string user_id = kSender) {
  return AccountCredentials{Secret(kAuthToken), Secret(std::move(proxy)), std::move(user_id), Secret(), Secret()};
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
  for (std::string const& s : {kApiKey, kAuthToken, kProxy, std::string("Pr0xy/Pass"), std::string("Pr0xy%2FPass")}) {
    CHECK_MESSAGE(r.message.find(s) == std::string::npos, r.message);
    CHECK(r.provider_code.find(s) == std::string::npos);
  }
  CHECK(r.message.size() <= 400);
}

ProviderResult send(HttpResponse const& resp) {
  auto r = make_codec(ProviderKind::tweetapi)->parse_send(resp, provider(), account(), kNow);
  check_clean(r);
  CHECK(r.http_status == resp.status);
  return r;
}

Decision decide_send(HttpResponse const& resp) { return classify(RequestKind::send, send(resp), ctx()); }

UserLookup by_name(HttpResponse const& resp) {
  auto l = make_codec(ProviderKind::tweetapi)->parse_lookup_by_username(resp, provider(), account(), "SpaceX", kNow);
  check_clean(l.result);
  return l;
}

UserLookup permissions(HttpResponse const& resp, std::string const& id) {
  auto l = make_codec(ProviderKind::tweetapi)->parse_lookup_by_id(resp, provider(), account(), id, kNow);
  check_clean(l.result);
  CHECK_FALSE(l.needs_dm_check);
  return l;
}

Decision decide_lookup(UserLookup const& l) { return classify(RequestKind::lookup, l.result, ctx()); }

const std::string kSendOk =
    R"({"message":{"id":"7000000000000000001","conversationId":"1000000000000000001-1000000000000000002",)"
    R"("senderId":"1000000000000000001","recipientId":"1000000000000000002","text":"Hello!",)"
    R"("createdAt":"2024-02-01T14:00:00.000Z","requestId":"00000000-0000-0000-0000-000000000008","editCount":0},)"
    R"("users":[{"id":"1000000000000000001","username":"user_one","name":"User One","bio":"...","location":null}]})";

const std::string kPermissions =
    R"({"permissions":[{"userId":"34743251","canDm":false,"errorCode":349},{"userId":"44196397","canDm":true}],)"
    R"("users":[{"id":"34743251","username":"SpaceX","name":"SpaceX","isProtected":false}]})";

}  // namespace

TEST_CASE("tweetapi send request: camelCase body, conversationId smaller id first, host:port@user:pass proxy") {
  auto codec = make_codec(ProviderKind::tweetapi);
  CHECK(codec->kind() == ProviderKind::tweetapi);
  auto req = codec->send_request(provider(), account(), DmMessage{"1000000000000000001", "", "Hello!", ""}).value();
  CHECK(req.method == "POST");
  CHECK(req.target == "/tw-v2/interaction/send-dm");
  CHECK(find_header(req.headers, "X-API-Key") == kApiKey);
  CHECK(find_header(req.headers, "Content-Type") == "application/json");
  auto body = boost::json::parse(req.body).as_object();
  CHECK(body.size() == 4);
  CHECK(body.at("authToken").as_string() == kAuthToken);
  CHECK(body.at("conversationId").as_string() == "1000000000000000001-1000000000000000002");
  CHECK(body.at("text").as_string() == "Hello!");
  CHECK(body.at("proxy").as_string() == "10.0.0.1:8080@puser:Pr0xy/Pass");
  CHECK_FALSE(body.contains("requestId"));

  // Lengths differ: the shorter id is the smaller one, whichever side it is on.
  auto short_first = codec->send_request(provider(), account(kProxy, "1858475867762270208"),
                                         DmMessage{"44196397", "", "x", "00000000-0000-0000-0000-000000000008"})
                         .value();
  auto b = boost::json::parse(short_first.body).as_object();
  CHECK(b.at("conversationId").as_string() == "44196397-1858475867762270208");
  CHECK(b.at("requestId").as_string() == "00000000-0000-0000-0000-000000000008");
  // 2^53+1 vs 2^53: equal as doubles, ordered as decimal strings.
  auto close = codec->send_request(provider(), account(kProxy, "9007199254740993"), DmMessage{"9007199254740992", "", "x", ""}).value();
  CHECK(boost::json::parse(close.body).as_object().at("conversationId").as_string() == "9007199254740992-9007199254740993");
}

TEST_CASE("tweetapi send request: needs both ids, the session and a proxy") {
  auto codec = make_codec(ProviderKind::tweetapi);
  CHECK(codec->send_request(provider(), account(), DmMessage{"", "someone", "x", ""}).has_error());
  CHECK(codec->send_request(provider(), account(kProxy, ""), DmMessage{"1", "", "x", ""}).has_error());
  CHECK(codec->send_request(provider(), account(kProxy, "12ab"), DmMessage{"1", "", "x", ""}).has_error());
  CHECK(codec->send_request(provider(), account(""), DmMessage{"1", "", "x", ""}).has_error());
  CHECK(codec->send_request(ProviderCredentials{}, account(), DmMessage{"1", "", "x", ""}).has_error());
}

TEST_CASE("tweetapi send: documented 200 → sent with message.id, the SDK's data shape too") {
  CHECK(expect<decision::Sent>(decide_send(response(200, kSendOk))).message_id == "7000000000000000001");
  CHECK(send(response(200, R"({"data":{"id":"7000000000000000002"}})")).message_id == "7000000000000000002");
  CHECK(send(response(201, R"({"data":{"message":{"id":"7000000000000000003"}}})")).message_id == "7000000000000000003");
}

TEST_CASE("tweetapi send: envelope A") {
  SUBCASE("429 RATE_LIMIT with details.retryAfter") {
    auto r = send(response(429, R"({"error":{"code":"RATE_LIMIT","message":"Too many requests","details":{"retryAfter":60}}})"));
    CHECK(r.provider_code == "RATE_LIMIT");
    CHECK(r.retry_after == 60s);
    auto w = expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
    CHECK(w.until == kNow + 60s);
  }
  SUBCASE("401 UNAUTHORIZED → account stops") {
    auto r = send(response(401, R"({"error":{"code":"UNAUTHORIZED","message":"Invalid authToken","details":null}})"));
    CHECK(r.signal == ProviderSignal::account_error);
    expect<decision::AccountStop>(classify(RequestKind::send, r, ctx()));
  }
  SUBCASE("403 ACCOUNT_SUSPENDED → account stops") {
    expect<decision::AccountStop>(decide_send(response(403, R"({"error":{"code":"ACCOUNT_SUSPENDED","message":"Account suspended"}})")));
  }
  SUBCASE("404 NOT_FOUND → failed not_found") {
    auto f = expect<decision::FailedPermanent>(decide_send(response(404, R"({"error":{"code":"NOT_FOUND","message":"Not found"}})")));
    CHECK(f.reason == ErrorClass::not_found);
  }
  SUBCASE("400 VALIDATION_ERROR → failed bad_request") {
    auto f = expect<decision::FailedPermanent>(
        decide_send(response(400, R"({"error":{"code":"VALIDATION_ERROR","message":"text is too long"}})")));
    CHECK(f.reason == ErrorClass::bad_request);
  }
  SUBCASE("X's errorCode 349 in details → cannot_dm") {
    auto r = send(response(400, R"({"error":{"code":"BAD_REQUEST","message":"send failed","details":{"errorCode":349}}})"));
    CHECK(r.x_code == 349);
    CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::cannot_dm);
  }
  SUBCASE("500 INTERNAL_SERVER_ERROR on a send → in doubt (the write may have gone through)") {
    auto r = send(response(500, R"({"error":{"code":"INTERNAL_SERVER_ERROR","message":"oops"}})"));
    CHECK(r.signal == ProviderSignal::possibly_delivered);
    expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  }
}

TEST_CASE("tweetapi send: envelope B and its codes") {
  SUBCASE("429 RATE_LIMITED with Retry-After → wait") {
    auto w = expect<decision::RateLimitedWait>(decide_send(
        response(429, R"({"statusCode":429,"message":"Rate limited","code":"RATE_LIMITED"})", {{"Retry-After", "30"}})));
    CHECK(w.until == kNow + 30s);
  }
  SUBCASE("429 with no code (older API) → wait") {
    expect<decision::RateLimitedWait>(decide_send(response(429, R"({"statusCode":429,"message":"Too Many Requests"})")));
  }
  SUBCASE("429 QUOTA_EXHAUSTED / SUBSCRIPTION_INACTIVE → account stops, not a wait") {
    for (std::string code : {"QUOTA_EXHAUSTED", "SUBSCRIPTION_INACTIVE"}) {
      auto r = send(response(429, R"({"statusCode":429,"message":"Plan problem","code":")" + code + R"("})", {{"Retry-After", "30"}}));
      CHECK(r.provider_code == code);
      CHECK(r.signal == ProviderSignal::account_error);
      expect<decision::AccountStop>(classify(RequestKind::send, r, ctx()));
    }
  }
  SUBCASE("502 PROXY_ERROR / 504 PROXY_TIMEOUT → account stops (fix the proxy)") {
    expect<decision::AccountStop>(decide_send(response(502, R"({"statusCode":502,"message":"Proxy failed","code":"PROXY_ERROR"})")));
    expect<decision::AccountStop>(decide_send(response(504, R"({"statusCode":504,"message":"Proxy timed out","code":"PROXY_TIMEOUT"})")));
  }
  SUBCASE("503 with Retry-After on a write → safe to repeat after the wait") {
    auto w = expect<decision::RateLimitedWait>(
        decide_send(response(503, R"({"statusCode":503,"message":"Busy"})", {{"Retry-After", "Mon, 23 Nov 2026 09:05:00 GMT"}})));
    CHECK(w.until == kNow + 5min);
  }
  SUBCASE("5xx without Retry-After on a write → in doubt") {
    expect<decision::InDoubt>(decide_send(response(503, R"({"statusCode":503,"message":"Busy"})")));
    expect<decision::InDoubt>(decide_send(response(500, "<html>Internal Server Error</html>")));
    expect<decision::InDoubt>(decide_send(response(502, "")));
  }
  SUBCASE("an error envelope inside HTTP 200 is not a success") {
    auto r = send(response(200, R"({"statusCode":429,"message":"slow down","code":"RATE_LIMITED"})"));
    expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
    auto s = send(response(200, R"({"statusCode":500,"message":"boom"})"));
    CHECK(s.signal == ProviderSignal::possibly_delivered);
  }
}

TEST_CASE("tweetapi send: unreadable 2xx is malformed and in doubt, secrets are redacted") {
  for (std::string body : {std::string(""), std::string("<html/>"), std::string(R"({"message":{"id":"70)"), std::string("{}"),
                           std::string(R"({"message":{"text":"hi"}})"), std::string(R"({"message":{"id":7.0e18}})")}) {
    auto r = send(response(200, body));
    CHECK_MESSAGE(r.signal == ProviderSignal::malformed, body);
    expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  }
  auto r = send(response(401, R"({"error":{"code":"UNAUTHORIZED","message":"authToken )" + kAuthToken +
                                   R"( rejected via 10.0.0.1:8080@puser:Pr0xy/Pass"}})"));
  CHECK(r.message.find("[redacted]") != std::string::npos);
}

TEST_CASE("tweetapi lookups: by-username, then dm-permissions from the sender's side") {
  auto codec = make_codec(ProviderKind::tweetapi);
  auto a = codec->lookup_by_username_request(provider(), account(), "SpaceX").value();
  CHECK(a.method == "GET");
  CHECK(a.target == "/tw-v2/user/by-username?username=SpaceX");
  CHECK(find_header(a.headers, "X-API-Key") == kApiKey);
  auto b = codec->lookup_by_id_request(provider(), account(), "34743251").value();
  CHECK(b.target == "/tw-v2/interaction/dm-permissions?authToken=" + kAuthToken +
                        "&recipientIds=34743251&proxy=10.0.0.1%3A8080%40puser%3APr0xy%2FPass");
  auto no_proxy = codec->lookup_by_id_request(provider(), account(""), "34743251").value();
  CHECK(no_proxy.target == "/tw-v2/interaction/dm-permissions?authToken=" + kAuthToken + "&recipientIds=34743251");
  CHECK(codec->lookup_by_id_request(provider(), AccountCredentials{}, "34743251").has_error());
  CHECK(codec->lookup_by_id_request(provider(), account(), "1,2").has_error());
}

TEST_CASE("tweetapi lookup by username resolves the id and asks for the dm-permissions step") {
  auto l = by_name(response(200, R"({"data":{"id":"34743251","username":"SpaceX","name":"SpaceX","isProtected":false}})"));
  CHECK(l.user_id == "34743251");
  CHECK_FALSE(l.can_dm.has_value());
  CHECK(l.needs_dm_check);
  expect<decision::Sent>(decide_lookup(l));

  auto missing = by_name(response(404, R"({"error":{"code":"NOT_FOUND","message":"User not found"}})"));
  CHECK_FALSE(missing.needs_dm_check);
  CHECK(expect<decision::FailedPermanent>(decide_lookup(missing)).reason == ErrorClass::not_found);
  CHECK(by_name(response(200, R"({"data":null})")).result.signal == ProviderSignal::not_found);
  auto bad = by_name(response(200, R"({"data":{"username":"SpaceX"}})"));
  CHECK(bad.result.signal == ProviderSignal::malformed);
  CHECK_FALSE(bad.needs_dm_check);
  auto server = by_name(response(500, R"({"error":{"code":"SERVER_ERROR","message":"x"}})"));
  CHECK(expect<decision::RetryLater>(decide_lookup(server)).reason == ErrorClass::server_error);  // reads may repeat
  auto limited = by_name(response(429, R"({"error":{"code":"RATE_LIMIT","message":"x","details":{"retryAfter":45}}})"));
  CHECK(expect<decision::RateLimitedWait>(decide_lookup(limited)).until == kNow + 45s);
}

TEST_CASE("tweetapi dm-permissions: canDm false with errorCode 349 → cannot_dm, true → go") {
  auto closed = permissions(response(200, kPermissions), "34743251");
  CHECK(closed.can_dm == false);
  CHECK(closed.user_id == "34743251");
  CHECK(closed.result.x_code == 349);
  CHECK(expect<decision::FailedPermanent>(decide_lookup(closed)).reason == ErrorClass::cannot_dm);

  auto open = permissions(response(200, kPermissions), "44196397");
  CHECK(open.can_dm == true);
  expect<decision::Sent>(decide_lookup(open));

  auto no_code = permissions(response(200, R"({"permissions":[{"userId":"5","canDm":false}]})"), "5");
  CHECK(expect<decision::FailedPermanent>(decide_lookup(no_code)).reason == ErrorClass::cannot_dm);
  auto numeric_id = permissions(response(200, R"({"permissions":[{"userId":5,"canDm":true}]})"), "5");
  CHECK(numeric_id.result.signal == ProviderSignal::success);

  auto absent = permissions(response(200, kPermissions), "99");
  CHECK(expect<decision::FailedPermanent>(decide_lookup(absent)).reason == ErrorClass::not_found);
  CHECK(permissions(response(200, R"({"permissions":[]})"), "5").result.signal == ProviderSignal::not_found);
}

TEST_CASE("tweetapi dm-permissions: account errors and unreadable answers") {
  expect<decision::AccountStop>(
      decide_lookup(permissions(response(401, R"({"error":{"code":"UNAUTHORIZED","message":"bad authToken"}})"), "5")));
  expect<decision::AccountStop>(
      decide_lookup(permissions(response(502, R"({"statusCode":502,"message":"proxy","code":"PROXY_ERROR"})"), "5")));
  for (std::string body : {std::string(""), std::string("nope"), std::string(R"({"permissions":[{"userId":"5","canDm":tr)"),
                           std::string(R"({"users":[]})"), std::string(R"({"permissions":[{"userId":"5"}]})"),
                           std::string(R"({"permissions":[{"canDm":true}]})"), std::string(R"({"permissions":[{"userId":"5","canDm":"false"}]})")}) {
    auto l = permissions(response(200, body), "5");
    CHECK_MESSAGE(l.result.signal == ProviderSignal::malformed, body);
    CHECK_FALSE(l.can_dm.has_value());
    expect<decision::RetryLater>(decide_lookup(l));
  }
}
