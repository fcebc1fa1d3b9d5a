#include "core/providers/redactor.hpp"

#include <algorithm>
#include <array>

#include "core/http.hpp"
#include "core/providers/wire_format.hpp"
#include "core/secret.hpp"

namespace outreach::codec {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

constexpr std::array<bool, 256> kUnreserved = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = is_unreserved(static_cast<char>(c));
  return table;
}();

/// The secret as it may appear inside a JSON string of a raw body (escaped quotes and controls),
/// optionally with '/' written as "\\/".
std::string json_escaped(std::string_view s, bool escape_slash) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0x0F]};
      out.append(esc, sizeof esc);
      continue;
    }
    if (c == '"' || c == '\\' || (escape_slash && c == '/')) out += '\\';
    out += c;
  }
  return out;
}

/// Control characters → spaces, trimmed, cut to `max` bytes on a UTF-8 boundary (+ "...").
std::string tidy(std::string text, std::size_t max) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  text = std::string(trim(text));
  if (text.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

}  // namespace

std::string glimpse(Redactor const& redactor, std::string_view body) {
  if (body.empty()) return "empty body";
  if (trim(body).empty()) return "blank body";
  constexpr std::size_t kShown = 80;
  constexpr std::size_t kWindow = 4096;
  // Scrub a bounded window; if the cut at its end could reach the shown part (a body made mostly
  // of long secrets), scrub the whole body instead, so no partial secret is ever shown.
  constexpr std::size_t kNoCut = static_cast<std::size_t>(-1) / 2;
  std::string text;
  if (body.size() > kWindow) {
    text = tidy(redactor.scrub(body.substr(0, kWindow)), kNoCut);
    if (text.size() < kShown + redactor.partial_margin()) text = tidy(redactor.scrub(body), kNoCut);
  } else {
    text = tidy(redactor.scrub(body), kNoCut);
  }
  return "body starts with \"" + tidy(std::move(text), kShown) + "\"";
}

void Redactor::add(std::string_view secret) {
  if (secret.empty()) return;
  extra_.emplace_back(secret);
  prepared_ = false;
}


void Redactor::prepare() const {
  derived_.clear();
  const std::string_view proxy = account_ ? account_->proxy.reveal() : std::string_view{};
  if (!proxy.empty()) {
    if (auto parts = split_proxy(proxy)) {
      std::string const& userinfo = parts->userinfo;
      const bool encoded = userinfo.find('%') != std::string::npos;
      const std::string decoded = encoded ? percent_decode(userinfo) : userinfo;
      std::string url = (parts->scheme.empty() ? std::string("http") : parts->scheme) + "://";
      if (!userinfo.empty()) url += userinfo + "@";
      derived_.push_back(url + parts->hostport);
      derived_.push_back(parts->hostport + (userinfo.empty() ? std::string() : "@" + decoded));  // tweetapi form
      derived_.push_back(userinfo);
      if (encoded) derived_.push_back(decoded);
      if (const auto colon = userinfo.find(':'); colon != std::string::npos) {
        derived_.push_back(userinfo.substr(colon + 1));
        if (encoded) derived_.push_back(percent_decode(std::string_view(userinfo).substr(colon + 1)));
      }
    }
  }
  // derived_ is complete: views into it stay valid until the next prepare().
  secrets_.clear();
  secrets_.reserve(8 + derived_.size() + extra_.size());
  auto take = [this](std::string_view s) {
    if (s.size() < 4) return;  // redact() ignores shorter ones
    Entry e;
    e.value = s;
    // A plain pointer walk: this runs for every parse that copies text, also in -O0 test builds.
    char const* const data = s.data();
    bool const* const unreserved = kUnreserved.data();
    const std::size_t n = s.size();
    std::size_t run_start = 0;
    for (std::size_t i = 0; i <= n; ++i) {
      if (i < n && unreserved[static_cast<unsigned char>(data[i])]) continue;
      if (i - run_start > e.anchor_len) {
        e.anchor_pos = run_start;
        e.anchor_len = i - run_start;
      }
      run_start = i + 1;
    }
    e.plain = e.anchor_len == n;
    secrets_.push_back(e);
  };
  if (provider_) {
    take(provider_->api_key.reveal());
    if (provider_->client_secret) take(provider_->client_secret->reveal());
  }
  if (account_) {
    take(account_->auth_token.reveal());
    take(account_->access_token.reveal());
    take(account_->refresh_token.reveal());
    take(proxy);
  }
  for (std::string const& d : derived_) take(d);
  for (std::string const& e : extra_) take(e);
  std::sort(secrets_.begin(), secrets_.end(), [](Entry const& a, Entry const& b) {
    return a.value.size() != b.value.size() ? a.value.size() > b.value.size() : a.value < b.value;
  });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end(), [](Entry const& a, Entry const& b) { return a.value == b.value; }),
                 secrets_.end());
  prepared_ = true;
}

std::string Redactor::scrub(std::string_view text) const {
  std::string out(text);
  if (out.empty()) return out;
  if (!prepared_) prepare();
  for (Entry const& e : secrets_) {
    // Every spelling contains the anchor verbatim: without it, none can be present.
    if (e.anchor_len > 0 && out.find(e.value.substr(e.anchor_pos, e.anchor_len)) == std::string::npos)
      continue;
    out = redact(std::move(out), {e.value});
    if (e.plain) continue;
    out = redact(std::move(out), {url_encode(e.value)});
    out = redact(std::move(out), {json_escaped(e.value, false)});
    out = redact(std::move(out), {json_escaped(e.value, true)});
  }
  return out;
}

std::string Redactor::clean(std::string_view text) const { return tidy(scrub(text), kMaxMessage); }

std::size_t Redactor::partial_margin() const {
  if (!prepared_) prepare();
  // The longest spelling is at most 6x the value (\u00XX); a cut part of it may still have
  // smaller secrets inside expanded to "[redacted]" (10 bytes for >= 4): allow 3x on top.
  const std::size_t longest = secrets_.empty() ? 0 : secrets_.front().value.size();
  return 18 * longest + 16;
}

}  // namespace outreach::codec
