// Regression tests for what the libFuzzer targets (fuzz/, issue 18) found. Each finding's input is
// also kept under fuzz/regressions/<target>/ and replayed by every `make fuzz` / `make fuzz-smoke`.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/url_check.hpp"
#include "core/campaign_json.hpp"
#include "core/outcome.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/wire_format.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

/// The problems of a campaign file fed in `chunk`-byte pieces, as "location: message" lines.
std::vector<std::string> problems_of(std::string_view text, std::size_t chunk) {
  std::vector<std::string> out;
  CampaignJsonParser parser(CampaignJsonEvents{
      .on_problem = [&](Problem&& p, ProblemScope) { out.push_back(p.location + ": " + p.message); },
      .on_recipient = [](std::size_t, Recipient&&, bool) {}});
  for (std::size_t at = 0; at < text.size(); at += chunk) parser.feed(text.substr(at, chunk));
  parser.finish();
  return out;
}

/// Feeds `text` whole and in every chunk size from 1 to 40 bytes: the problems must not change.
std::vector<std::string> same_however_split(std::string_view text) {
  const auto whole = problems_of(text, text.size() + 1);
  for (std::size_t chunk = 1; chunk <= 40; ++chunk) {
    CAPTURE(chunk);
    CHECK(problems_of(text, chunk) == whole);
  }
  return whole;
}

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};

ProviderResult send(ProviderKind kind, std::string body) {
  const ProviderCredentials provider{Secret("FUZZ-API-KEY-0011223344"), "", std::nullopt};
  const AccountCredentials account{Secret("FUZZ-AUTH-TOKEN-5566778899"), Secret("http://u:ProxyPw77@10.9.8.7:3128"),
                                   "1000000000000000002", Secret(), Secret()};
  return make_codec(kind)->parse_send(HttpResponse{200, {}, std::move(body)}, provider, account, kNow);
}

}  // namespace

// fuzz/regressions/campaign_json/*: basic_parser checks a literal, an escape or a UTF-8 sequence
// in one step when it has all its bytes, and reported a bad one elsewhere when a chunk ended in it.
TEST_CASE("fuzz regression: a JSON syntax error has the same line and column however the file is split") {
  CHECK(same_however_split("t?0?") == std::vector<std::string>{"line 1 column 1: invalid JSON: unexpected 't'"});
  CHECK(same_however_split("\"\xEF<@") ==
        std::vector<std::string>{"line 1 column 2: invalid JSON: unexpected byte 0xEF (not valid UTF-8, or outside a string)"});
  CHECK(same_however_split(std::string("f0\xEF\0\0\0\0\0\0\xBA" "6", 11)).size() == 1);
  CHECK(same_however_split("{\"2{\xE7\xBB\xBF#$u@\\u.;'\r").size() == 1);
  CHECK(same_however_split("{\"name\": \"x\",\n \"dry_run\": truX}") ==
        std::vector<std::string>{"line 2 column 13: invalid JSON: unexpected 't'"});
  CHECK(same_however_split("{\"message\": \"caf\xC3\xA9 \\ud83d\\ude00 \xC3(\"}").size() == 1);
  // Inside a long string the carried bytes are capped; an error past the cap is still found once.
  std::string long_text = "{\"message\": \"";
  for (int i = 0; i < 700; ++i) long_text += "caf\xC3\xA9 \\u00e9 ";
  long_text += "\xE9x\"}";
  CHECK(same_however_split(long_text).size() == 1);
  // Valid files are unaffected.
  CHECK(same_however_split("{\"name\": \"n\", \"dry_run\": true, \"priority\": -12, \"message\": \"\\u00e9\xC3\xA9\"}").empty());
}

// fuzz/regressions/url/proxy-numeric-port-swap: check-config read "host:port@user:pass" with a
// numeric password above 65535 (or a user name with '%') as tweetapi's form, but the codecs read
// it as URL form and sent requests to the wrong proxy.
TEST_CASE("fuzz regression: the codecs read tweetapi's proxy form the way check-config does") {
  for (std::string proxy : {"proxy.example.com:8080@alice:123456", "proxy.example.com:8080@bob:0",
                            "proxy.example.com:8080@me%40mail.com:5555", "----w:3130@$:313"}) {
    CAPTURE(proxy);
    CHECK_FALSE(proxy_problem(proxy).has_value());
    auto parts = codec::split_proxy(proxy);
    REQUIRE(parts.has_value());
    CHECK(parts->hostport == proxy.substr(0, proxy.find('@')));
    CHECK(parts->userinfo == proxy.substr(proxy.find('@') + 1));
    CHECK_FALSE(proxy_problem(codec::proxy_url_form(proxy).value()).has_value());
  }
  CHECK(codec::proxy_url_form("proxy.example.com:8080@alice:123456").value() == "http://alice:123456@proxy.example.com:8080");
  CHECK(codec::tweetapi_proxy_form("proxy.example.com:8080@alice:123456").value() == "proxy.example.com:8080@alice:123456");
  // Both spellings of an ordinary proxy still work.
  CHECK(codec::proxy_url_form("h:1@u:p").value() == "http://u:p@h:1");
  CHECK(codec::proxy_url_form("u:p@h:1").value() == "http://u:p@h:1");
}

// fuzz/regressions/url/proxy-slash-in-tweetapi-password: a '/' in the password of tweetapi's form
// was cut off as if it began a path.
TEST_CASE("fuzz regression: a '/' in a tweetapi-form password is kept") {
  CHECK_FALSE(proxy_problem("h.example:8080@user:pa/ss").has_value());
  CHECK(codec::tweetapi_proxy_form("h.example:8080@user:pa/ss").value() == "h.example:8080@user:pa/ss");
  CHECK(codec::proxy_url_form("h.example:8080@user:pa/ss").value() == "http://user:pa/ss@h.example:8080");
  // A path after the address is still dropped.
  CHECK(codec::proxy_url_form("http://u:p@h.example:8080/").value() == "http://u:p@h.example:8080");
  CHECK(codec::proxy_url_form("u:p@h.example:8080/x").value() == "http://u:p@h.example:8080");
}

// fuzz/regressions/codec_getxapi|codec_twitterapi_io/send-success-without-id: "status": "success"
// without a DM id was a success with an empty message_id (stored as sent, nothing to confirm it).
TEST_CASE("fuzz regression: a send is never a success without a message id") {
  const RetryContext ctx{1, 5, BackoffPolicy{30s, 1h}, 0.5, kNow};
  for (auto [kind, body] : {std::pair{ProviderKind::getxapi, R"({"status":"success"})"},
                            std::pair{ProviderKind::getxapi, R"({"status":"success","msg":"DM sent successfully","data":{}})"},
                            std::pair{ProviderKind::twitterapi_io, R"({"status":"success","msg":"x"})"},
                            std::pair{ProviderKind::twitterapi_io, R"({"status":"success","message_id":"has spaces"})"}}) {
    CAPTURE(body);
    const ProviderResult r = send(kind, body);
    CHECK(r.signal == ProviderSignal::malformed);
    CHECK(r.message_id.empty());
    CHECK(std::holds_alternative<decision::InDoubt>(classify(RequestKind::send, r, ctx)));  // never resent
  }
  CHECK(send(ProviderKind::getxapi, R"({"status":"success","data":{"id":"7000000000000000001"}})").message_id ==
        "7000000000000000001");
  CHECK(send(ProviderKind::twitterapi_io, R"({"status":"success","message_id":"7000000000000000001"})").signal ==
        ProviderSignal::success);
}
