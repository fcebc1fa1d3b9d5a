// Official X API v2 codec and OAuth 2.0 refresh against docs/providers.md#x_api, through classify()
// (docs/send-rules.md#outcomes).
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <variant>

#include "core/providers/codec.hpp"
#include "core/providers/x_oauth.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
const std::string kAccess = "ACCESS-TOKEN-zyx987";
const std::string kRefresh = "REFRESH-TOKEN-abc123";
const std::string kClientSecret = "SECRET-client-9876";

ProviderCredentials provider(bool confidential = true) {
  return ProviderCredentials{Secret(), "client-abc", confidential ? std::optional<Secret>(Secret(kClientSecret)) : std::nullopt};
}
AccountCredentials account(std::string refresh_token = kRefresh) {
  return AccountCredentials{Secret(), Secret(), "", Secret(kAccess), Secret(std::move(refresh_token))};
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

std::string unix_seconds(TimePoint t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

void check_clean(ProviderResult const& r) {
  for (std::string const& s : {kAccess, kRefresh, kClientSecret}) {
    CHECK_MESSAGE(r.message.find(s) == std::string::npos, r.message);
    CHECK(r.provider_code.find(s) == std::string::npos);
  }
  CHECK(r.message.size() <= 400);
}

ProviderResult send(HttpResponse const& resp) {
  auto r = make_codec(ProviderKind::x_api)->parse_send(resp, provider(), account(), kNow);
  check_clean(r);
  CHECK(r.http_status == resp.status);
  return r;
}

Decision decide_send(HttpResponse const& resp) { return classify(RequestKind::send, send(resp), ctx()); }

UserLookup user(HttpResponse const& resp, bool by_id = false) {
  auto codec = make_codec(ProviderKind::x_api);
  auto l = by_id ? codec->parse_lookup_by_id(resp, provider(), account(), "2244994945", kNow)
                 : codec->parse_lookup_by_username(resp, provider(), account(), "XDevelopers", kNow);
  check_clean(l.result);
  CHECK_FALSE(l.needs_dm_check);
  return l;
}

Decision decide_lookup(UserLookup const& l) { return classify(RequestKind::lookup, l.result, ctx()); }

TokenRefresh refresh(HttpResponse const& resp) {
  auto t = parse_x_token_refresh(resp, provider(), account(), kNow);
  check_clean(t.result);
  CHECK(t.tokens.has_value() == (t.result.signal == ProviderSignal::success));
  return t;
}

}  // namespace

TEST_CASE("x_api send request: Bearer user token, /2/dm_conversations/with/{id}/messages, {text}") {
  auto codec = make_codec(ProviderKind::x_api);
  CHECK(codec->kind() == ProviderKind::x_api);
  auto req = codec->send_request(provider(), account(), DmMessage{"2244994945", "XDevelopers", "Hello 👋", ""}).value();
  CHECK(req.method == "POST");
  CHECK(req.target == "/2/dm_conversations/with/2244994945/messages");
  CHECK(find_header(req.headers, "Authorization") == "Bearer " + kAccess);
  CHECK(find_header(req.headers, "Content-Type") == "application/json");
  auto body = boost::json::parse(req.body).as_object();
  CHECK(body.size() == 1);
  CHECK(body.at("text").as_string() == "Hello 👋");
  CHECK(codec->send_request(provider(), account(), DmMessage{"", "XDevelopers", "x", ""}).has_error());
  CHECK(codec->send_request(provider(), account(), DmMessage{"1/../../x", "", "x", ""}).has_error());
  CHECK(codec->send_request(provider(), AccountCredentials{}, DmMessage{"1", "", "x", ""}).has_error());
}

TEST_CASE("x_api send: 201 → sent with dm_event_id") {
  auto d = decide_send(response(201, R"({"data":{"dm_conversation_id":"123123123-456456456","dm_event_id":"1146654567674912769"}})"));
  CHECK(expect<decision::Sent>(d).message_id == "1146654567674912769");
  CHECK(send(response(200, R"({"data":{"dm_event_id":"1"}})")).signal == ProviderSignal::success);  // any 2xx
}

TEST_CASE("x_api send: 401 → refresh once (refreshable account stop), no rate-limit headers needed") {
  auto r = send(response(401, R"({"type":"about:blank","title":"Unauthorized","detail":"Unauthorized","status":401})"));
  CHECK(r.signal == ProviderSignal::auth_expired);
  CHECK(expect<decision::AccountStop>(classify(RequestKind::send, r, ctx())).refreshable);
  CHECK(expect<decision::AccountStop>(decide_send(response(401, ""))).refreshable);
}

TEST_CASE("x_api send: 402 credits depleted and 403 app problems stop the account") {
  for (std::string host : {"https://api.x.com", "https://api.twitter.com"}) {
    auto r = send(response(402, R"({"detail":"credits depleted","status":402,"title":"Payment Required","type":")" + host +
                                    R"(/2/problems/credits-depleted"})"));
    CHECK(r.provider_code == "credits-depleted");
    CHECK_FALSE(expect<decision::AccountStop>(classify(RequestKind::send, r, ctx())).refreshable);
  }
  expect<decision::AccountStop>(decide_send(response(403, R"({"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"})")));
  auto enrolled = send(response(403, R"({"client_id":"1","detail":"When authenticating requests...","registration_url":"https://developer.x.com",)"
                                     R"("title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access",)"
                                     R"("reason":"client-not-enrolled","type":"https://api.x.com/2/problems/client-forbidden"})"));
  CHECK(enrolled.provider_code == "client-forbidden");
  expect<decision::AccountStop>(classify(RequestKind::send, enrolled, ctx()));
}

TEST_CASE("x_api send: 403 not-authorized-for-resource is the recipient's refusal, under either host") {
  for (std::string host : {"https://api.x.com", "https://api.twitter.com"}) {
    auto r = send(response(403, R"({"detail":"You are not permitted to send Direct Messages to this user.","status":403,)"
                                R"("title":"Authorization Error","type":")" + host + R"(/2/problems/not-authorized-for-resource"})"));
    CHECK(r.signal == ProviderSignal::recipient_refused);
    CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::cannot_dm);
  }
}

TEST_CASE("x_api send: X legacy codes inside messages") {
  auto closed = send(response(403, R"J({"errors":[{"code":349,"message":"You cannot send messages to this user."}],"title":"Forbidden","type":"about:blank"})J"));
  CHECK(closed.x_code == 349);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, closed, ctx())).reason == ErrorClass::cannot_dm);
  auto follow = send(response(403, R"J({"detail":"You cannot send messages to users who are not following you. (150)","title":"Forbidden"})J"));
  CHECK(follow.x_code == 150);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, follow, ctx())).reason == ErrorClass::cannot_dm);
  auto verified = send(response(403, R"({"detail":"code 476: Sender is not verified to send message requests"})"));
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, verified, ctx())).reason == ErrorClass::cannot_dm);
  auto must_allow = send(response(400, R"({"errors":[{"code":214,"message":"must allow DMs from anyone"}]})"));
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, must_allow, ctx())).reason == ErrorClass::cannot_dm);
  auto automated = send(response(403, R"J({"detail":"This request looks like it might be automated (226)"})J"));
  CHECK(automated.x_code == 226);
  expect<decision::AccountStop>(classify(RequestKind::send, automated, ctx()));
  auto dup = send(response(403, R"({"errors":[{"code":151,"message":"There was an error sending your message: Whoops! You already said that."}]})"));
  CHECK(dup.x_code == 151);
  expect<decision::InDoubt>(classify(RequestKind::send, dup, ctx()));
}

TEST_CASE("x_api send: 429 is told apart by headers and title") {
  SUBCASE("15-minute window → wait until x-rate-limit-reset") {
    const auto reset = kNow + 7min;
    auto r = send(response(429, R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                           {{"x-rate-limit-limit", "200"}, {"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", unix_seconds(reset)}}));
    CHECK(r.signal == ProviderSignal::rate_limited);
    auto w = expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
    CHECK(w.until == reset);
    CHECK_FALSE(w.daily_limit);
  }
  SUBCASE("x-user-limit-24hour-remaining: 0 → the daily cap, until its own reset") {
    const auto window = kNow + 7min;
    const auto daily = kNow + 15h;
    auto r = send(response(429, R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                           {{"x-rate-limit-reset", unix_seconds(window)},
                            {"x-user-limit-24hour-limit", "1000"},
                            {"x-user-limit-24hour-remaining", "0"},
                            {"x-user-limit-24hour-reset", unix_seconds(daily)}}));
    CHECK(r.signal == ProviderSignal::daily_limit);
    CHECK(r.reset_at == daily);
    auto w = expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
    CHECK(w.daily_limit);
    CHECK(w.until == daily);
  }
  SUBCASE("UsageCapExceeded (monthly) → account stops") {
    auto r = send(response(429, R"({"account_id":1,"product_name":"standard-basic","title":"UsageCapExceeded","period":"Monthly",)"
                                R"("scope":"Product","detail":"Usage cap exceeded: Monthly product cap",)"
                                R"("type":"https://api.twitter.com/2/problems/usage-capped"})"));
    CHECK(r.provider_code == "usage-capped");
    expect<decision::AccountStop>(classify(RequestKind::send, r, ctx()));
  }
}

TEST_CASE("x_api send: 400 invalid-request fails, 5xx retries, unreadable 2xx is in doubt") {
  auto bad = send(response(400, R"({"errors":[{"parameters":{"text":[""]},"message":"text must not be empty"}],"title":"Invalid Request",)"
                                R"("detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"})"));
  CHECK(bad.provider_code == "invalid-request");
  CHECK(bad.message.find("One or more parameters") != std::string::npos);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, bad, ctx())).reason == ErrorClass::bad_request);
  expect<decision::RetryLater>(decide_send(response(503, R"({"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503})")));
  expect<decision::RetryLater>(decide_send(response(500, "<html>oops</html>")));
  for (std::string body : {std::string(""), std::string("<html/>"), std::string(R"({"data":{"dm_event_id":"11)"), std::string("{}"),
                           std::string(R"({"data":{"dm_conversation_id":"1-2"}})"), std::string(R"({"data":{"dm_event_id":1.1e18}})")}) {
    auto r = send(response(201, body));
    CHECK_MESSAGE(r.signal == ProviderSignal::malformed, body);
    expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  }
}

TEST_CASE("x_api send: an echoed token is redacted") {
  auto r = send(response(401, R"({"title":"Unauthorized","detail":"Token )" + kAccess + R"( is expired"})"));
  CHECK(r.message.find("[redacted]") != std::string::npos);
}

TEST_CASE("x_api lookups: by username and by id with user.fields=receives_your_dm") {
  auto codec = make_codec(ProviderKind::x_api);
  auto a = codec->lookup_by_username_request(provider(), account(), "XDevelopers").value();
  CHECK(a.method == "GET");
  CHECK(a.target == "/2/users/by/username/XDevelopers?user.fields=receives_your_dm");
  CHECK(find_header(a.headers, "Authorization") == "Bearer " + kAccess);
  auto odd = codec->lookup_by_username_request(provider(), account(), "a/b?c").value();
  CHECK(odd.target == "/2/users/by/username/a%2Fb%3Fc?user.fields=receives_your_dm");
  auto b = codec->lookup_by_id_request(provider(), account(), "2244994945").value();
  CHECK(b.target == "/2/users/2244994945?user.fields=receives_your_dm");
  CHECK(codec->lookup_by_id_request(provider(), account(), "x").has_error());
}

TEST_CASE("x_api lookup: receives_your_dm decides, 200 + an errors array is not found") {
  auto open = user(response(200, R"({"data":{"id":"2244994945","name":"X Dev","username":"XDevelopers","receives_your_dm":true}})"));
  CHECK(open.user_id == "2244994945");
  CHECK(open.can_dm == true);
  expect<decision::Sent>(decide_lookup(open));
  CHECK(user(response(200, R"({"data":{"id":"2244994945","receives_your_dm":true}})"), true).result.signal == ProviderSignal::success);

  auto closed = user(response(200, R"({"data":{"id":"2244994945","username":"XDevelopers","receives_your_dm":false}})"));
  CHECK(closed.can_dm == false);
  CHECK(expect<decision::FailedPermanent>(decide_lookup(closed)).reason == ErrorClass::cannot_dm);

  auto unknown = user(response(200, R"({"data":{"id":"2244994945","username":"XDevelopers"}})"));
  CHECK(unknown.result.signal == ProviderSignal::success);
  CHECK_FALSE(unknown.can_dm.has_value());

  for (std::string host : {"https://api.twitter.com", "https://api.x.com"}) {
    auto missing = user(response(200, R"({"errors":[{"value":"x","detail":"Could not find user with username: [x].","title":"Not Found Error",)"
                                      R"("resource_type":"user","parameter":"username","resource_id":"x","type":")" + host +
                                          R"(/2/problems/resource-not-found"}]})"));
    CHECK(missing.result.signal == ProviderSignal::not_found);
    CHECK_FALSE(missing.user_id.has_value());
    CHECK(expect<decision::FailedPermanent>(decide_lookup(missing)).reason == ErrorClass::not_found);
  }
}

TEST_CASE("x_api lookup: HTTP errors and unreadable answers") {
  auto bad_name = user(response(400, R"({"errors":[{"parameters":{"username":["bad name!"]},"message":"The `username` query parameter value [bad name!] does not match ^[A-Za-z0-9_]{1,15}$"}],)"
                                     R"("title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})"));
  CHECK(expect<decision::FailedPermanent>(decide_lookup(bad_name)).reason == ErrorClass::bad_request);
  CHECK(expect<decision::AccountStop>(decide_lookup(user(response(401, R"({"title":"Unauthorized","status":401})")))).refreshable);
  expect<decision::RateLimitedWait>(decide_lookup(user(response(429, R"({"title":"Too Many Requests"})"))));
  expect<decision::RetryLater>(decide_lookup(user(response(503, ""))));
  for (std::string body : {std::string(""), std::string("<html/>"), std::string(R"({"data":{"id":"22)"), std::string("{}"),
                           std::string(R"({"data":{"username":"x"}})"), std::string(R"({"data":{"id":"1","receives_your_dm":"yes"}})")}) {
    auto l = user(response(200, body));
    CHECK_MESSAGE(l.result.signal == ProviderSignal::malformed, body);
    expect<decision::RetryLater>(decide_lookup(l));
  }
}

TEST_CASE("x_api token refresh request: form body, Basic auth only for confidential clients") {
  auto req = x_token_refresh_request(provider(), account()).value();
  CHECK(req.method == "POST");
  CHECK(req.target == "/2/oauth2/token");
  CHECK(find_header(req.headers, "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(req.body == "grant_type=refresh_token&refresh_token=" + kRefresh + "&client_id=client-abc");
  // base64("client-abc:SECRET-client-9876")
  CHECK(find_header(req.headers, "Authorization") == "Basic Y2xpZW50LWFiYzpTRUNSRVQtY2xpZW50LTk4NzY=");

  auto pub = x_token_refresh_request(provider(false), account("a+b/c=")).value();
  CHECK_FALSE(find_header(pub.headers, "Authorization").has_value());
  CHECK(pub.body == "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3D&client_id=client-abc");

  CHECK(x_token_refresh_request(provider(), account("")).has_error());
  CHECK(x_token_refresh_request(ProviderCredentials{}, account()).has_error());
}

TEST_CASE("base64 matches RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("\xff\xfe") == "//4=");
}

TEST_CASE("x_api token refresh: success yields the rotated pair and the expiry") {
  auto t = refresh(response(200, R"({"token_type":"bearer","expires_in":7200,"access_token":"NEW-ACCESS","scope":"dm.write dm.read tweet.read users.read offline.access","refresh_token":"NEW-REFRESH"})"));
  REQUIRE(t.tokens.has_value());
  CHECK(t.tokens->access_token.reveal() == "NEW-ACCESS");
  REQUIRE(t.tokens->refresh_token.has_value());
  CHECK(t.tokens->refresh_token->reveal() == "NEW-REFRESH");
  CHECK(t.tokens->expires_in == 2h);
  CHECK(t.tokens->expires_at == kNow + 2h);
  expect<decision::Sent>(classify(RequestKind::lookup, t.result, ctx()));

  auto minimal = refresh(response(200, R"({"access_token":"A2"})"));
  REQUIRE(minimal.tokens.has_value());
  CHECK(minimal.tokens->expires_in == 2h);
  CHECK_FALSE(minimal.tokens->refresh_token.has_value());
}

TEST_CASE("x_api token refresh: a rejected 2xx answer never quotes the new tokens it may carry") {
  for (std::string body : {std::string(R"({"token_type":"mac","access_token":"NEWSECRET1234","refresh_token":"NEWSECRET5678"})"),
                           std::string(R"({"access_token":"NEWSECRET1234","expires_in":-1})"),
                           std::string(R"({"refresh_token":"NEWSECRET5678"})"),
                           std::string(R"(access_token=NEWSECRET1234&refresh_token=NEWSECRET5678)")}) {
    auto t = refresh(response(200, body));
    CHECK_MESSAGE(t.result.signal == ProviderSignal::malformed, body);
    CHECK_MESSAGE(t.result.message.find("NEWSECRET") == std::string::npos, t.result.message);
    CHECK_FALSE(t.tokens.has_value());
  }
}

TEST_CASE("x_api token refresh: failures are classified, never crash") {
  auto invalid = refresh(response(400, R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})"));
  CHECK(invalid.result.provider_code == "invalid_request");
  CHECK(invalid.result.message == "invalid_request: Value passed for the token was invalid.");
  CHECK_FALSE(expect<decision::AccountStop>(classify(RequestKind::lookup, invalid.result, ctx())).refreshable);
  auto client = refresh(response(401, R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})"));
  CHECK(client.result.signal == ProviderSignal::account_error);  // never "refresh again"
  auto echoed = refresh(response(400, R"({"error":"invalid_grant","error_description":"token )" + kRefresh + R"( was revoked"})"));
  CHECK(echoed.result.message.find("[redacted]") != std::string::npos);
  expect<decision::RateLimitedWait>(classify(RequestKind::lookup, refresh(response(429, "")).result, ctx()));
  expect<decision::RetryLater>(classify(RequestKind::lookup, refresh(response(503, "<html/>")).result, ctx()));
  for (std::string body : {std::string(""), std::string("<html/>"), std::string(R"({"access_token":"A)"), std::string("{}"),
                           std::string(R"({"access_token":""})"), std::string(R"({"access_token":"A","token_type":"mac"})"),
                           std::string(R"({"access_token":"A","expires_in":-5})"), std::string(R"({"access_token":"A","expires_in":"soon"})")}) {
    auto t = refresh(response(200, body));
    CHECK_MESSAGE(t.result.signal == ProviderSignal::malformed, body);
    expect<decision::RetryLater>(classify(RequestKind::lookup, t.result, ctx()));
  }
}
