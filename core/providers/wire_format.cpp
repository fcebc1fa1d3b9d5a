#include "core/providers/wire_format.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>

#include "core/iso_time.hpp"

namespace outreach::codec {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

/// "host:port" exactly as the config's proxy check (config/url_check.cpp) reads one: a name or
/// IPv4 address of [A-Za-z0-9._-] or a bracketed IPv6 address, and a port from 1 to 65535. Both
/// must agree on which side of tweetapi's "host:port@user:pass" is the address, or the codecs
/// send to a different proxy than the one check-config accepted (e.g. a numeric password).
bool is_host_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = s.substr(0, colon);
  const std::string_view port = s.substr(colon + 1);
  if (!all_digits(port) || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value < 1 || value > 65535) return false;
  if (host.front() == '[')
    return host.size() > 2 && host.back() == ']' &&
           host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  return std::all_of(host.begin(), host.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_'; });
}

constexpr std::array<int, 12> kKnownXCodes{349, 150, 214, 476, 151, 354, 88, 226, 32, 89, 64, 326};

/// Whether the digits at `pos` follow the word "code" (through separators such as `": (#=`).
bool follows_code_word(std::string_view text, std::size_t pos) {
  std::size_t k = pos;
  auto separator = [](char c) { return c == ' ' || c == '\t' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '(' || c == '#'; };
  while (k > 0 && separator(text[k - 1]) && pos - k < 8) --k;
  if (k < 4) return false;
  std::string_view word = text.substr(k - 4, 4);
  return lower(word[0]) == 'c' && lower(word[1]) == 'o' && lower(word[2]) == 'd' && lower(word[3]) == 'e';
}

bool contains_any_ci(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles)
    if (contains_ci(text, n)) return true;
  return false;
}

/// Sets the signal that matches a known X code, so results read consistently even without classify().
ProviderSignal signal_for_x_code(int code) {
  if (is_recipient_refusal_code(code)) return ProviderSignal::recipient_refused;
  if (is_account_level_code(code)) return ProviderSignal::account_error;
  if (code == 151) return ProviderSignal::possibly_delivered;
  if (code == 354) return ProviderSignal::invalid_request;
  if (code == 88) return ProviderSignal::rate_limited;
  return ProviderSignal::none;
}

constexpr Duration kMaxPlausibleWait = std::chrono::hours{24 * 31};

}  // namespace

// ---- text helpers -------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Digits only, at most `max_digits` of them (so the value always fits in 64 bits).
std::optional<std::int64_t> parse_digits(std::string_view s, std::size_t max_digits) {
  if (!all_digits(s) || s.size() > max_digits) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Result<ProxyParts> split_proxy(std::string_view configured) {
  std::string_view s = trim(configured);
  if (s.empty()) return make_error("the account has no proxy configured");
  ProxyParts parts;
  if (const auto p = s.find("://"); p != std::string_view::npos) {
    parts.scheme = std::string(s.substr(0, p));
    s.remove_prefix(p + 3);
    if (parts.scheme.empty() || !std::all_of(parts.scheme.begin(), parts.scheme.end(), [](char c) {
          return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
        }))
      return make_error("the account's proxy has an invalid scheme");
  }
  std::string_view userinfo;
  std::string_view hostport = s;
  if (const auto at = s.rfind('@'); at != std::string_view::npos) {
    userinfo = s.substr(0, at);
    hostport = s.substr(at + 1);
  }
  // A path after the address is dropped, but only once the address is known: in tweetapi's form
  // the part after '@' is "user:pass", and a '/' there belongs to the password.
  auto without_path = [](std::string_view address) { return address.substr(0, address.find('/')); };
  // Without a scheme, "host:port@user:pass" may already be tweetapi's form: recognise it by
  // where the port is, so both spellings work.
  if (parts.scheme.empty() && !userinfo.empty() && is_host_port(userinfo) && !is_host_port(without_path(hostport)))
    std::swap(userinfo, hostport);
  hostport = without_path(hostport);
  if (hostport.empty() || hostport.front() == ':') return make_error("the account's proxy has no host");
  parts.userinfo = std::string(userinfo);
  parts.hostport = std::string(hostport);
  return parts;
}

// ---- ids --------------------------------------------------------------------------------------

bool is_decimal_id(std::string_view text) { return all_digits(text) && text.size() <= 20; }

int compare_decimal_ids(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string one_to_one_conversation_id(std::string_view a, std::string_view b) {
  if (compare_decimal_ids(a, b) > 0) std::swap(a, b);
  std::string out(a);
  out += '-';
  out += b;
  return out;
}

// ---- inbox reads ------------------------------------------------------------------------------

bool is_cursor(std::string_view text) {
  if (text.empty() || text.size() > kMaxCursor) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::optional<TimePoint> parse_twitter_date(std::string_view text) {
  // "Wed Oct 10 20:19:24 +0000 2018": fixed columns.
  if (text.size() != 30 || text[3] != ' ' || text[7] != ' ' || text[10] != ' ' || text[19] != ' ' || text[25] != ' ')
    return std::nullopt;
  static constexpr std::array<std::string_view, 7> kWeekdays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (std::find(kWeekdays.begin(), kWeekdays.end(), text.substr(0, 3)) == kWeekdays.end()) return std::nullopt;
  const auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(4, 3));
  if (month == kMonths.end()) return std::nullopt;
  const char sign = text[20];
  if (sign != '+' && sign != '-') return std::nullopt;
  // Rewritten as ISO 8601, so that one parser checks every field and the calendar.
  const int m = static_cast<int>(month - kMonths.begin()) + 1;
  std::string iso;
  iso.reserve(25);
  iso.append(text.substr(26, 4)).append("-");
  iso.push_back(static_cast<char>('0' + m / 10));
  iso.push_back(static_cast<char>('0' + m % 10));
  iso.append("-").append(text.substr(8, 2)).append("T").append(text.substr(11, 8));
  iso.push_back(sign);
  iso.append(text.substr(21, 2)).append(":").append(text.substr(23, 2));
  auto parsed = parse_iso8601(iso);
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::optional<TimePoint> parse_provider_time(std::string_view text) {
  if (auto iso = parse_iso8601(text)) return *iso;
  return parse_twitter_date(text);
}

// ---- proxies ----------------------------------------------------------------------------------

Result<std::string> proxy_url_form(std::string_view configured) {
  auto parts = split_proxy(configured);
  if (!parts) return parts.error();
  std::string out = (parts->scheme.empty() ? std::string("http") : parts->scheme) + "://";
  if (!parts->userinfo.empty()) out += parts->userinfo + "@";
  out += parts->hostport;
  return out;
}

Result<std::string> tweetapi_proxy_form(std::string_view configured) {
  auto parts = split_proxy(configured);
  if (!parts) return parts.error();
  std::string out = parts->hostport;
  if (!parts->userinfo.empty()) {
    std::string_view info = parts->userinfo;
    const auto colon = info.find(':');
    out += "@" + percent_decode(info.substr(0, colon));
    if (colon != std::string_view::npos) out += ":" + percent_decode(info.substr(colon + 1));
  }
  return out;
}

// ---- rate-limit headers -----------------------------------------------------------------------

std::optional<TimePoint> parse_http_date(std::string_view text) {
  std::string_view s = trim(text);
  // Optional "Sun, " weekday.
  if (s.size() > 5 && s[3] == ',') {
    s.remove_prefix(4);
    s = trim(s);
  }
  auto take_number = [&s](std::size_t min_digits, std::size_t max_digits) -> std::optional<int> {
    std::size_t n = 0;
    while (n < s.size() && n < max_digits && is_digit(s[n])) ++n;
    if (n < min_digits || (n < s.size() && is_digit(s[n]))) return std::nullopt;
    auto v = parse_digits(s.substr(0, n), max_digits);
    s.remove_prefix(n);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  };
  auto expect = [&s](char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
  };
  const auto day = take_number(1, 2);
  if (!day || !expect(' ') || s.size() < 3) return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (lower(s[0]) == kMonths[i][0] && lower(s[1]) == kMonths[i][1] && lower(s[2]) == kMonths[i][2]) month = i + 1;
  }
  if (month == 0) return std::nullopt;
  s.remove_prefix(3);
  if (!expect(' ')) return std::nullopt;
  const auto year = take_number(4, 4);
  if (!year || !expect(' ')) return std::nullopt;
  const auto hh = take_number(2, 2);
  if (!hh || !expect(':')) return std::nullopt;
  const auto mm = take_number(2, 2);
  if (!mm || !expect(':')) return std::nullopt;
  const auto ss = take_number(2, 2);
  if (!ss || *hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  if (trim(s) != "GMT" && trim(s) != "UTC") return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*year}, std::chrono::month{month},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::time_point_cast<Duration>(std::chrono::sys_days{ymd}) + std::chrono::hours{*hh} +
         std::chrono::minutes{*mm} + std::chrono::seconds{*ss};
}

std::optional<Duration> parse_retry_after(std::string_view value, TimePoint now) {
  const std::string_view v = trim(value);
  if (all_digits(v)) {
    const auto seconds = parse_digits(v, 9);
    if (!seconds) return std::nullopt;
    return std::chrono::seconds{*seconds};
  }
  const auto date = parse_http_date(v);
  if (!date) return std::nullopt;
  return std::max(Duration{0}, *date - now);
}

std::optional<TimePoint> parse_reset_header(std::string_view value, TimePoint now) {
  std::string_view v = trim(value);
  if (const auto dot = v.find('.'); dot != std::string_view::npos && dot > 0 && all_digits(v.substr(dot + 1)))
    v = v.substr(0, dot);  // "1700000000.5": the fraction is noise at this scale
  const auto n = parse_digits(v, 12);
  if (!n) return std::nullopt;
  if (*n < 1'000'000'000) return now + std::chrono::seconds{*n};
  return TimePoint{std::chrono::seconds{*n}};
}

RateHints read_rate_hints(HttpHeaders const& headers, TimePoint now) {
  RateHints hints;
  const TimePoint horizon = now + kMaxPlausibleWait;
  if (auto v = find_header(headers, "Retry-After")) {
    if (auto wait = parse_retry_after(*v, now); wait && *wait <= kMaxPlausibleWait) hints.retry_after = wait;
  }
  auto reset = [&](std::string_view name) -> std::optional<TimePoint> {
    if (auto v = find_header(headers, name)) {
      if (auto t = parse_reset_header(*v, now); t && *t <= horizon) return t;
    }
    return std::nullopt;
  };
  hints.reset_at = reset("x-rate-limit-reset");
  if (!hints.reset_at) hints.reset_at = reset("x-ratelimit-reset");
  if (auto v = find_header(headers, "x-user-limit-24hour-remaining")) {
    const auto remaining = parse_digits(trim(*v), 12);
    hints.daily_exhausted = remaining && *remaining == 0;
  }
  hints.daily_reset_at = reset("x-user-limit-24hour-reset");
  return hints;
}

// ---- X legacy codes and wording ---------------------------------------------------------------

bool is_known_x_code(std::int64_t code) {
  return std::find(kKnownXCodes.begin(), kKnownXCodes.end(), code) != kKnownXCodes.end();
}

std::optional<int> find_x_code(std::string_view text) {
  std::optional<int> bare;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    const std::size_t len = j - i;
    const char before = i > 0 ? text[i - 1] : ' ';
    const char after = j < text.size() ? text[j] : ' ';
    const char after2 = j + 1 < text.size() ? text[j + 1] : ' ';
    // Skip digits glued to words or part of a larger number ("v1.150", "150,000", "-349").
    const bool isolated = !is_alpha(before) && before != '.' && before != ',' && before != '_' && before != '-' &&
                          before != '/' && !is_alpha(after) && after != '_' &&
                          !((after == '.' || after == ',') && is_digit(after2));
    if (isolated && (len == 2 || len == 3)) {
      const auto code = static_cast<int>(*parse_digits(text.substr(i, len), 3));
      if (is_known_x_code(code)) {
        if (follows_code_word(text, i)) return code;
        if (len == 3 && !bare) bare = code;
      }
    }
    i = j;
  }
  return bare;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower(haystack[i + k]) == lower(needle[k])) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

bool mentions_dm_refusal(std::string_view text) {
  return contains_any_ci(text, {"cannot send messages", "can't send messages", "cannot send direct messages",
                                "can't send direct messages", "cannot send dm", "can't send dm", "not allowed to send",
                                "not permitted to send", "cannot be messaged", "dms are closed", "does not accept direct messages",
                                "doesn't accept direct messages", "not accepting direct messages"});
}

bool mentions_account_problem(std::string_view text) {
  return contains_any_ci(text, {"automated", "cookie", "login", "log in", "auth_token", "authtoken", "auth token",
                                "account is locked", "account locked", "account has been locked", "temporarily locked",
                                "account is suspended", "account suspended", "account has been suspended",
                                "could not authenticate", "invalid or expired token", "challenge"});
}

bool mentions_not_found(std::string_view text) {
  return contains_any_ci(text, {"not found", "notfound", "not_found", "does not exist", "doesn't exist", "no such user",
                                "unknown user", "could not find", "user not exist"});
}

bool apply_x_code(ProviderResult& result, std::int64_t code) {
  if (!is_known_x_code(code)) return false;
  result.x_code = static_cast<int>(code);
  result.signal = signal_for_x_code(static_cast<int>(code));
  return true;
}

bool apply_x_evidence(ProviderResult& result, std::string_view text) {
  if (auto code = find_x_code(text)) return apply_x_code(result, *code);
  // Account wording wins: "your account is locked, cannot send messages" is the sender's problem.
  if (mentions_account_problem(text)) {
    result.signal = ProviderSignal::account_error;
    return true;
  }
  if (mentions_dm_refusal(text)) {
    result.signal = ProviderSignal::recipient_refused;
    return true;
  }
  return false;
}

void apply_send_error_text(ProviderResult& result, std::string_view text) {
  if (apply_x_evidence(result, text)) return;
  result.signal = mentions_not_found(text) ? ProviderSignal::not_found : ProviderSignal::transient;
}

}  // namespace outreach::codec
