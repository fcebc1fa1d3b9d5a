#pragma once
// What the four provider codecs share beyond wire formats and scrubbing: tolerant JSON field
// access that never throws, and the small steps every parser ends with.
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/redactor.hpp"
#include "core/providers/wire_format.hpp"
#include "core/time.hpp"

namespace outreach::codec {

// ---- JSON access (never throws) -----------------------------------------------------------------

/// The parsed body, or nullopt when it is not one complete JSON text.
std::optional<boost::json::value> parse_json(std::string_view body);
boost::json::object const* object_member(boost::json::object const& o, std::string_view key);
boost::json::array const* array_member(boost::json::object const& o, std::string_view key);
/// The string member, or "" when absent or not a string.
std::string_view string_member(boost::json::object const& o, std::string_view key);
/// The first non-empty string among `keys`.
std::string_view first_string(boost::json::object const& o, std::initializer_list<std::string_view> keys);
std::optional<bool> bool_member(boost::json::object const& o, std::string_view key);
/// An integer member, also from a decimal string ("60"). Floating values are rejected.
std::optional<std::int64_t> int_member(boost::json::object const& o, std::string_view key);
/// A decimal id member given as a string of digits or as a non-negative integer.
std::optional<std::string> id_member(boost::json::object const& o, std::string_view key);

// ---- building results ---------------------------------------------------------------------------

bool is_2xx(int status);
/// A responded result with the HTTP status filled in.
ProviderResult responded(HttpResponse const& response);
/// Fills retry_after / reset_at from the hints (reset_at prefers the 24 h reset when exhausted).
void apply_hints(ProviderResult& result, RateHints const& hints);
/// Marks the result malformed with `what` and a short scrubbed glimpse of the body.
void set_malformed(ProviderResult& result, Redactor const& redactor, std::string_view what, std::string_view body);
/// "HTTP <status> with a non-JSON body: <glimpse>" for error responses whose body is unreadable.
std::string unreadable_body_text(Redactor const& redactor, int status, std::string_view body);

/// Ends a lookup that named the user: success, or recipient_refused when can_dm is false.
void finish_lookup(UserLookup& lookup, std::string user_id, std::optional<bool> can_dm);
/// Last step of every lookup parser: a failed lookup gets the header hints and no follow-up;
/// a refusal always reports can_dm = false.
void close_lookup(UserLookup& lookup, HttpHeaders const& headers, TimePoint now);
/// A by-id answer about another user than the one asked for is malformed (never act on it).
void require_user(UserLookup& lookup, std::string_view wanted_id, Redactor const& redactor, std::string_view body);
/// Reads a twitterapi.io/GetXAPI profile object (`id`, `canDm`, `unavailable`) into `lookup`.
/// A missing or non-decimal id, or a `canDm` that is not a boolean, is malformed.
void read_profile(UserLookup& lookup, boost::json::object const& user, Redactor const& redactor, std::string_view body);

// ---- inbox reads --------------------------------------------------------------------------------

/// Reads only: X-side evidence about the *account* in an error text (an account-level X code,
/// code 88, or account wording). Refusal and "not found" wording mean nothing on a read and are
/// ignored. Returns whether anything was applied.
bool apply_account_evidence(ProviderResult& result, std::string_view text);
/// A cursor a page may carry: is_cursor(), and not holding any secret of the request (a cursor
/// is stored and shown, so it may not carry what the redactor would scrub).
bool is_clean_cursor(Redactor const& redactor, std::string_view cursor);
/// Reads a paging cursor member: absent or null → nullopt; a clean cursor → it; anything else
/// (not a string, empty, too long, unprintable, holding a secret) → `bad` is set.
std::optional<std::string> cursor_member(boost::json::object const& o, std::string_view key, Redactor const& redactor,
                                         bool& bad);
/// A message time member (parse_provider_time on a string); nullopt when absent or unreadable.
std::optional<TimePoint> time_member(boost::json::object const& o, std::string_view key);
/// Marks a page malformed and drops what it had read: never act on half a page. The error quotes
/// none of the body (other people's messages), only its size.
void fail_page(InboxPage& page, std::string_view what, std::string_view body);
/// Last step of every inbox parser: a page that is not a success carries no messages, no cursor,
/// no account id, and gets the header hints.
void close_page(InboxPage& page, HttpHeaders const& headers, TimePoint now);
/// The request error for a cursor that is_cursor() refuses (it is never quoted).
Error bad_cursor_error(std::string_view provider);

/// JSON body text for a request.
std::string serialize(boost::json::object const& object);

// ---- per-provider factories (make_codec dispatches to these) -------------------------------------

std::unique_ptr<ProviderCodec> make_getxapi_codec();
std::unique_ptr<ProviderCodec> make_twitterapi_io_codec();
std::unique_ptr<ProviderCodec> make_tweetapi_codec();
std::unique_ptr<ProviderCodec> make_x_api_codec();

}  // namespace outreach::codec
