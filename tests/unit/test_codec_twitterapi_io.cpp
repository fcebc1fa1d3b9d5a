// twitterapi.io codec against the wire contract of docs/providers.md#twitterapi_io, each taken
// through classify() (docs/send-rules.md#outcomes).
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
const std::string kApiKey = "tio-KEY-9f8e7d6c5b4a";
const std::string kCookies = "eyJhdXRoX3Rva2VuIjoiQ09PS0lFUyJ9";
const std::string kProxy = "http://puser:ProxyPass99@10.0.0.1:8080";

ProviderCredentials provider() { return ProviderCredentials{Secret(kApiKey), "", std::nullopt}; }
AccountCredentials account(std::string proxy = kProxy) {
  return AccountCredentials{Secret(kCookies), Secret(std::move(proxy)), "1858475867762270208", Secret(), Secret()};
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
  for (std::string const& s : {kApiKey, kCookies, kProxy, std::string("ProxyPass99")}) {
    CHECK_MESSAGE(r.message.find(s) == std::string::npos, r.message);
    CHECK(r.provider_code.find(s) == std::string::npos);
  }
  CHECK(r.message.size() <= 400);
}

ProviderResult send(HttpResponse const& resp) {
  auto r = make_codec(ProviderKind::twitterapi_io)->parse_send(resp, provider(), account(), kNow);
  check_clean(r);
  CHECK(r.http_status == resp.status);
  return r;
}

Decision decide_send(HttpResponse const& resp) { return classify(RequestKind::send, send(resp), ctx()); }

UserLookup lookup_name(HttpResponse const& resp) {
  auto l = make_codec(ProviderKind::twitterapi_io)->parse_lookup_by_username(resp, provider(), account(), "someone", kNow);
  check_clean(l.result);
  CHECK_FALSE(l.needs_dm_check);
  return l;
}

UserLookup lookup_id(HttpResponse const& resp, std::string const& id = "44196397") {
  auto l = make_codec(ProviderKind::twitterapi_io)->parse_lookup_by_id(resp, provider(), account(), id, kNow);
  check_clean(l.result);
  CHECK_FALSE(l.needs_dm_check);
  return l;
}

Decision decide_lookup(UserLookup const& l) { return classify(RequestKind::lookup, l.result, ctx()); }

const std::string kUser =
    R"({"data":{"type":"user","id":"44196397","userName":"someone","name":"Some One","canDm":true,)"
    R"("followers":10,"following":5,"isBlueVerified":false,"createdAt":"Tue Dec 01 00:00:00 +0000 2020",)"
    R"("unavailable":false},"status":"success","msg":""})";

}  // namespace

TEST_CASE("twitterapi_io send request: X-API-Key, login_cookies, user_id, text, proxy") {
  auto codec = make_codec(ProviderKind::twitterapi_io);
  CHECK(codec->kind() == ProviderKind::twitterapi_io);
  auto req = codec->send_request(provider(), account(), DmMessage{"44196397", "someone", "Hi there", ""}).value();
  CHECK(req.method == "POST");
  CHECK(req.target == "/twitter/send_dm_to_user");
  CHECK(find_header(req.headers, "x-api-key") == kApiKey);
  CHECK_FALSE(find_header(req.headers, "Authorization").has_value());
  CHECK(find_header(req.headers, "Content-Type") == "application/json");
  auto body = boost::json::parse(req.body).as_object();
  CHECK(body.size() == 4);
  CHECK(body.at("login_cookies").as_string() == kCookies);
  CHECK(body.at("user_id").as_string() == "44196397");
  CHECK(body.at("text").as_string() == "Hi there");
  CHECK(body.at("proxy").as_string() == kProxy);
  // A proxy written as host:port is sent in the URL form the docs ask for.
  auto bare = codec->send_request(provider(), account("10.0.0.1:8080"), DmMessage{"1", "", "x", ""}).value();
  CHECK(boost::json::parse(bare.body).as_object().at("proxy").as_string() == "http://10.0.0.1:8080");
}

TEST_CASE("twitterapi_io send request: needs the recipient id, the cookie and a proxy") {
  auto codec = make_codec(ProviderKind::twitterapi_io);
  CHECK(codec->send_request(provider(), account(), DmMessage{"", "someone", "Hi", ""}).has_error());
  CHECK(codec->send_request(provider(), account(""), DmMessage{"1", "", "Hi", ""}).has_error());
  CHECK(codec->send_request(provider(), AccountCredentials{}, DmMessage{"1", "", "Hi", ""}).has_error());
  CHECK(codec->send_request(ProviderCredentials{}, account(), DmMessage{"1", "", "Hi", ""}).has_error());
}

TEST_CASE("twitterapi_io send: documented 200 success → sent with message_id") {
  auto d = decide_send(response(200, R"({"message_id":"1234567890123456789","status":"success","msg":""})"));
  CHECK(expect<decision::Sent>(d).message_id == "1234567890123456789");
}

TEST_CASE("twitterapi_io send: errors inside HTTP 200 (status:error)") {
  SUBCASE("vague → retried (the docs say retry)") {
    auto r = send(response(200, R"({"status":"error","msg":"Sorry, something went wrong"})"));
    CHECK(r.signal == ProviderSignal::transient);
    CHECK(r.message == "Sorry, something went wrong");
    CHECK(expect<decision::RetryLater>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::server_error);
  }
  SUBCASE("closed DMs, by code or wording → cannot_dm") {
    auto r = send(response(200, R"J({"status":"error","msg":"send dm failed: You cannot send messages to this user. (349)"})J"));
    CHECK(r.x_code == 349);
    CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::cannot_dm);
    auto w = decide_send(response(200, R"({"status":"error","message":"You can't send messages to this user"})"));
    CHECK(expect<decision::FailedPermanent>(w).reason == ErrorClass::cannot_dm);
    auto v = decide_send(response(200, R"({"status":"error","msg":"code 476 Sender is not verified to send message requests"})"));
    CHECK(expect<decision::FailedPermanent>(v).reason == ErrorClass::cannot_dm);
  }
  SUBCASE("session problems and 226 → account stops") {
    expect<decision::AccountStop>(decide_send(response(200, R"({"status":"error","msg":"login_cookies expired, please login again"})")));
    expect<decision::AccountStop>(decide_send(response(200, R"({"status":"error","msg":"This request looks like it might be automated"})")));
    auto r = send(response(200, R"({"status":"error","msg":"error 226"})"));
    CHECK(r.x_code == 226);
    expect<decision::AccountStop>(classify(RequestKind::send, r, ctx()));
  }
  SUBCASE("151 → in doubt") {
    expect<decision::InDoubt>(decide_send(response(200, R"({"status":"error","msg":"151: Whoops! You already said that."})")));
  }
  SUBCASE("unknown recipient → not_found") {
    auto d = decide_send(response(200, R"({"status":"error","msg":"User not found"})"));
    CHECK(expect<decision::FailedPermanent>(d).reason == ErrorClass::not_found);
  }
  SUBCASE("status error with no text") {
    auto r = send(response(200, R"({"status":"error"})"));
    CHECK(r.signal == ProviderSignal::transient);
    CHECK_FALSE(r.message.empty());
  }
}

TEST_CASE("twitterapi_io send: 400 as {detail} or {error,message}") {
  auto a = send(response(400, R"({"detail":"Field required: user_id"})"));
  CHECK(a.message == "Field required: user_id");
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, a, ctx())).reason == ErrorClass::bad_request);
  auto b = send(response(400, R"({"error":400,"message":"Invalid proxy format"})"));
  CHECK(b.message == "Invalid proxy format");
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, b, ctx())).reason == ErrorClass::bad_request);
  auto c = send(response(400, R"J({"error":400,"message":"You cannot send messages to this user (349)"})J"));
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, c, ctx())).reason == ErrorClass::cannot_dm);
}

TEST_CASE("twitterapi_io send: key and path errors stop the account, 429 and 5xx") {
  expect<decision::AccountStop>(decide_send(response(401, R"({"message":"Invalid API key"})")));
  expect<decision::AccountStop>(decide_send(response(402, R"({"message":"Insufficient credits"})")));
  expect<decision::AccountStop>(decide_send(response(403, R"({"message":"Forbidden"})")));
  // 404 means the path does not exist: a wrong base_url must not skip every recipient.
  auto path = send(response(404, R"({"detail":"Not Found"})"));
  CHECK(path.signal == ProviderSignal::account_error);
  CHECK(path.message.find("base_url") != std::string::npos);
  expect<decision::AccountStop>(classify(RequestKind::send, path, ctx()));
  expect<decision::AccountStop>(decide_send(response(404, "")));
  auto wait = expect<decision::RateLimitedWait>(decide_send(response(429, "")));
  CHECK(wait.until == kNow + 30s);
  auto hinted = expect<decision::RateLimitedWait>(decide_send(response(429, R"({"msg":"QPS"})", {{"retry-after", "5"}})));
  CHECK(hinted.until == kNow + 5s);  // a provider hint replaces retry.base_delay
}

TEST_CASE("twitterapi_io send: 5xx retries, unreadable 2xx is in doubt") {
  CHECK(expect<decision::RetryLater>(decide_send(response(500, R"({"message":"Internal Server Error"})"))).reason ==
        ErrorClass::server_error);
  expect<decision::RetryLater>(decide_send(response(502, "<html>Bad Gateway</html>")));
  for (std::string body : {std::string(""), std::string("OK"), std::string(R"({"message_id":"1","sta)"), std::string("{}"),
                           std::string(R"({"msg":""})")}) {
    auto r = send(response(200, body));
    CHECK_MESSAGE(r.signal == ProviderSignal::malformed, body);
    expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  }
}

TEST_CASE("twitterapi_io send: secrets echoed in msg are redacted") {
  auto r = send(response(200, R"({"status":"error","msg":"bad cookie )" + kCookies + " for proxy " + kProxy + R"("})"));
  CHECK(r.message.find("[redacted]") != std::string::npos);
  CHECK(r.signal == ProviderSignal::account_error);
}

TEST_CASE("twitterapi_io lookups: user/info?userName= and batch_info_by_ids?userIds=") {
  auto codec = make_codec(ProviderKind::twitterapi_io);
  auto a = codec->lookup_by_username_request(provider(), account(), "some_one").value();
  CHECK(a.method == "GET");
  CHECK(a.target == "/twitter/user/info?userName=some_one");
  CHECK(find_header(a.headers, "X-API-Key") == kApiKey);
  auto b = codec->lookup_by_id_request(provider(), account(), "44196397").value();
  CHECK(b.target == "/twitter/user/batch_info_by_ids?userIds=44196397");
  CHECK(codec->lookup_by_id_request(provider(), account(), "1,2").has_error());
}

TEST_CASE("twitterapi_io lookup by username: data.id and data.canDm") {
  auto l = lookup_name(response(200, kUser));
  CHECK(l.user_id == "44196397");
  CHECK(l.can_dm == true);
  expect<decision::Sent>(decide_lookup(l));

  auto closed = lookup_name(response(200, R"({"data":{"id":"44196397","canDm":false,"unavailable":false},"status":"success"})"));
  CHECK(closed.can_dm == false);
  CHECK(expect<decision::FailedPermanent>(decide_lookup(closed)).reason == ErrorClass::cannot_dm);

  auto suspended = lookup_name(response(
      200, R"({"data":{"id":"44196397","unavailable":true,"unavailableReason":"Suspended","canDm":true},"status":"success"})"));
  CHECK(suspended.can_dm == false);
  CHECK(expect<decision::FailedPermanent>(decide_lookup(suspended)).reason == ErrorClass::cannot_dm);

  auto gone = lookup_name(response(200, R"({"data":{"id":"44196397","unavailable":true,"unavailableReason":"NotFound"},"status":"success"})"));
  CHECK(expect<decision::FailedPermanent>(decide_lookup(gone)).reason == ErrorClass::not_found);
}

TEST_CASE("twitterapi_io lookup: status:error and HTTP errors") {
  auto missing = lookup_name(response(200, R"({"status":"error","msg":"User not found"})"));
  CHECK(expect<decision::FailedPermanent>(decide_lookup(missing)).reason == ErrorClass::not_found);
  auto vague = lookup_name(response(200, R"({"status":"error","msg":"upstream hiccup"})"));
  CHECK(expect<decision::RetryLater>(decide_lookup(vague)).reason == ErrorClass::server_error);
  expect<decision::AccountStop>(decide_lookup(lookup_name(response(401, R"({"message":"Unauthorized"})"))));
  CHECK(expect<decision::FailedPermanent>(decide_lookup(lookup_name(response(404, R"({"message":"user not found"})"))))
            .reason == ErrorClass::not_found);
  expect<decision::RateLimitedWait>(decide_lookup(lookup_name(response(429, "Too Many Requests"))));
  expect<decision::RetryLater>(decide_lookup(lookup_name(response(500, R"({"message":"boom"})"))));
  for (std::string body : {std::string(""), std::string("<!doctype html>"), std::string(R"({"data":{"id":"44)"),
                           std::string(R"({"status":"success","msg":""})"), std::string(R"({"data":{"userName":"x"}})"),
                           std::string(R"({"data":{"id":"1","canDm":1}})")}) {
    auto l = lookup_name(response(200, body));
    CHECK_MESSAGE(l.result.signal == ProviderSignal::malformed, body);
    expect<decision::RetryLater>(decide_lookup(l));
  }
}

TEST_CASE("twitterapi_io lookup by id: picks the user from the batch") {
  const std::string batch =
      R"({"users":[{"id":"12","canDm":false},{"id":"44196397","userName":"someone","canDm":true}],"status":"success","msg":""})";
  auto l = lookup_id(response(200, batch));
  CHECK(l.user_id == "44196397");
  CHECK(l.can_dm == true);
  expect<decision::Sent>(decide_lookup(l));
  auto other = lookup_id(response(200, batch), "12");
  CHECK(other.can_dm == false);
  auto absent = lookup_id(response(200, batch), "99");
  CHECK(expect<decision::FailedPermanent>(decide_lookup(absent)).reason == ErrorClass::not_found);
  auto empty = lookup_id(response(200, R"({"users":[],"status":"success","msg":""})"));
  CHECK(empty.result.signal == ProviderSignal::not_found);
  auto no_users = lookup_id(response(200, R"({"status":"success","msg":""})"));
  CHECK(no_users.result.signal == ProviderSignal::malformed);
}
