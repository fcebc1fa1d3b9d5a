#pragma once
// The shared harness of the four provider codec targets (fuzz_codec_<provider>.cpp define
// FUZZ_PROVIDER and include this). One input is one HTTP answer, written like a raw response so
// that seeds stay readable and dictionaries apply:
//
//   429 #1                      status (leading digits; 200 if none) and, after '#', which
//   Retry-After: 30             credential set the request had (0..2); then header lines,
//   X-Recipient-Id: 34743251    an empty line, and the body. X-Recipient / X-Recipient-Id /
//                               X-Request-Id name the recipient and request of the request half.
//   {"error":"..."}
//
// Each input goes through all three response parsers of the provider (send, lookup by username,
// lookup by id), classify(), and the three request builders. Invariants checked:
// - no secret of the request (API key, session, OAuth tokens, proxy URL/password in every form the
//   codecs send, and their URL-encoded and JSON-escaped spellings) appears in any text a result
//   carries (message, provider_code, message_id) or in a request builder's error;
// - a send is never classified as success (by the codec or by classify) without a message id;
//   message ids are decimal ids or short tokens;
// - the HTTP status is copied, the signal is in range, success only on 2xx, an unreadable 2xx
//   is malformed (and a send then in doubt), waits are plausible and in the future;
// - lookups: success names a decimal user (the one asked for, for by-id), can_dm false only with
//   a refusal, needs_dm_check only on tweetapi's by-username success;
// - texts are scrubbed: no control characters, bounded length; results are deterministic;
// - bodies are read within their bounds (ASan plus libstdc++ assertions on every access);
// - requests: a target is printable ASCII starting with '/', a JSON body parses and carries the
//   message text unchanged.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <variant>

#include "common.hpp"
#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/codec_support.hpp"
#include "core/providers/x_oauth.hpp"
#include "core/utf8.hpp"

namespace fuzz::codec {

using namespace outreach;
using namespace std::chrono_literals;

inline const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours{9}};

struct CredentialSet {
  ProviderCredentials provider;
  AccountCredentials account;
  std::vector<std::string> secrets;  ///< every spelling that must never come out
};

/// JSON string escaping as a provider's serializer may write it (with or without "\/").
inline std::string json_escaped(std::string_view s, bool slash) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || (slash && c == '/')) out += '\\';
    out += c;
  }
  return out;
}

inline CredentialSet make_credentials(int which) {
  CredentialSet c;
  std::vector<std::string> plain;
  switch (which) {
    case 1:  // base64-ish key and token, tweetapi-form proxy with a percent-encoded '@' in the password
      c.provider = ProviderCredentials{Secret("FUZZ/KEY+0011223344=="), "fuzz-client-1", Secret("FUZZ/CLIENT+SECRET99")};
      c.account = AccountCredentials{Secret("eyJGVVpaIjoiY29va2llIn0=FUZZCOOKIE"), Secret("10.9.8.7:3128@fuzzuser:Fuzz%40Pw77"),
                                     "1000000000000000002", Secret("FUZZ-ACCESS/TOKEN+aa"), Secret("FUZZ-REFRESH/TOKEN+bb")};
      plain = {"FUZZ/KEY+0011223344==", "FUZZ/CLIENT+SECRET99", "eyJGVVpaIjoiY29va2llIn0=FUZZCOOKIE",
               "FUZZ-ACCESS/TOKEN+aa", "FUZZ-REFRESH/TOKEN+bb", "10.9.8.7:3128@fuzzuser:Fuzz%40Pw77",
               "10.9.8.7:3128@fuzzuser:Fuzz@Pw77", "http://fuzzuser:Fuzz%40Pw77@10.9.8.7:3128", "Fuzz@Pw77",
               "Fuzz%40Pw77", "fuzzuser:Fuzz@Pw77", "fuzzuser:Fuzz%40Pw77"};
      break;
    case 2:  // socks proxy with a plain password, a public x_api client (no secret)
      c.provider = ProviderCredentials{Secret("FUZZ-API-KEY-2222"), "fuzz-client-2", std::nullopt};
      c.account = AccountCredentials{Secret("FUZZ-AUTH-TOKEN-2222"), Secret("socks5://u2:SockPass2222@proxy.example:1080"),
                                     "7", Secret("FUZZ-ACCESS-2222"), Secret("FUZZ-REFRESH-2222")};
      plain = {"FUZZ-API-KEY-2222", "FUZZ-AUTH-TOKEN-2222", "FUZZ-ACCESS-2222", "FUZZ-REFRESH-2222",
               "socks5://u2:SockPass2222@proxy.example:1080", "proxy.example:1080@u2:SockPass2222", "SockPass2222",
               "u2:SockPass2222"};
      break;
    default:  // the set of tests/unit/test_codec_fuzz.cpp
      c.provider = ProviderCredentials{Secret("FUZZ-API-KEY-0011223344"), "fuzz-client", Secret("FUZZ-CLIENT-SECRET-778899")};
      c.account = AccountCredentials{Secret("FUZZ-AUTH-TOKEN-5566778899"), Secret("http://fuzzuser:FuzzProxyPw77@10.9.8.7:3128"),
                                     "1000000000000000002", Secret("FUZZ-ACCESS-TOKEN-aabbcc"), Secret("FUZZ-REFRESH-TOKEN-ddeeff")};
      plain = {"FUZZ-API-KEY-0011223344", "FUZZ-CLIENT-SECRET-778899", "FUZZ-AUTH-TOKEN-5566778899",
               "FUZZ-ACCESS-TOKEN-aabbcc", "FUZZ-REFRESH-TOKEN-ddeeff", "http://fuzzuser:FuzzProxyPw77@10.9.8.7:3128",
               "10.9.8.7:3128@fuzzuser:FuzzProxyPw77", "FuzzProxyPw77", "fuzzuser:FuzzProxyPw77"};
      break;
  }
  for (std::string const& s : plain) {
    c.secrets.push_back(s);
    c.secrets.push_back(url_encode(s));
    c.secrets.push_back(json_escaped(s, false));
    c.secrets.push_back(json_escaped(s, true));
  }
  return c;
}

struct Input {
  HttpResponse response;
  int credentials = 0;
  std::string recipient = "someone";
  std::string recipient_id = "34743251";
  std::string request_id;
};

inline Input parse_input(std::string_view text) {
  Input in;
  auto [first, rest] = split_once(text, "\n");
  int status = 0;
  std::size_t digits = 0;
  while (digits < first.size() && digits < 4 && first[digits] >= '0' && first[digits] <= '9')
    status = status * 10 + (first[digits++] - '0');
  in.response.status = digits == 0 ? 200 : status;
  if (auto hash = first.find('#'); hash != std::string_view::npos && hash + 1 < first.size())
    in.credentials = (first[hash + 1] - '0') % 3;
  if (in.credentials < 0) in.credentials += 3;
  // Header lines end at the first empty line (right away when there are none).
  auto [head, body] = starts_with(rest, "\n") ? std::pair{std::string_view{}, rest.substr(1)} : split_once(rest, "\n\n");
  for (std::string_view line : split_lines(head)) {
    auto [name, value] = split_once(line, ":");
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "X-Recipient") in.recipient = std::string(value);
    else if (name == "X-Recipient-Id") in.recipient_id = std::string(value);
    else if (name == "X-Request-Id") in.request_id = std::string(value);
    else in.response.headers.emplace_back(std::string(name), std::string(value));
  }
  in.response.body = std::string(body);  // exactly sized: a read past it is caught
  return in;
}

inline void check_no_secret(CredentialSet const& c, std::string_view text, char const* what) {
  for (std::string const& s : c.secrets)
    FUZZ_CHECK(text.find(s) == std::string_view::npos, std::string(what) + " quotes the secret " + show(s) + ": " + show(text));
}

inline void check_text(std::string_view text, char const* what, std::size_t max) {
  FUZZ_CHECK(text.size() <= max, std::string(what) + " is " + std::to_string(text.size()) + " bytes: " + show(text));
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u >= 0x20 && u != 0x7f, std::string(what) + " has a control character: " + show(text));
  }
}

inline bool is_message_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

/// What every parsed answer must hold, sends, lookups and inbox reads alike: status copied, a
/// signal no later than `last_signal`, no secret in any text, bounded texts and hints, success
/// only on 2xx.
inline void check_common_result(ProviderResult const& r, HttpResponse const& resp, CredentialSet const& c,
                                ProviderSignal last_signal) {
  FUZZ_CHECK(r.transport == Transport::responded, "transport changed");
  FUZZ_CHECK(r.http_status == resp.status, "status not copied");
  const int signal = static_cast<int>(r.signal);
  FUZZ_CHECK(signal >= static_cast<int>(ProviderSignal::none) && signal <= static_cast<int>(last_signal),
             "signal out of range");
  check_no_secret(c, r.message, "message");
  check_no_secret(c, r.provider_code, "provider_code");
  check_no_secret(c, r.message_id, "message_id");
  check_text(r.message, "message", 700);
  check_text(r.provider_code, "provider_code", outreach::codec::kMaxMessage + 3);
  if (r.x_code) FUZZ_CHECK(outreach::codec::is_known_x_code(*r.x_code), std::to_string(*r.x_code));
  if (r.retry_after) FUZZ_CHECK(*r.retry_after >= 0ms && *r.retry_after <= std::chrono::hours{24 * 31}, "retry_after");
  if (r.reset_at) FUZZ_CHECK(*r.reset_at <= kNow + std::chrono::hours{24 * 31}, "reset_at");
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  FUZZ_CHECK(r.signal != ProviderSignal::success || ok_status, "success on HTTP " + std::to_string(resp.status));
}

inline void check_result(ProviderResult const& r, HttpResponse const& resp, RequestKind kind, CredentialSet const& c) {
  // Send and lookup parsers never answer read_refused, the last signal: that one is for reads.
  check_common_result(r, resp, c, ProviderSignal::malformed);
  if (!r.message_id.empty()) FUZZ_CHECK(is_message_id(r.message_id), "message_id " + show(r.message_id));
  const bool ok_status = resp.status >= 200 && resp.status < 300;
  const bool is_json = outreach::codec::parse_json(resp.body).has_value();
  FUZZ_CHECK(!ok_status || is_json || r.signal == ProviderSignal::malformed, "an unreadable 2xx is not malformed");
  if (kind == RequestKind::send && r.signal == ProviderSignal::success)
    FUZZ_CHECK(!r.message_id.empty(), "a send classified as success without a message id; body " + show(resp.body));

  for (int attempt = 1; attempt <= 5; attempt += 4) {
    const RetryContext ctx{attempt, 5, BackoffPolicy{30s, 1h}, 0.5, kNow};
    const Decision d = classify(kind, r, ctx);
    if (auto const* wait = std::get_if<decision::RateLimitedWait>(&d)) FUZZ_CHECK(wait->until >= kNow, "wait in the past");
    if (auto const* retry = std::get_if<decision::RetryLater>(&d)) FUZZ_CHECK(retry->delay >= 0ms, "negative retry delay");
    if (kind == RequestKind::send) {
      if (auto const* sent = std::get_if<decision::Sent>(&d))
        FUZZ_CHECK(!sent->message_id.empty(), "classify() says Sent without a message id; body " + show(resp.body));
      if (ok_status && !is_json) FUZZ_CHECK(std::holds_alternative<decision::InDoubt>(d), "an unreadable 2xx send is not in doubt");
    }
    std::visit(
        [&](auto const& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, decision::Sent>) check_no_secret(c, v.message_id, "Sent");
          else if constexpr (std::is_same_v<T, decision::AccountStop>) check_no_secret(c, v.reason, "AccountStop");
          else check_no_secret(c, v.detail, "decision detail");
        },
        d);
  }
}

inline void check_lookup(UserLookup const& l, HttpResponse const& resp, CredentialSet const& c, bool by_username,
                         std::string_view wanted_id) {
  check_result(l.result, resp, RequestKind::lookup, c);
  if (l.user_id) FUZZ_CHECK(outreach::codec::is_decimal_id(*l.user_id), "user_id " + show(*l.user_id));
  if (l.result.signal == ProviderSignal::success) {
    FUZZ_CHECK(l.user_id.has_value(), "success without user_id");
    FUZZ_CHECK(l.can_dm != false, "success with can_dm false");
  }
  if (!by_username && l.user_id && l.result.signal == ProviderSignal::success)
    FUZZ_CHECK(outreach::codec::compare_decimal_ids(*l.user_id, wanted_id) == 0, "by-id answered about " + *l.user_id);
  if (l.can_dm == false)
    FUZZ_CHECK(l.result.signal == ProviderSignal::recipient_refused || l.result.x_code, "can_dm false without a refusal");
  if (l.needs_dm_check)
    FUZZ_CHECK(l.result.signal == ProviderSignal::success && FUZZ_PROVIDER == ProviderKind::tweetapi && by_username,
               "needs_dm_check outside tweetapi's by-username success");
}

inline bool same(ProviderResult const& a, ProviderResult const& b) {
  return a.signal == b.signal && a.http_status == b.http_status && a.x_code == b.x_code &&
         a.provider_code == b.provider_code && a.message == b.message && a.message_id == b.message_id &&
         a.retry_after == b.retry_after && a.reset_at == b.reset_at;
}

inline void check_request(Result<HttpRequest> const& r, CredentialSet const& c, std::string_view text) {
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty(), "");
    check_no_secret(c, r.error().message, "request error");
    return;
  }
  FUZZ_CHECK(r->method == "GET" || r->method == "POST", r->method);
  FUZZ_CHECK(starts_with(r->target, "/"), show(r->target));
  for (char ch : r->target) {
    const auto u = static_cast<unsigned char>(ch);
    FUZZ_CHECK(u > 0x20 && u < 0x7f, "request target with a raw byte " + show(r->target));
  }
  for (auto const& [name, value] : r->headers) {
    for (char ch : name + value) FUZZ_CHECK(ch != '\r' && ch != '\n', "a header with a line break");
  }
  // Message texts are valid UTF-8 (the template renderer guarantees it), and so are the ids and
  // usernames the worker fills in; for those the body must be valid JSON.
  if (r->method == "POST" && !r->body.empty() && outreach::is_valid_utf8(r->body)) {
    boost::system::error_code ec;
    const auto body = boost::json::parse(r->body, ec);
    FUZZ_CHECK(!ec && body.is_object(), "the request body is not a JSON object: " + show(r->body));
    if (auto const* t = body.as_object().if_contains("text")) {
      FUZZ_CHECK(t->is_string() && std::string_view(t->as_string()) == text, "the message text changed in the request");
    }
  }
}

inline int run(std::uint8_t const* data, std::size_t size) {
  const Input in = parse_input(as_text(data, size));
  const CredentialSet c = make_credentials(in.credentials);
  const auto codec = make_codec(FUZZ_PROVIDER);
  FUZZ_CHECK(codec->kind() == FUZZ_PROVIDER, "");

  const ProviderResult send = codec->parse_send(in.response, c.provider, c.account, kNow);
  check_result(send, in.response, RequestKind::send, c);
  FUZZ_CHECK(same(send, codec->parse_send(in.response, c.provider, c.account, kNow)), "parse_send is not deterministic");

  const UserLookup by_name = codec->parse_lookup_by_username(in.response, c.provider, c.account, in.recipient, kNow);
  check_lookup(by_name, in.response, c, true, {});
  const std::string wanted = outreach::codec::is_decimal_id(in.recipient_id) ? in.recipient_id : "34743251";
  const UserLookup by_id = codec->parse_lookup_by_id(in.response, c.provider, c.account, wanted, kNow);
  check_lookup(by_id, in.response, c, false, wanted);

  // The request half: the body is the message text.
  DmMessage message{in.recipient_id, in.recipient, in.response.body, in.request_id};
  check_request(codec->send_request(c.provider, c.account, message), c, message.text);
  check_request(codec->lookup_by_username_request(c.provider, c.account, in.recipient), c, {});
  check_request(codec->lookup_by_id_request(c.provider, c.account, in.recipient_id), c, {});
  return 0;
}

}  // namespace fuzz::codec
