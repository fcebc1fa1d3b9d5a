// Inbox reads of the codecs (docs/providers.md#reading-the-inbox): GetXAPI `POST /twitter/dm/list`,
// X `GET /2/dm_events` and `GET /2/users/me`, each answer taken through decide_inbox_read().
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <variant>

#include "core/inbox_read.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/wire_format.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
const std::string kApiKey = "get-x-api-KEY0123456789";
const std::string kAuthToken = "AUTHTOKEN0a1b2c3d4e5f";
const std::string kProxy = "http://puser:ProxyPass99@10.0.0.1:8080";
const std::string kAccess = "ACCESS-TOKEN-zyx987";
const std::string kRefresh = "REFRESH-TOKEN-abc123";
const std::string kClientSecret = "SECRET-client-9876";
const std::string kOwn = "1858475867762270208";
const std::string kOther = "1234567890123456789";

ProviderCredentials provider() { return ProviderCredentials{Secret(kApiKey), "client-abc", Secret(kClientSecret)}; }
AccountCredentials account(std::string proxy = kProxy) {
  return AccountCredentials{Secret(kAuthToken), Secret(std::move(proxy)), kOwn, Secret(kAccess), Secret(kRefresh)};
}

HttpResponse response(int status, std::string body, HttpHeaders headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

std::string unix_seconds(TimePoint t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

void check_clean(ProviderResult const& r) {
  for (std::string const& s : {kApiKey, kAuthToken, kProxy, std::string("ProxyPass99"), kAccess, kRefresh, kClientSecret}) {
    CHECK_MESSAGE(r.message.find(s) == std::string::npos, r.message);
    CHECK(r.provider_code.find(s) == std::string::npos);
  }
  CHECK(r.message.size() <= 400);
}

/// Checks what holds for every page, then returns it.
InboxPage checked(InboxPage page, HttpResponse const& resp) {
  check_clean(page.result);
  CHECK(page.result.transport == Transport::responded);
  CHECK(page.result.http_status == resp.status);
  if (page.result.signal != ProviderSignal::success) {
    CHECK(page.messages.empty());
    CHECK_FALSE(page.next_cursor.has_value());
    CHECK_FALSE(page.account_id.has_value());
  }
  for (InboxMessage const& m : page.messages) {
    CHECK(codec::is_decimal_id(m.id));
    CHECK(codec::is_decimal_id(m.sender_id));
    CHECK(codec::is_decimal_id(m.recipient_id));
  }
  return page;
}

InboxPage getxapi(HttpResponse const& resp, std::string_view own_id = "") {
  return checked(make_codec(ProviderKind::getxapi)->parse_inbox(resp, provider(), account(), own_id, kNow), resp);
}

InboxPage x_api(HttpResponse const& resp, std::string_view own_id = kOwn) {
  return checked(make_codec(ProviderKind::x_api)->parse_inbox(resp, provider(), account(), own_id, kNow), resp);
}

OwnAccount users_me(HttpResponse const& resp) {
  OwnAccount own = make_codec(ProviderKind::x_api)->parse_own_account(resp, provider(), account(), kNow);
  check_clean(own.result);
  CHECK(own.result.http_status == resp.status);
  CHECK(own.user_id.has_value() == (own.result.signal == ProviderSignal::success));
  return own;
}

InboxReadDecision decide(ProviderResult const& r) { return decide_inbox_read(r, kNow, 60s); }

template <class T>
T expect(InboxReadDecision const& d) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(d), "decision index " << d.index());
  return std::get<T>(d);
}

boost::json::object body_of(HttpRequest const& request) {
  auto v = boost::json::parse(request.body);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::string header(HttpRequest const& request, std::string_view name) {
  auto v = find_header(request.headers, name);
  return v ? std::string(*v) : std::string();
}

TimePoint at(std::chrono::year_month_day day, Duration time_of_day) { return std::chrono::sys_days{day} + time_of_day; }

// The documented GetXAPI page: the account wrote to kOther, who answered.
const std::string kGetxapiPage = R"({"userId":"1858475867762270208","message_count":2,"has_more":false,"next_cursor":null,"messages":[)"
                                 R"({"id":"2019384131067818999","createdAt":"2026-02-05T13:00:00.000Z","senderId":"1234567890123456789","recipientId":"1858475867762270208","text":"STOP","media":null},)"
                                 R"({"id":"2019384131067818211","createdAt":"2026-02-05T12:14:29.846Z","senderId":"1858475867762270208","recipientId":"1234567890123456789","text":"Hello!","media":null,"recipient_username":"target_user"}]})";

// The documented X page: an incoming message of the conversation 9876543210-1111.
const std::string kXPage = R"({"data":[{"id":"1234567890","event_type":"MessageCreate","text":"Hello!","sender_id":"9876543210",)"
                           R"("created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"9876543210-1111"}],)"
                           R"("meta":{"result_count":1,"next_token":"abc123"}})";

}  // namespace

// ---- requests -----------------------------------------------------------------------------------

TEST_CASE("inbox: only getxapi and x_api read an inbox") {
  CHECK(make_codec(ProviderKind::getxapi)->reads_inbox());
  CHECK(make_codec(ProviderKind::x_api)->reads_inbox());
  CHECK_FALSE(make_codec(ProviderKind::twitterapi_io)->reads_inbox());
  CHECK_FALSE(make_codec(ProviderKind::tweetapi)->reads_inbox());
}

TEST_CASE("getxapi inbox request: POST /twitter/dm/list with auth_token, count and cursor, Bearer api key") {
  auto codec = make_codec(ProviderKind::getxapi);
  auto first = codec->inbox_request(provider(), account(), std::nullopt);
  REQUIRE(first.has_value());
  CHECK(first->method == "POST");
  CHECK(first->target == "/twitter/dm/list");
  CHECK(header(*first, "Authorization") == "Bearer " + kApiKey);
  CHECK(header(*first, "Content-Type") == "application/json");
  CHECK(header(*first, "Accept") == "application/json");
  auto body = body_of(*first);
  CHECK(body.at("auth_token").as_string() == kAuthToken);
  CHECK(body.at("count").as_int64() == 100);
  CHECK_FALSE(body.contains("cursor"));
  CHECK(body.at("proxy").as_string() == kProxy);  // the account's proxy, as for its sends
  // Secrets travel in headers and body only, never in the target.
  CHECK(first->target.find(kAuthToken) == std::string::npos);
  CHECK(first->target.find(kApiKey) == std::string::npos);

  auto next = codec->inbox_request(provider(), account(""), std::string_view("DAABCgABF__-abc=="));
  REQUIRE(next.has_value());
  CHECK(next->target == "/twitter/dm/list");
  body = body_of(*next);
  CHECK(body.at("cursor").as_string() == "DAABCgABF__-abc==");
  CHECK_FALSE(body.contains("proxy"));
}

TEST_CASE("getxapi inbox request: missing credentials and unusable cursors are refused without quoting them") {
  auto codec = make_codec(ProviderKind::getxapi);
  ProviderCredentials no_key = provider();
  no_key.api_key = Secret();
  CHECK_FALSE(codec->inbox_request(no_key, account(), std::nullopt).has_value());
  AccountCredentials no_session = account();
  no_session.auth_token = Secret();
  CHECK_FALSE(codec->inbox_request(provider(), no_session, std::nullopt).has_value());
  for (std::string cursor : {std::string(), std::string("has space"), std::string("line\nbreak"), std::string(1025, 'c')}) {
    auto r = codec->inbox_request(provider(), account(), std::string_view(cursor));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("cursor") != std::string::npos);
    if (!cursor.empty()) CHECK(r.error().message.find(cursor) == std::string::npos);
  }
  CHECK(codec->inbox_request(provider(), account(), std::string_view(std::string(1024, 'c'))).has_value());
  CHECK_FALSE(codec->own_account_request(provider(), account()).has_value());  // its pages carry userId
}

TEST_CASE("x_api inbox request: GET /2/dm_events for MessageCreate with the fields, paged by pagination_token") {
  auto codec = make_codec(ProviderKind::x_api);
  auto first = codec->inbox_request(provider(), account(), std::nullopt);
  REQUIRE(first.has_value());
  CHECK(first->method == "GET");
  CHECK(first->target ==
        "/2/dm_events?event_types=MessageCreate&max_results=100"
        "&dm_event.fields=id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids");
  CHECK(header(*first, "Authorization") == "Bearer " + kAccess);
  CHECK(first->body.empty());

  auto next = codec->inbox_request(provider(), account(), std::string_view("7140dibdnow9c7btw3z3&x"));
  REQUIRE(next.has_value());
  CHECK(next->target ==
        "/2/dm_events?event_types=MessageCreate&max_results=100"
        "&dm_event.fields=id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids"
        "&pagination_token=7140dibdnow9c7btw3z3%26x");
  for (auto const& [name, value] : next->headers) {
    CHECK(value.find(kRefresh) == std::string::npos);
    CHECK(value.find(kClientSecret) == std::string::npos);
  }

  AccountCredentials no_token = account();
  no_token.access_token = Secret();
  CHECK_FALSE(codec->inbox_request(provider(), no_token, std::nullopt).has_value());
  CHECK_FALSE(codec->inbox_request(provider(), account(), std::string_view("a b")).has_value());

  auto me = codec->own_account_request(provider(), account());
  REQUIRE(me.has_value());
  CHECK(me->method == "GET");
  CHECK(me->target == "/2/users/me");
  CHECK(header(*me, "Authorization") == "Bearer " + kAccess);
  CHECK_FALSE(codec->own_account_request(provider(), no_token).has_value());
}

// ---- GetXAPI pages ------------------------------------------------------------------------------

TEST_CASE("getxapi inbox: the documented page, newest first, with userId and both directions") {
  const auto resp = response(200, kGetxapiPage);
  for (std::string_view own : {std::string_view(), std::string_view(kOwn)}) {
    InboxPage page = getxapi(resp, own);
    REQUIRE(page.result.signal == ProviderSignal::success);
    CHECK(std::holds_alternative<inbox_read::Ok>(decide(page.result)));
    CHECK(page.account_id == kOwn);
    CHECK_FALSE(page.next_cursor.has_value());
    REQUIRE(page.messages.size() == 2);
    // A reply: from the other user to the account.
    CHECK(page.messages[0].id == "2019384131067818999");
    CHECK(page.messages[0].sender_id == kOther);
    CHECK(page.messages[0].recipient_id == kOwn);
    CHECK(page.messages[0].text == "STOP");
    CHECK(page.messages[0].created_at == at(std::chrono::year{2026} / 2 / 5, 13h));
    // What the account sent.
    CHECK(page.messages[1].id == "2019384131067818211");
    CHECK(page.messages[1].sender_id == kOwn);
    CHECK(page.messages[1].recipient_id == kOther);
    CHECK(page.messages[1].text == "Hello!");
    CHECK(page.messages[1].created_at == at(std::chrono::year{2026} / 2 / 5, 12h + 14min + 29s + 846ms));
  }
}

TEST_CASE("getxapi inbox: an empty inbox, and numeric ids") {
  InboxPage empty = getxapi(response(200, R"({"userId":"1858475867762270208","message_count":0,"has_more":false,"next_cursor":null,"messages":[]})"));
  CHECK(empty.result.signal == ProviderSignal::success);
  CHECK(empty.messages.empty());
  CHECK(empty.account_id == kOwn);
  InboxPage bare = getxapi(response(200, R"({"userId":"1858475867762270208","message_count":0,"has_more":false})"));
  CHECK(bare.result.signal == ProviderSignal::success);
  CHECK(bare.messages.empty());

  InboxPage numeric = getxapi(response(200, R"({"userId":1858475867762270208,"has_more":false,"messages":[)"
                                            R"({"id":2019384131067818211,"createdAt":"2026-02-05T12:14:29Z","senderId":1234567890123456789,"recipientId":1858475867762270208,"text":"hi"}]})"));
  REQUIRE(numeric.result.signal == ProviderSignal::success);
  REQUIRE(numeric.messages.size() == 1);
  CHECK(numeric.messages[0].id == "2019384131067818211");
  CHECK(numeric.messages[0].sender_id == kOther);
  // A reply without recipientId is to the account; a message without text has an empty one.
  InboxPage implicit = getxapi(response(200, R"({"userId":"1858475867762270208","has_more":false,"messages":[)"
                                             R"({"id":"5","createdAt":"2026-02-05T12:14:29Z","senderId":"77"}]})"));
  REQUIRE(implicit.messages.size() == 1);
  CHECK(implicit.messages[0].recipient_id == kOwn);
  CHECK(implicit.messages[0].text.empty());
}

TEST_CASE("getxapi inbox: paging follows has_more and next_cursor") {
  InboxPage more = getxapi(response(200, R"({"userId":"1858475867762270208","message_count":1,"has_more":true,"next_cursor":"DAABCgABF__-abc==","messages":[)"
                                         R"({"id":"9","createdAt":"2026-02-05T12:14:29.846Z","senderId":"1858475867762270208","recipientId":"5","text":"x"}]})"));
  REQUIRE(more.result.signal == ProviderSignal::success);
  CHECK(more.next_cursor == "DAABCgABF__-abc==");
  CHECK(more.messages.size() == 1);
  // has_more false ends the paging, whatever next_cursor says.
  InboxPage last = getxapi(response(200, R"({"userId":"1858475867762270208","has_more":false,"next_cursor":"c2","messages":[]})"));
  CHECK(last.result.signal == ProviderSignal::success);
  CHECK_FALSE(last.next_cursor.has_value());
  // Without has_more, a cursor means more.
  InboxPage implied = getxapi(response(200, R"({"userId":"1858475867762270208","next_cursor":"c2","messages":[]})"));
  CHECK(implied.next_cursor == "c2");
  // More pages that cannot be reached: never taken for the end of the history.
  for (std::string body : {R"({"userId":"1","has_more":true,"next_cursor":null,"messages":[]})",
                           R"({"userId":"1","has_more":true,"messages":[]})",
                           R"({"userId":"1","has_more":true,"next_cursor":"has space","messages":[]})",
                           R"({"userId":"1","has_more":true,"next_cursor":7,"messages":[]})",
                           R"({"userId":"1","has_more":"yes","next_cursor":"c","messages":[]})",
                           R"({"userId":"1","next_cursor":"","messages":[]})"}) {
    CAPTURE(body);
    InboxPage page = getxapi(response(200, body));
    CHECK(page.result.signal == ProviderSignal::malformed);
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(page.result)));
  }
}

TEST_CASE("getxapi inbox: createdAt in ISO 8601 or Twitter's legacy form") {
  auto one = [](std::string created) {
    return getxapi(response(200, R"({"userId":"1","has_more":false,"messages":[{"id":"9","createdAt":")" + created +
                                     R"(","senderId":"2","recipientId":"1","text":"x"}]})"));
  };
  InboxPage iso = one("2026-02-05T13:14:29.846+01:00");
  REQUIRE(iso.messages.size() == 1);
  CHECK(iso.messages[0].created_at == at(std::chrono::year{2026} / 2 / 5, 12h + 14min + 29s + 846ms));
  InboxPage legacy = one("Wed Oct 10 20:19:24 +0000 2018");
  REQUIRE(legacy.messages.size() == 1);
  CHECK(legacy.messages[0].created_at == at(std::chrono::year{2018} / 10 / 10, 20h + 19min + 24s));
  for (std::string bad : {"2026-02-05", "2026-02-30T00:00:00Z", "yesterday", "", "1700000000",
                          "Wed Oct 10 20:19:24 +0000 18", "Wed Foo 10 20:19:24 +0000 2018"}) {
    CAPTURE(bad);
    CHECK(one(bad).result.signal == ProviderSignal::malformed);
  }
}

TEST_CASE("getxapi inbox: one unreadable message makes the whole page malformed") {
  const std::string head = R"({"userId":"1858475867762270208","has_more":false,"messages":[)"
                           R"({"id":"1","createdAt":"2026-02-05T12:14:29Z","senderId":"2","recipientId":"1858475867762270208","text":"ok"},)";
  for (std::string message : {R"({"createdAt":"2026-02-05T12:14:29Z","senderId":"2","text":"x"})",
                              R"({"id":"abc","createdAt":"2026-02-05T12:14:29Z","senderId":"2","text":"x"})",
                              R"({"id":"-3","createdAt":"2026-02-05T12:14:29Z","senderId":"2","text":"x"})",
                              R"({"id":1.5,"createdAt":"2026-02-05T12:14:29Z","senderId":"2","text":"x"})",
                              R"({"id":"3","senderId":"2","text":"x"})",
                              R"({"id":"3","createdAt":"2026-02-05T12:14:29Z","text":"x"})",
                              R"({"id":"3","createdAt":"2026-02-05T12:14:29Z","senderId":"2","recipientId":"x","text":"x"})",
                              R"({"id":"3","createdAt":"2026-02-05T12:14:29Z","senderId":"2","text":42})",
                              // Sent by the account to nobody named: no way to match it.
                              R"({"id":"3","createdAt":"2026-02-05T12:14:29Z","senderId":"1858475867762270208","text":"x"})",
                              R"("just a string")"}) {
    CAPTURE(message);
    InboxPage page = getxapi(response(200, head + message + "]}"));
    CHECK(page.result.signal == ProviderSignal::malformed);
    CHECK(page.result.message.find("message 2") != std::string::npos);
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(page.result)));
  }
  for (std::string body : {"", "<html>502</html>", "[]", R"({"has_more":false,"messages":[]})",
                           R"({"userId":"abc","has_more":false,"messages":[]})",
                           R"({"userId":"1","messages":{"id":"1"}})", R"({"userId":"1","message_count":3})"}) {
    CAPTURE(body);
    CHECK(getxapi(response(200, body)).result.signal == ProviderSignal::malformed);
  }
  // A page about another account than the one asked for is never used.
  InboxPage other = getxapi(response(200, kGetxapiPage), "42");
  CHECK(other.result.signal == ProviderSignal::malformed);
  CHECK(other.result.message.find("not 42") != std::string::npos);
}

TEST_CASE("getxapi inbox: messages that do not involve the account are skipped") {
  InboxPage page = getxapi(response(200, R"({"userId":"1","has_more":false,"messages":[)"
                                         R"({"id":"3","createdAt":"2026-02-05T12:14:29Z","senderId":"2","recipientId":"4","text":"group"},)"
                                         R"({"id":"2","createdAt":"2026-02-05T12:14:28Z","senderId":"2","recipientId":"1","text":"mine"}]})"));
  REQUIRE(page.result.signal == ProviderSignal::success);
  REQUIRE(page.messages.size() == 1);
  CHECK(page.messages[0].text == "mine");
}

TEST_CASE("getxapi inbox: errors are classified for reads") {
  SUBCASE("401 invalid auth_token stops the account") {
    InboxPage page = getxapi(response(401, R"({"error":"Invalid auth_token - could not extract userId"})"));
    CHECK(page.result.signal == ProviderSignal::account_error);
    CHECK(page.result.message == "Invalid auth_token - could not extract userId");
    auto stop = expect<inbox_read::StopAccount>(decide(page.result));
    CHECK(stop.reason == "HTTP 401: Invalid auth_token - could not extract userId");
  }
  SUBCASE("402 no credit stops the account") {
    CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(getxapi(response(402, R"({"error":"Insufficient credits"})")).result)));
  }
  SUBCASE("429 delays reads until the hint, else the fallback") {
    InboxPage page = getxapi(response(429, R"({"error":"Too many requests"})", {{"Retry-After", "120"}}));
    CHECK(page.result.signal == ProviderSignal::rate_limited);
    CHECK(page.result.retry_after == Duration{120s});
    CHECK(expect<inbox_read::WaitUntil>(decide(page.result)).until == kNow + 120s);
    InboxPage bare = getxapi(response(429, "rate limited"));
    CHECK(expect<inbox_read::WaitUntil>(decide(bare.result)).until == kNow + 60s);
  }
  SUBCASE("403 and 404 turn the inbox off unless X names an account problem") {
    InboxPage refused = getxapi(response(403, R"({"error":"Your plan does not include DM reads"})"));
    CHECK(refused.result.signal == ProviderSignal::read_refused);
    CHECK(expect<inbox_read::InboxOff>(decide(refused.result)).reason == "HTTP 403: Your plan does not include DM reads");
    CHECK(getxapi(response(404, R"({"error":"Not Found"})")).result.signal == ProviderSignal::read_refused);
    InboxPage locked = getxapi(response(403, R"J({"error":"Your account is temporarily locked (326)"})J"));
    CHECK(locked.result.signal == ProviderSignal::account_error);
    CHECK(locked.result.x_code == 326);
    CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(locked.result)));
    // A refusal code is about a recipient: meaningless on a read.
    InboxPage odd = getxapi(response(403, R"J({"error":"You cannot send messages to this user. (349)"})J"));
    CHECK(odd.result.signal == ProviderSignal::read_refused);
    CHECK_FALSE(odd.result.x_code.has_value());
  }
  SUBCASE("400 is a rejected read request") {
    InboxPage page = getxapi(response(400, R"({"error":"Missing required field: auth_token"})"));
    CHECK(page.result.signal == ProviderSignal::account_error);  // "auth_token" names the session
    InboxPage bad = getxapi(response(400, R"({"error":"count must be a number"})"));
    CHECK(bad.result.signal == ProviderSignal::invalid_request);
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(bad.result)));
  }
  SUBCASE("5xx is read again later") {
    for (int status : {500, 502, 503}) {
      InboxPage page = getxapi(response(status, R"({"error":"Internal error"})"));
      CHECK(page.result.signal == ProviderSignal::none);
      CHECK(expect<inbox_read::RetryLater>(decide(page.result)).reason == ErrorClass::server_error);
      CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(getxapi(response(status, "<html>oops</html>")).result)));
    }
    InboxPage automated = getxapi(response(502, R"J({"error":"This request looks like it might be automated (226)"})J"));
    CHECK(automated.result.x_code == 226);
    CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(automated.result)));
  }
  SUBCASE("an error inside a 2xx is read again later, unless it names the account") {
    InboxPage vague = getxapi(response(200, R"({"status":"error","msg":"Something went wrong"})"));
    CHECK(vague.result.signal == ProviderSignal::transient);
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(vague.result)));
    InboxPage session = getxapi(response(200, R"J({"error":"Could not authenticate you (32)"})J"));
    CHECK(session.result.signal == ProviderSignal::account_error);
    CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(session.result)));
  }
}

// ---- X pages ------------------------------------------------------------------------------------

TEST_CASE("x_api inbox: the documented page, and who the recipient is in each direction") {
  // The account is 1111: the message came in from 9876543210.
  InboxPage incoming = x_api(response(200, kXPage), "1111");
  REQUIRE(incoming.result.signal == ProviderSignal::success);
  CHECK(std::holds_alternative<inbox_read::Ok>(decide(incoming.result)));
  CHECK_FALSE(incoming.account_id.has_value());
  CHECK(incoming.next_cursor == "abc123");
  REQUIRE(incoming.messages.size() == 1);
  CHECK(incoming.messages[0].id == "1234567890");
  CHECK(incoming.messages[0].sender_id == "9876543210");
  CHECK(incoming.messages[0].recipient_id == "1111");
  CHECK(incoming.messages[0].text == "Hello!");
  CHECK(incoming.messages[0].created_at == at(std::chrono::year{2024} / 1 / 15, 10h + 30min));
  // The account is 9876543210: it sent the message to 1111.
  InboxPage outgoing = x_api(response(200, kXPage), "9876543210");
  REQUIRE(outgoing.messages.size() == 1);
  CHECK(outgoing.messages[0].sender_id == "9876543210");
  CHECK(outgoing.messages[0].recipient_id == "1111");

  // participant_ids say the same, in any order; the smaller id need not come first.
  InboxPage both = x_api(response(200, R"({"data":[)"
                                       R"({"id":"20","event_type":"MessageCreate","text":"hi","sender_id":"1858475867762270208","created_at":"2026-11-23T08:00:00.000Z","dm_conversation_id":"1234567890123456789-1858475867762270208","participant_ids":["1858475867762270208","1234567890123456789"]},)"
                                       R"({"id":"19","event_type":"MessageCreate","text":"yo","sender_id":"1234567890123456789","created_at":"2026-11-23T07:00:00.000Z","participant_ids":["1234567890123456789","1858475867762270208"]},)"
                                       R"({"id":"18","event_type":"MessageCreate","text":"re","sender_id":"1234567890123456789","created_at":"2026-11-23T06:00:00.000Z","dm_conversation_id":"1858475867762270208-1234567890123456789"}],)"
                                       R"("meta":{"result_count":3}})"));
  REQUIRE(both.result.signal == ProviderSignal::success);
  CHECK_FALSE(both.next_cursor.has_value());
  REQUIRE(both.messages.size() == 3);
  CHECK(both.messages[0].recipient_id == kOther);
  CHECK(both.messages[1].recipient_id == kOwn);
  CHECK(both.messages[2].recipient_id == kOwn);
  CHECK(both.messages[0].id == "20");  // the provider's order, newest first
}

TEST_CASE("x_api inbox: an empty inbox and the last page") {
  InboxPage empty = x_api(response(200, R"({"meta":{"result_count":0}})"));
  CHECK(empty.result.signal == ProviderSignal::success);
  CHECK(empty.messages.empty());
  CHECK_FALSE(empty.next_cursor.has_value());
  CHECK(std::holds_alternative<inbox_read::Ok>(decide(empty.result)));
  InboxPage empty_data = x_api(response(200, R"({"data":[],"meta":{"result_count":0}})"));
  CHECK(empty_data.result.signal == ProviderSignal::success);
  // A last page has no next_token; an empty array is still a page.
  InboxPage last = x_api(response(200, R"({"data":[{"id":"1","event_type":"MessageCreate","text":"a","sender_id":"1111",)"
                                       R"("created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"}],"meta":{"result_count":1}})"),
                         "2222");
  REQUIRE(last.result.signal == ProviderSignal::success);
  CHECK_FALSE(last.next_cursor.has_value());
  CHECK(last.messages.size() == 1);
}

TEST_CASE("x_api inbox: other events, group conversations and strangers' conversations are skipped") {
  InboxPage page = x_api(response(200, R"({"data":[)"
                                       R"({"id":"5","event_type":"ParticipantsJoin","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1582838223519850499","participant_ids":["1111"]},)"
                                       R"({"id":"4","event_type":"MessageCreate","text":"group hi","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1582838223519850499"},)"
                                       R"({"id":"3","event_type":"MessageCreate","text":"group hi","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","participant_ids":["1111","2222","3333"]},)"
                                       R"({"id":"2","event_type":"MessageCreate","text":"not ours","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"2222-3333"},)"
                                       R"({"id":"1","text":"untyped","sender_id":"2222","created_at":"2024-01-15T10:29:00.000Z","dm_conversation_id":"1111-2222"}],)"
                                       R"("meta":{"result_count":5,"next_token":"n2"}})"),
                         "1111");
  REQUIRE(page.result.signal == ProviderSignal::success);
  REQUIRE(page.messages.size() == 1);
  CHECK(page.messages[0].id == "1");
  CHECK(page.messages[0].recipient_id == "1111");
  CHECK(page.next_cursor == "n2");
}

TEST_CASE("x_api inbox: an unreadable event or page is malformed as a whole") {
  const std::string good = R"({"id":"9","event_type":"MessageCreate","text":"ok","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"},)";
  for (std::string event : {
           R"({"event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           R"({"id":"x1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"15/01/2024","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-abc"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222","participant_ids":["1111","3333"]})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","participant_ids":"1111"})",
           R"({"id":"1","event_type":"MessageCreate","text":"x","sender_id":"4444","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":"MessageCreate","text":["x"],"sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           R"({"id":"1","event_type":7,"text":"x","sender_id":"2222","created_at":"2024-01-15T10:30:00.000Z","dm_conversation_id":"1111-2222"})",
           "null"}) {
    CAPTURE(event);
    InboxPage page = x_api(response(200, R"({"data":[)" + good + event + R"(],"meta":{"result_count":2}})"), "1111");
    CHECK(page.result.signal == ProviderSignal::malformed);
    CHECK(page.result.message.find("event 2") != std::string::npos);
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(page.result)));
  }
  for (std::string body : {"", "not json", "[]", "{}", R"({"data":{"id":"1"},"meta":{}})",
                           R"({"meta":{"result_count":3}})", R"({"meta":{"result_count":0,"next_token":"n"}})",
                           R"({"meta":"x"})", R"({"data":[],"meta":{"next_token":""}})",
                           R"({"data":[],"meta":{"next_token":"a b"}})", R"({"data":[],"meta":{"next_token":12}})"}) {
    CAPTURE(body);
    CHECK(x_api(response(200, body), "1111").result.signal == ProviderSignal::malformed);
  }
  // Without the account's own id, no page can be read.
  CHECK(x_api(response(200, kXPage), "").result.signal == ProviderSignal::malformed);
}

TEST_CASE("x_api inbox: errors are classified for reads") {
  SUBCASE("401 refreshes the token") {
    InboxPage page = x_api(response(401, R"({"type":"about:blank","title":"Unauthorized","detail":"Unauthorized","status":401})"));
    CHECK(page.result.signal == ProviderSignal::auth_expired);
    CHECK(expect<inbox_read::RefreshToken>(decide(page.result)).detail == "HTTP 401: Unauthorized");
  }
  SUBCASE("403 for a missing dm.read scope or an unenrolled client turns the inbox off") {
    InboxPage forbidden = x_api(response(403, R"({"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"})"));
    CHECK(forbidden.result.signal == ProviderSignal::read_refused);
    CHECK(expect<inbox_read::InboxOff>(decide(forbidden.result)).reason == "HTTP 403: Forbidden");
    InboxPage client = x_api(response(403, R"({"type":"https://api.twitter.com/2/problems/client-forbidden","title":"Client Forbidden",)"
                                           R"("detail":"This request must be made using an approved developer account that is enrolled in the requested endpoint.",)"
                                           R"("reason":"client-not-enrolled","registration_url":"https://developer.twitter.com/en/docs/projects/overview"})"));
    CHECK(client.result.signal == ProviderSignal::read_refused);
    CHECK(client.result.provider_code == "client-forbidden");
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(client.result)));
    InboxPage resource = x_api(response(403, R"({"detail":"You are not permitted to read these events","status":403,"title":"Authorization Error",)"
                                             R"("type":"https://api.x.com/2/problems/not-authorized-for-resource"})"));
    CHECK(resource.result.signal == ProviderSignal::read_refused);
    InboxPage suspended = x_api(response(403, R"({"title":"Forbidden","detail":"Your account is suspended and is not permitted to access this feature"})"));
    CHECK(suspended.result.signal == ProviderSignal::account_error);
    CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(suspended.result)));
  }
  SUBCASE("402, usage caps and app-only tokens stop the account") {
    CHECK(x_api(response(402, R"({"detail":"credits depleted","status":402,"title":"Payment Required","type":"https://api.x.com/2/problems/credits-depleted"})"))
              .result.signal == ProviderSignal::account_error);
    CHECK(x_api(response(429, R"({"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"})"))
              .result.signal == ProviderSignal::account_error);
    CHECK(x_api(response(403, R"({"title":"Unsupported Authentication","type":"https://api.twitter.com/2/problems/unsupported-authentication"})"))
              .result.signal == ProviderSignal::account_error);
  }
  SUBCASE("429 delays reads until x-rate-limit-reset") {
    const TimePoint reset = kNow + 7min;
    InboxPage page = x_api(response(429, R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                                    {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", unix_seconds(reset)}}));
    CHECK(page.result.signal == ProviderSignal::rate_limited);
    CHECK(page.result.reset_at == reset);
    CHECK(expect<inbox_read::WaitUntil>(decide(page.result)).until == reset);
  }
  SUBCASE("400 is a rejected read request") {
    InboxPage page = x_api(response(400, R"({"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"})"));
    CHECK(page.result.signal == ProviderSignal::invalid_request);
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(page.result)));
  }
  SUBCASE("5xx and a 200 with errors[] are read again later") {
    for (int status : {500, 503}) {
      InboxPage page = x_api(response(status, R"({"title":"Service Unavailable","detail":"Service Unavailable"})"));
      CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(page.result)));
      CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(x_api(response(status, "<html></html>")).result)));
    }
    InboxPage partial = x_api(response(200, R"({"data":[],"errors":[{"title":"Service Unavailable","detail":"partial"}],"meta":{"result_count":0}})"));
    CHECK(partial.result.signal == ProviderSignal::transient);
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(partial.result)));
    InboxPage missing = x_api(response(200, R"({"data":[],"errors":[{"title":"Not Found Error","detail":"Could not find user",)"
                                            R"("type":"https://api.twitter.com/2/problems/resource-not-found"}],"meta":{"result_count":0}})"));
    CHECK(missing.result.signal == ProviderSignal::transient);
  }
}

TEST_CASE("x_api users/me: the account's own id") {
  OwnAccount me = users_me(response(200, R"({"data":{"id":"2244994945","name":"X Dev","username":"XDevelopers"}})"));
  CHECK(me.result.signal == ProviderSignal::success);
  CHECK(me.user_id == "2244994945");
  CHECK(me.username == "XDevelopers");
  CHECK(std::holds_alternative<inbox_read::Ok>(decide(me.result)));
  OwnAccount odd_name = users_me(response(200, R"({"data":{"id":2244994945,"username":"not a name"}})"));
  CHECK(odd_name.user_id == "2244994945");
  CHECK(odd_name.username.empty());
  for (std::string body : {"", "{}", R"({"data":{"username":"x"}})", R"({"data":{"id":"x1"}})", R"({"data":{"id":-1}})"}) {
    CAPTURE(body);
    CHECK(users_me(response(200, body)).result.signal == ProviderSignal::malformed);
  }
  CHECK(users_me(response(401, R"({"title":"Unauthorized","status":401})")).result.signal == ProviderSignal::auth_expired);
  CHECK(users_me(response(403, R"({"title":"Forbidden","detail":"Forbidden"})")).result.signal == ProviderSignal::read_refused);
  CHECK(users_me(response(429, "", {{"retry-after", "30"}})).result.retry_after == Duration{30s});
  // The other providers have no such request; getxapi's pages carry the id instead.
  auto getx = make_codec(ProviderKind::getxapi)->parse_own_account(response(200, "{}"), provider(), account(), kNow);
  CHECK(getx.result.signal == ProviderSignal::read_refused);
  CHECK_FALSE(getx.user_id.has_value());
}

// ---- secrets and the providers without inbox reads ----------------------------------------------

TEST_CASE("inbox: echoed secrets are scrubbed from every result text, DM texts are kept as given") {
  const std::string echo = "token " + kAuthToken + " key " + kApiKey + " via " + kProxy + " bearer " + kAccess + " " + kRefresh;
  for (int status : {200, 400, 401, 403, 429, 500}) {
    CAPTURE(status);
    getxapi(response(status, R"({"error":")" + echo + R"("})"));
    getxapi(response(status, "<html>" + echo + "</html>"));
    x_api(response(status, R"({"title":"Forbidden","detail":")" + echo + R"("})"));
    x_api(response(status, R"({"errors":[{"message":")" + echo + R"("}]})"));
    users_me(response(status, R"({"detail":")" + echo + R"("})"));
  }
  // A cursor that would carry a secret is never handed out.
  CHECK(getxapi(response(200, R"({"userId":"1","has_more":true,"next_cursor":")" + kAuthToken + R"(","messages":[]})"))
            .result.signal == ProviderSignal::malformed);
  CHECK(x_api(response(200, R"({"meta":{"result_count":0,"next_token":")" + kAccess + R"("}})")).result.signal ==
        ProviderSignal::malformed);
  // A username that is a secret is dropped.
  CHECK(users_me(response(200, R"({"data":{"id":"1","username":"AUTHTOKEN0a1b2c3d4e5f"}})")).username.empty());
  // DM bodies are what people wrote, not provider errors: kept byte for byte.
  const std::string text = "line one\nline two \xE2\x9C\x93 " + std::string(400, 'x');
  InboxPage page = getxapi(response(200, R"({"userId":"1","has_more":false,"messages":[{"id":"9","createdAt":"2026-02-05T12:14:29Z",)"
                                         R"("senderId":"2","recipientId":"1","text":"line one\nline two \u2713 )" +
                                         std::string(400, 'x') + R"("}]})"));
  REQUIRE(page.messages.size() == 1);
  CHECK(page.messages[0].text == text);
}

TEST_CASE("inbox: providers without inbox reads refuse the requests and read nothing") {
  for (ProviderKind kind : {ProviderKind::twitterapi_io, ProviderKind::tweetapi}) {
    CAPTURE(to_string(kind));
    auto codec = make_codec(kind);
    CHECK_FALSE(codec->inbox_request(provider(), account(), std::nullopt).has_value());
    CHECK_FALSE(codec->own_account_request(provider(), account()).has_value());
    const auto resp = response(200, kGetxapiPage);
    InboxPage page = checked(codec->parse_inbox(resp, provider(), account(), kOwn, kNow), resp);
    CHECK(page.result.signal == ProviderSignal::read_refused);
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(page.result)));
    CHECK(codec->parse_own_account(resp, provider(), account(), kNow).result.signal == ProviderSignal::read_refused);
  }
}

TEST_CASE("wire format: cursors and Twitter's legacy timestamps") {
  CHECK(codec::is_cursor("abc123"));
  CHECK(codec::is_cursor("DAABCgABF__-abc=="));
  CHECK(codec::is_cursor(std::string(codec::kMaxCursor, 'x')));
  CHECK_FALSE(codec::is_cursor(std::string(codec::kMaxCursor + 1, 'x')));
  CHECK_FALSE(codec::is_cursor(""));
  CHECK_FALSE(codec::is_cursor("a b"));
  CHECK_FALSE(codec::is_cursor("a\tb"));
  CHECK_FALSE(codec::is_cursor("caf\xC3\xA9"));

  CHECK(codec::parse_twitter_date("Wed Oct 10 20:19:24 +0000 2018") == at(std::chrono::year{2018} / 10 / 10, 20h + 19min + 24s));
  CHECK(codec::parse_twitter_date("Tue Dec 01 00:00:00 +0000 2020") == at(std::chrono::year{2020} / 12 / 1, 0h));
  CHECK(codec::parse_twitter_date("Thu Feb 29 23:30:00 -0130 2024") == at(std::chrono::year{2024} / 3 / 1, 1h));
  for (std::string_view bad : {"Wed Oct 10 20:19:24 2018", "wed oct 10 20:19:24 +0000 2018", "Wed Oct 32 20:19:24 +0000 2018",
                               "Thu Feb 29 23:30:00 +0000 2023", "Wed Oct 10 24:00:00 +0000 2018", "Wed Oct 10 20:19:24 *0000 2018",
                               "Wed Oct 10 20:19:24 +0000 2018 ", "Wed Oct 1O 20:19:24 +0000 2018", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(codec::parse_twitter_date(bad).has_value());
  }
  CHECK(codec::parse_provider_time("2024-01-15T10:30:00.000Z") == at(std::chrono::year{2024} / 1 / 15, 10h + 30min));
  CHECK(codec::parse_provider_time("Wed Oct 10 20:19:24 +0000 2018").has_value());
  CHECK_FALSE(codec::parse_provider_time("2024-01-15 10:30:00").has_value());
}

TEST_CASE("inbox: an unreadable page's error quotes none of it, since it holds other people's messages") {
  std::string const stranger = "my bank pin is 4321, call me";
  // A page that parses but breaks the contract (no userId), and one that is cut in half.
  std::string const page = R"({"messages":[{"id":"5","createdAt":"2026-12-05T10:00:00Z","senderId":"77",)"
                           R"("recipientId":"42","text":")" + stranger + R"("}],"has_more":false})";
  for (std::string const& body : {page, page.substr(0, page.size() / 2 + 20)}) {
    InboxPage parsed = getxapi(response(200, body));
    CHECK(parsed.result.signal == ProviderSignal::malformed);
    CHECK(parsed.messages.empty());
    CHECK(parsed.result.message.find("bank") == std::string::npos);
    CHECK(parsed.result.message.find("not quoted") != std::string::npos);
  }
}
