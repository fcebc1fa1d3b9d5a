// Shared wire rules of the provider codecs: ids, proxies, rate-limit headers, X codes, redaction.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core/providers/codec_support.hpp"

using namespace outreach;
using namespace outreach::codec;
using namespace std::chrono_literals;

namespace {
const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
}

TEST_CASE("decimal ids compare as numbers without floating point") {
  CHECK(compare_decimal_ids("44196397", "1858475867762270208") < 0);  // shorter is smaller
  CHECK(compare_decimal_ids("1000000000000000002", "1000000000000000001") > 0);
  CHECK(compare_decimal_ids("7", "7") == 0);
  CHECK(compare_decimal_ids("007", "7") == 0);  // leading zeros do not change the value
  CHECK(compare_decimal_ids("0", "00") == 0);
  CHECK(compare_decimal_ids("09", "10") < 0);
  // Both round to the same double (2^53 + 1 is not representable): only string comparison orders them.
  CHECK(compare_decimal_ids("9007199254740993", "9007199254740992") > 0);
  CHECK(compare_decimal_ids("18446744073709551615", "18446744073709551614") > 0);  // beyond int64
}

TEST_CASE("tweetapi conversationId puts the numerically smaller id first") {
  CHECK(one_to_one_conversation_id("1858475867762270208", "44196397") == "44196397-1858475867762270208");
  CHECK(one_to_one_conversation_id("44196397", "1858475867762270208") == "44196397-1858475867762270208");
  CHECK(one_to_one_conversation_id("1000000000000000002", "1000000000000000001") ==
        "1000000000000000001-1000000000000000002");
  CHECK(one_to_one_conversation_id("1390625949587173378", "1774607208379") == "1774607208379-1390625949587173378");
  CHECK(one_to_one_conversation_id("9007199254740993", "9007199254740992") == "9007199254740992-9007199254740993");
}

TEST_CASE("is_decimal_id accepts 1..20 digits only") {
  CHECK(is_decimal_id("1"));
  CHECK(is_decimal_id("18446744073709551615"));
  CHECK_FALSE(is_decimal_id(""));
  CHECK_FALSE(is_decimal_id("123456789012345678901"));
  CHECK_FALSE(is_decimal_id("12a"));
  CHECK_FALSE(is_decimal_id("-1"));
  CHECK_FALSE(is_decimal_id("1.0"));
  CHECK_FALSE(is_decimal_id("../x"));
}

TEST_CASE("proxy: tweetapi form host:port@user:pass from the URL form") {
  CHECK(tweetapi_proxy_form("http://puser:ProxyPass99@10.0.0.1:8080").value() == "10.0.0.1:8080@puser:ProxyPass99");
  CHECK(tweetapi_proxy_form("socks5://u:p@proxy.example.com:1080/").value() == "proxy.example.com:1080@u:p");
  CHECK(tweetapi_proxy_form("http://u:p%40ss%3Aw@h:1").value() == "h:1@u:p@ss:w");  // decoded
  CHECK(tweetapi_proxy_form("http://host.example:3128").value() == "host.example:3128");
  CHECK(tweetapi_proxy_form("host.example:3128").value() == "host.example:3128");
  CHECK(tweetapi_proxy_form("u:p@h:1").value() == "h:1@u:p");
  CHECK(tweetapi_proxy_form("h:1@u:p").value() == "h:1@u:p");  // already tweetapi's form
  CHECK(tweetapi_proxy_form(" http://u:pw@h:1 ").value() == "h:1@u:pw");
  CHECK(tweetapi_proxy_form("http://u:p@ss@h:1").value() == "h:1@u:p@ss");  // the last @ ends the userinfo
}

TEST_CASE("proxy: URL form gets a scheme, errors never quote the password") {
  CHECK(proxy_url_form("http://puser:ProxyPass99@10.0.0.1:8080").value() == "http://puser:ProxyPass99@10.0.0.1:8080");
  CHECK(proxy_url_form("10.0.0.1:8080").value() == "http://10.0.0.1:8080");
  CHECK(proxy_url_form("socks5://h:9").value() == "socks5://h:9");
  CHECK(proxy_url_form("h:1@u:p").value() == "http://u:p@h:1");
  for (std::string bad : {"", "   ", "http://SecretPw1@", "http://user:SecretPw1@:80", "ht tp://user:SecretPw1@h:1"}) {
    auto r = proxy_url_form(bad);
    REQUIRE_MESSAGE(r.has_error(), bad);
    CHECK(r.error().message.find("SecretPw1") == std::string::npos);
    CHECK(tweetapi_proxy_form(bad).has_error());
  }
}

TEST_CASE("Retry-After: delta seconds or HTTP-date") {
  CHECK(parse_retry_after("120", kNow) == 120s);
  CHECK(parse_retry_after(" 0 ", kNow) == 0s);
  const TimePoint date = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h + 2min;
  CHECK(parse_retry_after("Mon, 23 Nov 2026 09:02:00 GMT", kNow) == 2min);
  CHECK(parse_http_date("Mon, 23 Nov 2026 09:02:00 GMT") == date);
  CHECK(parse_http_date("23 Nov 2026 09:02:00 GMT") == date);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow) == 0s);  // in the past: no wait
  for (std::string bad : {"", "-5", "1.5", "soon", "Sun, 31 Feb 2026 00:00:00 GMT", "Sun, 06 Nov 1994 25:00:00 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37", "9999999999", "Sun,",
                          "Sun, 6", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 123 Nov 1994 08:49:37 GMT"}) {
    CHECK_MESSAGE(!parse_retry_after(bad, kNow).has_value(), bad);
  }
}

TEST_CASE("x-rate-limit-reset: unix seconds, or a small delta") {
  CHECK(parse_reset_header("1795424400", kNow) == TimePoint{std::chrono::seconds{1795424400}});
  CHECK(parse_reset_header("1795424400.25", kNow) == TimePoint{std::chrono::seconds{1795424400}});
  CHECK(parse_reset_header("60", kNow) == kNow + 60s);
  CHECK_FALSE(parse_reset_header("", kNow).has_value());
  CHECK_FALSE(parse_reset_header("-1", kNow).has_value());
  CHECK_FALSE(parse_reset_header("1e9", kNow).has_value());
  CHECK_FALSE(parse_reset_header("99999999999999999999999", kNow).has_value());
}

TEST_CASE("read_rate_hints reads X and tweetapi headers case-insensitively and drops implausible ones") {
  const auto reset = kNow + 10min;
  const auto reset_s = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(reset.time_since_epoch()).count());
  const auto daily = kNow + 20h;
  const auto daily_s = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(daily.time_since_epoch()).count());
  auto h = read_rate_hints({{"X-Rate-Limit-Reset", reset_s}, {"x-user-limit-24hour-remaining", "0"},
                            {"x-user-limit-24hour-reset", daily_s}, {"retry-after", "30"}},
                           kNow);
  CHECK(h.reset_at == reset);
  CHECK(h.daily_exhausted);
  CHECK(h.daily_reset_at == daily);
  CHECK(h.retry_after == 30s);
  auto t = read_rate_hints({{"X-RateLimit-Reset", reset_s}, {"x-user-limit-24hour-remaining", "12"}}, kNow);
  CHECK(t.reset_at == reset);
  CHECK_FALSE(t.daily_exhausted);
  auto far = read_rate_hints({{"Retry-After", "99999999"}, {"x-rate-limit-reset", "999999999999"}}, kNow);
  CHECK_FALSE(far.retry_after.has_value());
  CHECK_FALSE(far.reset_at.has_value());
}

TEST_CASE("X legacy codes are found in free text, only when known") {
  CHECK(find_x_code("349") == 349);
  CHECK(find_x_code("You cannot send messages to this user. (349)") == 349);
  CHECK(find_x_code("error code 349: closed") == 349);
  CHECK(find_x_code(R"({"errorCode":349})") == 349);
  CHECK(find_x_code("[{\"code\":150,\"message\":\"x\"}]") == 150);
  CHECK(find_x_code("Code: 476 Sender is not verified") == 476);
  CHECK(find_x_code("226 This request looks like it might be automated") == 226);
  CHECK(find_x_code("code 88") == 88);   // two-digit codes need the word "code"
  CHECK(find_x_code("code=32") == 32);
  CHECK_FALSE(find_x_code("wait 88 seconds").has_value());
  CHECK_FALSE(find_x_code("64 bytes").has_value());
  CHECK_FALSE(find_x_code("code 999").has_value());
  CHECK_FALSE(find_x_code("user 1349 and 3490").has_value());  // part of a longer number
  CHECK_FALSE(find_x_code("version 1.150").has_value());
  CHECK_FALSE(find_x_code("150,000 users").has_value());
  CHECK_FALSE(find_x_code("abc349").has_value());
  CHECK_FALSE(find_x_code("").has_value());
  CHECK(find_x_code("at 150 then code 349") == 349);  // an explicit "code" wins over a bare number
}

TEST_CASE("apply_x_evidence: codes first, then account wording, then refusal wording") {
  ProviderResult a;
  CHECK(apply_x_evidence(a, "You cannot send messages to this user (349)"));
  CHECK(a.x_code == 349);
  CHECK(a.signal == ProviderSignal::recipient_refused);
  ProviderResult b;
  CHECK(apply_x_evidence(b, "You cannot send messages to this user."));
  CHECK_FALSE(b.x_code.has_value());
  CHECK(b.signal == ProviderSignal::recipient_refused);
  ProviderResult c;
  CHECK(apply_x_evidence(c, "login cookie expired"));
  CHECK(c.signal == ProviderSignal::account_error);
  ProviderResult d;
  CHECK(apply_x_evidence(d, "There was an error sending your message: Whoops! You already said that. (151)"));
  CHECK(d.signal == ProviderSignal::possibly_delivered);
  ProviderResult e;
  CHECK_FALSE(apply_x_evidence(e, "Internal error"));
  CHECK(e.signal == ProviderSignal::none);
  ProviderResult f;
  CHECK_FALSE(apply_x_code(f, 999));
  CHECK_FALSE(f.x_code.has_value());
}

TEST_CASE("Redactor removes every secret form, control characters, and caps the length") {
  ProviderCredentials p{Secret("key-ABCDEFGH"), "client", std::nullopt};
  AccountCredentials a{Secret("tok/en+1234"), Secret("http://puser:Pa%40ss99@10.0.0.1:8080"), "1", Secret(), Secret()};
  const Redactor r = redactor_for(p, a);
  CHECK(r.clean("key key-ABCDEFGH") == "key [redacted]");
  CHECK(r.clean("tok/en+1234") == "[redacted]");
  CHECK(r.clean("tok%2Fen%2B1234") == "[redacted]");      // URL-encoded echo
  CHECK(r.clean(R"(tok\/en+1234)") == "[redacted]");      // JSON-escaped echo
  CHECK(r.clean("via http://puser:Pa%40ss99@10.0.0.1:8080") == "via [redacted]");
  CHECK(r.clean("via 10.0.0.1:8080@puser:Pa@ss99") == "via [redacted]");  // tweetapi form
  CHECK(r.clean("password Pa@ss99 and Pa%40ss99").find("ss99") == std::string::npos);
  CHECK(r.clean("a\nb\tc") == "a b c");
  const std::string long_text(1000, 'x');
  CHECK(r.clean(long_text).size() == kMaxMessage + 3);
  // A cut never splits a UTF-8 sequence.
  std::string utf8;
  for (int i = 0; i < 200; ++i) utf8 += "\xC3\xA9";
  const std::string cut = r.clean(utf8);
  CHECK(cut.size() <= kMaxMessage + 3);
  CHECK(cut.substr(0, cut.size() - 3).size() % 2 == 0);
}

TEST_CASE("a glimpse of a long body never shows part of a secret cut at the scrub window") {
  std::string cookie = "COOKIE";
  for (int i = 0; cookie.size() < 2000; ++i) cookie += std::to_string(i * 7919 % 1000) + "x";
  const ProviderCredentials p{};
  const AccountCredentials a{Secret(cookie), Secret(), "", Secret(), Secret()};
  const Redactor r(p, a);
  ProviderResult res;
  set_malformed(res, r, "not JSON", cookie + cookie + cookie);  // 6 KB: the 4 KB window cuts the third copy
  CHECK(res.signal == ProviderSignal::malformed);
  CHECK(res.message.find("COOKIE") == std::string::npos);
  CHECK(res.message.find(cookie.substr(6, 12)) == std::string::npos);
  CHECK(res.message.find("[redacted][redacted]") != std::string::npos);

  ProviderResult plain;
  set_malformed(plain, r, "not JSON", cookie + std::string(10000, 'z'));
  CHECK(plain.message.find("[redacted]zzz") != std::string::npos);
  CHECK(plain.message.size() < 200);
  CHECK(unreadable_body_text(r, 502, "").find("empty body") != std::string::npos);
  CHECK(unreadable_body_text(r, 502, " \t ").find("blank body") != std::string::npos);
}
