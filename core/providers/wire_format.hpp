#pragma once
// Wire formats shared by the provider codecs: decimal ids, proxy spellings, rate-limit headers,
// and X legacy codes or refusal wording inside free text. Pure functions with exact unit tests.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace outreach::codec {

// ---- text -------------------------------------------------------------------------------------

/// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);
/// Digits only and at most `max_digits` of them (<= 18 keeps it in 64 bits); nullopt otherwise.
std::optional<std::int64_t> parse_digits(std::string_view text, std::size_t max_digits);

// ---- ids --------------------------------------------------------------------------------------

/// 1 to 20 ASCII digits (X ids are unsigned 64-bit decimal strings).
bool is_decimal_id(std::string_view text);
/// <0, 0, >0 like strcmp, comparing two decimal strings as numbers: leading zeros are ignored,
/// then the shorter is smaller, then lexicographic order. Never converts to a floating type.
int compare_decimal_ids(std::string_view a, std::string_view b);
/// tweetapi's 1:1 conversationId: "<smaller id>-<larger id>".
std::string one_to_one_conversation_id(std::string_view a, std::string_view b);

// ---- inbox reads ------------------------------------------------------------------------------

/// Longest paging cursor accepted from a provider or sent back to it (bytes).
inline constexpr std::size_t kMaxCursor = 1024;
/// A paging cursor (GetXAPI next_cursor, X next_token): 1 to kMaxCursor printable ASCII characters,
/// no space. Anything else is refused rather than sent back in a query or body.
bool is_cursor(std::string_view text);
/// Twitter's legacy timestamp "Wed Oct 10 20:19:24 +0000 2018" (English names, a numeric offset;
/// the weekday is not checked against the date). nullopt if unreadable or an impossible date.
std::optional<TimePoint> parse_twitter_date(std::string_view text);
/// A provider's message time: ISO 8601 with an offset or Z ("2024-01-15T10:30:00.000Z", what
/// GetXAPI and X send), else Twitter's legacy form above.
std::optional<TimePoint> parse_provider_time(std::string_view text);

// ---- proxies ----------------------------------------------------------------------------------

/// A configured proxy split into its parts. Error texts never quote the value: it holds a password.
struct ProxyParts {
  std::string scheme;    ///< empty when none was written
  std::string userinfo;  ///< "user:pass" as written (maybe percent-encoded); empty when none
  std::string hostport;
};
/// Splits "scheme://user:pass@host:port[/…]" (scheme and credentials optional). Also accepts
/// tweetapi's "host:port@user:pass", recognised by where the port is.
Result<ProxyParts> split_proxy(std::string_view configured);
/// "%40" → "@"; invalid escapes are kept as written.
std::string percent_decode(std::string_view text);
/// The proxy as a URL ("http://user:pass@host:port"); "http://" is added when no scheme is given.
Result<std::string> proxy_url_form(std::string_view configured);
/// tweetapi's form "host:port@user:pass" (or "host:port" without credentials) from the URL form.
/// Percent-escapes in user and password are decoded, since tweetapi takes them raw.
Result<std::string> tweetapi_proxy_form(std::string_view configured);

// ---- rate-limit headers -----------------------------------------------------------------------

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"; the weekday is optional). nullopt if unreadable.
std::optional<TimePoint> parse_http_date(std::string_view text);
/// Retry-After: delta seconds or an HTTP-date, as a wait from `now` (a past date is 0).
std::optional<Duration> parse_retry_after(std::string_view value, TimePoint now);
/// x-rate-limit-reset style: unix seconds. Values below 10^9 (before 2001) are read as seconds
/// from `now`, the form some APIs use under the same header name.
std::optional<TimePoint> parse_reset_header(std::string_view value, TimePoint now);

struct RateHints {
  std::optional<Duration> retry_after;    ///< Retry-After
  std::optional<TimePoint> reset_at;      ///< x-rate-limit-reset / X-RateLimit-Reset
  bool daily_exhausted = false;           ///< x-user-limit-24hour-remaining: 0
  std::optional<TimePoint> daily_reset_at;  ///< x-user-limit-24hour-reset
};
/// Reads all hints; values that are unreadable or more than 31 days away are ignored.
RateHints read_rate_hints(HttpHeaders const& headers, TimePoint now);

// ---- X legacy codes and wording ---------------------------------------------------------------

/// The codes of docs/providers.md#x-error-codes that classify() understands.
bool is_known_x_code(std::int64_t code);
/// A known X code in free text: "349", "(349)", "code 349", "\"errorCode\":349". Two-digit codes
/// (32, 64, 88, 89) count only right after the word "code", since bare small numbers are common.
std::optional<int> find_x_code(std::string_view text);
bool contains_ci(std::string_view haystack, std::string_view needle);
/// Wording of a closed-DM refusal ("You cannot send messages to this user").
bool mentions_dm_refusal(std::string_view text);
/// Wording of a sender-account problem (expired cookie, login, 226 "automated", locked, suspended).
bool mentions_account_problem(std::string_view text);
/// Wording of an unknown user ("User not found", "does not exist").
bool mentions_not_found(std::string_view text);

/// Applies X-side evidence found in a provider's error text: a known code (x_code plus the
/// matching signal), else refusal or account wording. Returns whether anything was applied.
bool apply_x_evidence(ProviderResult& result, std::string_view text);
/// A send's error text with no class of its own (GetXAPI's 502, errors inside HTTP 200): X-side
/// evidence, else "user not found" wording, else transient (the docs say retry).
void apply_send_error_text(ProviderResult& result, std::string_view text);
/// Same for a numeric code field (tweetapi errorCode, v1.1 errors[].code); unknown codes are ignored.
bool apply_x_code(ProviderResult& result, std::int64_t code);

}  // namespace outreach::codec
