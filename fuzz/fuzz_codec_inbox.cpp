// Inbox reads of the codecs (docs/providers.md#reading-the-inbox): getxapi's and x_api's
// parse_inbox, x_api's parse_own_account (GET /2/users/me), the defaults of the providers that
// read no inbox, decide_inbox_read(), and the inbox request builders.
//
// The input format is the codec targets' (codec_harness.hpp): status line `200 #1` (credential set
// 0..2), header lines, an empty line, the body. Two more headers feed the parsers and builders
// and are not part of the answer:
//   X-Own-Id: 1000000000000000002   the account's own id given to the parsers (default: the
//                                   credential set's user_id)
//   X-Cursor: abc123                a cursor for the request builders
//
// Invariants, beyond "no crash, no exception":
// - no secret of the request (every spelling, as in the send targets) in any text a result
//   carries (message, provider_code, message_id), in a page's next_cursor or account_id, in the
//   own account's username, in a read decision or in a request builder's error; DM texts are
//   exempt: they are what people wrote and are kept as given;
// - the status is copied, the signal in range, success only on 2xx, an unreadable 2xx malformed;
// - a page is all or nothing: anything but success carries no message, cursor or account id;
// - a successful page: every id decimal, every message involves the account (getxapi: its
//   userId, which equals the given own id when there is one; x_api: the given own id), a cursor
//   is bounded printable text; x_api pages name no account id; users/me success has a decimal id;
// - providers that read no inbox answer read_refused and build no request;
// - decide_inbox_read(): Ok exactly on success, waits in the future, details scrubbed;
// - deterministic; bodies read within bounds (ASan, libstdc++ assertions);
// - requests: targets printable ASCII starting with '/', no line break in a header, the GetXAPI
//   body a JSON object with the account's auth_token, count 100 and the cursor unchanged; a
//   cursor is accepted exactly when it is bounded printable text, and no secret the caller did
//   not put in the cursor appears in a target.
#include "core/providers/provider_kind.hpp"
#define FUZZ_PROVIDER ::outreach::ProviderKind::getxapi  // only for the shared helpers below
#include "codec_harness.hpp"
#include "core/inbox_read.hpp"

namespace {

using namespace fuzz;
using namespace fuzz::codec;
using namespace outreach;

bool no_secret(CredentialSet const& c, std::string_view text) {
  for (std::string const& s : c.secrets)
    if (text.find(s) != std::string_view::npos) return false;
  return true;
}

void check_read_result(ProviderResult const& r, HttpResponse const& resp, CredentialSet const& c) {
  check_common_result(r, resp, c, ProviderSignal::read_refused);

  const InboxReadDecision d = decide_inbox_read(r, kNow, 60s);
  FUZZ_CHECK(std::holds_alternative<inbox_read::Ok>(d) == (r.signal == ProviderSignal::success), "Ok iff success");
  if (auto const* wait = std::get_if<inbox_read::WaitUntil>(&d)) FUZZ_CHECK(wait->until >= kNow, "wait in the past");
  std::visit(
      [&](auto const& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, inbox_read::StopAccount> || std::is_same_v<T, inbox_read::InboxOff>)
          check_no_secret(c, v.reason, "read decision");
        else if constexpr (!std::is_same_v<T, inbox_read::Ok>)
          check_no_secret(c, v.detail, "read decision");
      },
      d);
}

bool same_page(InboxPage const& a, InboxPage const& b) {
  if (!same(a.result, b.result) || a.account_id != b.account_id || a.next_cursor != b.next_cursor ||
      a.messages.size() != b.messages.size())
    return false;
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    InboxMessage const& x = a.messages[i];
    InboxMessage const& y = b.messages[i];
    if (x.id != y.id || x.created_at != y.created_at || x.sender_id != y.sender_id || x.recipient_id != y.recipient_id ||
        x.text != y.text)
      return false;
  }
  return true;
}

/// `own`: the id the parser was given; `getxapi`: the page names the account itself (userId).
void check_page(InboxPage const& p, HttpResponse const& resp, CredentialSet const& c, std::string_view own, bool getxapi) {
  check_read_result(p.result, resp, c);
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  FUZZ_CHECK(!ok_status || outreach::codec::parse_json(resp.body).has_value() || p.result.signal == ProviderSignal::malformed,
             "an unreadable 2xx page is not malformed");
  if (p.result.signal != ProviderSignal::success) {
    FUZZ_CHECK(p.messages.empty() && !p.next_cursor && !p.account_id, "a page that is not a success carries data");
    return;
  }
  if (p.next_cursor) {
    FUZZ_CHECK(outreach::codec::is_cursor(*p.next_cursor), "next_cursor " + show(*p.next_cursor));
    check_no_secret(c, *p.next_cursor, "next_cursor");
  }
  std::string account(own);
  if (getxapi) {
    FUZZ_CHECK(p.account_id && outreach::codec::is_decimal_id(*p.account_id), "getxapi page without a decimal userId");
    if (!own.empty())
      FUZZ_CHECK(outreach::codec::compare_decimal_ids(*p.account_id, own) == 0, "a page about another account");
    account = *p.account_id;
  } else {
    FUZZ_CHECK(!p.account_id, "an x_api page with an account id");
    FUZZ_CHECK(outreach::codec::is_decimal_id(own), "an x_api page read without the own id");
  }
  for (InboxMessage const& m : p.messages) {
    FUZZ_CHECK(outreach::codec::is_decimal_id(m.id), "message id " + show(m.id));
    FUZZ_CHECK(outreach::codec::is_decimal_id(m.sender_id), "sender_id " + show(m.sender_id));
    FUZZ_CHECK(outreach::codec::is_decimal_id(m.recipient_id), "recipient_id " + show(m.recipient_id));
    FUZZ_CHECK(outreach::codec::compare_decimal_ids(m.sender_id, account) == 0 ||
                   outreach::codec::compare_decimal_ids(m.recipient_id, account) == 0,
               "a message that does not involve the account: " + m.sender_id + " → " + m.recipient_id);
  }
}

void check_inbox_request(Result<HttpRequest> const& r, CredentialSet const& c, AccountCredentials const& account,
                         std::optional<std::string_view> cursor, bool getxapi) {
  const bool cursor_ok = !cursor || outreach::codec::is_cursor(*cursor);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty(), "");
    check_no_secret(c, r.error().message, "request error");
    // Every fuzz credential set is complete, so only the cursor can be refused.
    FUZZ_CHECK(!cursor_ok, "a usable cursor refused: " + r.error().message);
    return;
  }
  FUZZ_CHECK(cursor_ok, "an unusable cursor accepted: " + show(*cursor));
  FUZZ_CHECK(starts_with(r->target, "/"), show(r->target));
  for (char ch : r->target) {
    const auto u = static_cast<unsigned char>(ch);
    FUZZ_CHECK(u > 0x20 && u < 0x7f, "request target with a raw byte " + show(r->target));
  }
  if (!cursor || no_secret(c, *cursor)) check_no_secret(c, r->target, "request target");
  for (auto const& [name, value] : r->headers) {
    for (char ch : name + value) FUZZ_CHECK(ch != '\r' && ch != '\n', "a header with a line break");
  }
  if (!getxapi) {
    FUZZ_CHECK(r->method == "GET" && r->body.empty(), "x_api inbox request is not a plain GET");
    return;
  }
  FUZZ_CHECK(r->method == "POST" && r->target == "/twitter/dm/list", r->method + " " + r->target);
  boost::system::error_code ec;
  const auto body = boost::json::parse(r->body, ec);
  FUZZ_CHECK(!ec && body.is_object(), "the request body is not a JSON object: " + show(r->body));
  auto const& o = body.as_object();
  FUZZ_CHECK(o.contains("auth_token") && o.at("auth_token").is_string() &&
                 std::string_view(o.at("auth_token").as_string()) == account.auth_token.reveal(),
             "auth_token missing from the body");
  FUZZ_CHECK(o.contains("count") && o.at("count").is_int64() && o.at("count").as_int64() == 100, "count is not 100");
  if (cursor)
    FUZZ_CHECK(o.contains("cursor") && o.at("cursor").is_string() && std::string_view(o.at("cursor").as_string()) == *cursor,
               "the cursor changed in the body");
  else
    FUZZ_CHECK(!o.contains("cursor"), "a cursor nobody asked for");
}

/// Takes a request-half header out of the answer's headers.
std::optional<std::string> take_header(HttpResponse& response, std::string_view name) {
  for (auto it = response.headers.begin(); it != response.headers.end(); ++it) {
    if (it->first == name) {
      std::string value = std::move(it->second);
      response.headers.erase(it);
      return value;
    }
  }
  return std::nullopt;
}

int run_inbox(std::uint8_t const* data, std::size_t size) {
  Input in = parse_input(as_text(data, size));
  const std::optional<std::string> own_header = take_header(in.response, "X-Own-Id");
  const std::optional<std::string> cursor = take_header(in.response, "X-Cursor");
  const CredentialSet c = make_credentials(in.credentials);
  const std::string own = own_header ? *own_header : c.account.user_id;
  HttpResponse const& resp = in.response;

  const auto getxapi = make_codec(ProviderKind::getxapi);
  const auto x_api = make_codec(ProviderKind::x_api);
  FUZZ_CHECK(getxapi->reads_inbox() && x_api->reads_inbox(), "");

  // getxapi, with and without the own id.
  for (std::string_view given : {std::string_view(), std::string_view(own)}) {
    const InboxPage page = getxapi->parse_inbox(resp, c.provider, c.account, given, kNow);
    check_page(page, resp, c, given, true);
    FUZZ_CHECK(same_page(page, getxapi->parse_inbox(resp, c.provider, c.account, given, kNow)), "getxapi parse_inbox is not deterministic");
  }
  // x_api dm_events and users/me.
  const InboxPage x_page = x_api->parse_inbox(resp, c.provider, c.account, own, kNow);
  check_page(x_page, resp, c, own, false);
  FUZZ_CHECK(same_page(x_page, x_api->parse_inbox(resp, c.provider, c.account, own, kNow)), "x_api parse_inbox is not deterministic");
  const OwnAccount me = x_api->parse_own_account(resp, c.provider, c.account, kNow);
  check_read_result(me.result, resp, c);
  FUZZ_CHECK(me.user_id.has_value() == (me.result.signal == ProviderSignal::success), "user_id iff success");
  if (me.user_id) FUZZ_CHECK(outreach::codec::is_decimal_id(*me.user_id), "user_id " + show(*me.user_id));
  check_no_secret(c, me.username, "username");
  check_text(me.username, "username", 50);
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  FUZZ_CHECK(!ok_status || outreach::codec::parse_json(resp.body).has_value() || me.result.signal == ProviderSignal::malformed,
             "an unreadable 2xx users/me is not malformed");

  // Providers that read no inbox.
  for (ProviderKind kind : {ProviderKind::twitterapi_io, ProviderKind::tweetapi}) {
    const auto other = make_codec(kind);
    FUZZ_CHECK(!other->reads_inbox(), "");
    const InboxPage page = other->parse_inbox(resp, c.provider, c.account, own, kNow);
    check_read_result(page.result, resp, c);
    FUZZ_CHECK(page.result.signal == ProviderSignal::read_refused && page.messages.empty(), "a page from a provider without inbox");
    FUZZ_CHECK(!other->inbox_request(c.provider, c.account, std::nullopt), "an inbox request from a provider without inbox");
    FUZZ_CHECK(!other->own_account_request(c.provider, c.account), "");
  }
  FUZZ_CHECK(!getxapi->own_account_request(c.provider, c.account), "getxapi has no users/me");

  // The request half: the first page, and the page after `cursor`.
  check_inbox_request(getxapi->inbox_request(c.provider, c.account, std::nullopt), c, c.account, std::nullopt, true);
  check_inbox_request(x_api->inbox_request(c.provider, c.account, std::nullopt), c, c.account, std::nullopt, false);
  if (cursor) {
    const std::string_view given = *cursor;
    check_inbox_request(getxapi->inbox_request(c.provider, c.account, given), c, c.account, given, true);
    check_inbox_request(x_api->inbox_request(c.provider, c.account, given), c, c.account, given, false);
  }
  auto me_request = x_api->own_account_request(c.provider, c.account);
  FUZZ_CHECK(me_request && me_request->target == "/2/users/me", "users/me request");
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) { return run_inbox(data, size); }
