#include "core/providers/codec_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace outreach::codec {

// ---- JSON access ------------------------------------------------------------------------------

std::optional<boost::json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

boost::json::object const* object_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

boost::json::array const* array_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  return v ? v->if_array() : nullptr;
}

std::string_view string_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v) return {};
  auto const* s = v->if_string();
  return s ? std::string_view(*s) : std::string_view{};
}

std::string_view first_string(boost::json::object const& o, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (auto s = string_member(o, k); !trim(s).empty()) return s;
  }
  return {};
}

std::optional<bool> bool_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto const* b = v->if_bool()) return *b;
  return std::nullopt;
}

std::optional<std::int64_t> int_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto const* i = v->if_int64()) return *i;
  if (auto const* u = v->if_uint64()) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(*u);
    return std::nullopt;
  }
  if (auto const* s = v->if_string()) return parse_digits(trim(*s), 18);
  return std::nullopt;
}

std::optional<std::string> id_member(boost::json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto const* s = v->if_string()) {
    if (is_decimal_id(*s)) return std::string(*s);
    return std::nullopt;
  }
  if (auto const* i = v->if_int64()) {
    if (*i >= 0) return std::to_string(*i);
    return std::nullopt;
  }
  if (auto const* u = v->if_uint64()) return std::to_string(*u);
  return std::nullopt;  // a double has already lost digits: never trust it as an id
}

// ---- building results ---------------------------------------------------------------------------

bool is_2xx(int status) { return status >= 200 && status < 300; }

ProviderResult responded(HttpResponse const& response) {
  ProviderResult r;
  r.transport = Transport::responded;
  r.http_status = response.status;
  return r;
}

void apply_hints(ProviderResult& result, RateHints const& hints) {
  result.retry_after = hints.retry_after;
  if (result.signal == ProviderSignal::daily_limit && hints.daily_reset_at)
    result.reset_at = hints.daily_reset_at;
  else
    result.reset_at = hints.reset_at;
}

void set_malformed(ProviderResult& result, Redactor const& redactor, std::string_view what, std::string_view body) {
  result.signal = ProviderSignal::malformed;
  result.message = std::string(what) + " (" + glimpse(redactor, body) + ")";
}

std::string unreadable_body_text(Redactor const& redactor, int status, std::string_view body) {
  return "HTTP " + std::to_string(status) + " with a non-JSON body (" + glimpse(redactor, body) + ")";
}

void finish_lookup(UserLookup& lookup, std::string user_id, std::optional<bool> can_dm) {
  lookup.user_id = std::move(user_id);
  lookup.can_dm = can_dm;
  if (can_dm == false) {
    lookup.result.signal = ProviderSignal::recipient_refused;
    if (lookup.result.message.empty()) lookup.result.message = "the user does not accept DMs (canDm false)";
  } else {
    lookup.result.signal = ProviderSignal::success;
  }
}

void close_lookup(UserLookup& lookup, HttpHeaders const& headers, TimePoint now) {
  if (lookup.result.signal == ProviderSignal::success) return;
  apply_hints(lookup.result, read_rate_hints(headers, now));
  lookup.needs_dm_check = false;
  if (lookup.result.signal == ProviderSignal::recipient_refused) lookup.can_dm = false;
}

void require_user(UserLookup& lookup, std::string_view wanted_id, Redactor const& redactor, std::string_view body) {
  if (!lookup.user_id || compare_decimal_ids(*lookup.user_id, wanted_id) == 0) return;
  const std::string got = *lookup.user_id;
  lookup = UserLookup{lookup.result, std::nullopt, std::nullopt, false};
  lookup.result.x_code.reset();
  set_malformed(lookup.result, redactor, "the answer is about user " + got + ", not " + std::string(wanted_id), body);
}

void read_profile(UserLookup& lookup, boost::json::object const& user, Redactor const& redactor, std::string_view body) {
  auto id = id_member(user, "id");
  if (!id) return set_malformed(lookup.result, redactor, "the user object lacks a decimal \"id\"", body);
  if (bool_member(user, "unavailable") == true) {
    // Suspended or deleted profiles come back as empty shells marked unavailable; either way no DM can reach them.
    const std::string reason = redactor.clean(first_string(user, {"unavailableReason", "message", "reason"}));
    lookup.user_id = std::move(*id);
    lookup.result.message = "the user is unavailable" + (reason.empty() ? std::string() : ": " + reason);
    if (mentions_not_found(reason)) {
      lookup.result.signal = ProviderSignal::not_found;
    } else {
      lookup.can_dm = false;
      lookup.result.signal = ProviderSignal::recipient_refused;
    }
    return;
  }
  std::optional<bool> can_dm;
  if (auto const* flag = user.if_contains("canDm")) {
    can_dm = bool_member(user, "canDm");
    if (!can_dm && !flag->is_null())
      return set_malformed(lookup.result, redactor, "the user object's \"canDm\" is not a boolean", body);
  }
  finish_lookup(lookup, std::move(*id), can_dm);
}

// ---- inbox reads --------------------------------------------------------------------------------

bool apply_account_evidence(ProviderResult& result, std::string_view text) {
  if (auto code = find_x_code(text); code && (is_account_level_code(*code) || *code == 88))
    return apply_x_code(result, *code);
  if (mentions_account_problem(text)) {
    result.signal = ProviderSignal::account_error;
    return true;
  }
  return false;
}

bool is_clean_cursor(Redactor const& redactor, std::string_view cursor) {
  return is_cursor(cursor) && redactor.scrub(cursor) == cursor;
}

std::optional<std::string> cursor_member(boost::json::object const& o, std::string_view key, Redactor const& redactor,
                                         bool& bad) {
  auto const* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  auto const* s = v->if_string();
  if (!s || !is_clean_cursor(redactor, *s)) {
    bad = true;
    return std::nullopt;
  }
  return std::string(*s);
}

std::optional<TimePoint> time_member(boost::json::object const& o, std::string_view key) {
  const std::string_view text = string_member(o, key);
  if (text.empty()) return std::nullopt;
  return parse_provider_time(text);
}

void fail_page(InboxPage& page, std::string_view what, std::string_view body) {
  page.messages.clear();
  page.next_cursor.reset();
  page.account_id.reset();
  page.result.x_code.reset();
  // Unlike a send's answer, an inbox page is other people's messages: none of it is quoted into the
  // error (it reaches the log), only its size.
  page.result.signal = ProviderSignal::malformed;
  page.result.message = std::string(what) + " (" + std::to_string(body.size()) + " bytes, not quoted)";
}

void close_page(InboxPage& page, HttpHeaders const& headers, TimePoint now) {
  if (page.result.signal == ProviderSignal::success) return;
  page.messages.clear();
  page.next_cursor.reset();
  page.account_id.reset();
  apply_hints(page.result, read_rate_hints(headers, now));
}

Error bad_cursor_error(std::string_view provider) {
  return make_error(std::string(provider) + ": the inbox cursor is not 1 to " + std::to_string(kMaxCursor) +
                    " printable characters");
}

std::string serialize(boost::json::object const& object) { return boost::json::serialize(object); }

}  // namespace outreach::codec
