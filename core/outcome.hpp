#pragma once
// Outcome classification: one provider-neutral result in, one decision out (docs/send-rules.md#outcomes).
//
// Provider codecs (core/providers/) turn a wire response into a ProviderResult, translating their
// quirks (errors inside HTTP 200, X codes inside messages, reset headers) into neutral fields.
// classify() then applies the send rules in one place, so every provider obeys the same policy.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/backoff.hpp"
#include "core/time.hpp"

namespace outreach {

/// The `reason` column of recipient_status (README.md#the-schema-stable-interface). `none` is stored as NULL.
enum class ErrorClass {
  none,
  rate_limited,
  server_error,
  network,
  timeout,
  cannot_dm,
  not_found,
  bad_request,
  suppressed,
  dry_run,
  account,
  in_doubt,
  cancelled,
  duplicate,           ///< another row of the same person in this campaign was claimed or sent (docs/send-rules.md#one-person-one-dm)
  recently_contacted,  ///< another campaign messaged this person within [safety] contact_cooldown
  reconciled,          ///< `sent`: an in-doubt send was found in the account's sent messages (docs/send-rules.md#the-inbox)
};
std::string_view to_string(ErrorClass c);
std::optional<ErrorClass> parse_error_class(std::string_view text);

/// How far the HTTP exchange got. The in-doubt rule depends on whether the request was fully written.
enum class Transport {
  responded,              ///< a complete HTTP response was read
  failed_before_write,    ///< resolve/connect/TLS failure, or the write did not complete: nothing reached the provider
  failed_after_write,     ///< the connection dropped after the whole request was written, before a full response
  timed_out_after_write,  ///< no complete response within the request timeout after the write
};

/// What a provider codec understood beyond the HTTP status.
enum class ProviderSignal {
  none,                ///< nothing specific: decide on the HTTP status
  success,             ///< the provider confirmed the request (for a send: the DM exists)
  recipient_refused,   ///< DMs closed / cannot message this user (X 349, 150, 214, 476 …)
  not_found,           ///< the user does not exist
  account_error,       ///< session/token invalid, locked, suspended, 226, quota or credits out, broken proxy
  auth_expired,        ///< x_api 401: the worker refreshes the OAuth token once before treating it as account_error
  rate_limited,        ///< a short provider window: wait for its reset
  daily_limit,         ///< the provider's own 24 h per-user cap (X x-user-limit-24hour-remaining: 0)
  possibly_delivered,  ///< the provider may have delivered the DM although it reported an error (X 151)
  transient,           ///< a vague provider error its docs say to retry
  invalid_request,     ///< the provider rejected the payload (validation, text too long)
  malformed,           ///< the body was not JSON, was truncated or lacked the expected fields
  /// Inbox reads only (core/inbox_read.hpp): the provider refuses to let this account *read* its
  /// DMs (x_api: a token without the dm.read scope, a client not enrolled or a plan without DM
  /// reads; a 403/404 on a read that names no account problem). Reading is turned off for the
  /// account; sending is not affected. Send and lookup parsers never produce it.
  read_refused,
};

struct ProviderResult {
  Transport transport = Transport::responded;
  int http_status = 0;
  ProviderSignal signal = ProviderSignal::none;
  std::optional<int> x_code;            ///< an X legacy error code found in the provider's text
  std::string provider_code;            ///< the provider's own code, e.g. "QUOTA_EXHAUSTED"
  std::string message;                  ///< the provider's error text; must not contain secrets
  std::string message_id;               ///< the DM's id, on success
  std::optional<Duration> retry_after;  ///< Retry-After header or body hint
  std::optional<TimePoint> reset_at;    ///< x-rate-limit-reset / X-RateLimit-Reset / 24 h reset
};

/// Lookups (username→id, canDm) are reads and may be repeated; sends are writes and may not.
enum class RequestKind { lookup, send };

struct RetryContext {
  int attempt = 1;       ///< number of this attempt, 1-based
  int max_attempts = 5;  ///< after this many the recipient is failed
  BackoffPolicy backoff;
  double u = 0.0;        ///< random draw in [0, 1) for the jitter
  TimePoint now;
};

namespace decision {
/// success → `sent` (lookups: the parsed answer may be used).
struct Sent {
  std::string message_id;
};
/// transient → `retrying`; the attempt is used; try again after `delay`.
struct RetryLater {
  ErrorClass reason = ErrorClass::server_error;
  Duration delay{0};
  std::string detail;
};
/// 429 and friends → the *account* waits until `until`; the recipient returns to `pending`
/// without using an attempt, and the attempt does not count toward the daily cap.
struct RateLimitedWait {
  TimePoint until;
  bool daily_limit = false;  ///< the provider's 24 h cap, shown as `capped` rather than `backoff`
  std::string detail;
};
/// → `failed` (or `skipped` for not_found/cannot_dm found by a lookup); never retried automatically.
struct FailedPermanent {
  ErrorClass reason = ErrorClass::bad_request;
  std::string detail;
};
/// → `unknown`/`in_doubt`: the DM may have been delivered; never resent automatically.
struct InDoubt {
  std::string detail;
};
/// → the account stops; the recipient returns to `pending` without using an attempt.
struct AccountStop {
  std::string reason;
  bool refreshable = false;  ///< x_api: refresh the OAuth token once and repeat before stopping
};
}  // namespace decision

using Decision = std::variant<decision::Sent, decision::RetryLater, decision::RateLimitedWait,
                              decision::FailedPermanent, decision::InDoubt, decision::AccountStop>;

Decision classify(RequestKind kind, ProviderResult const& result, RetryContext const& ctx);

/// "HTTP 429, X code 88, CODE: message" (the parts that are set), or `fallback` for the message:
/// the detail every decision carries. Holds only what the codec already scrubbed.
std::string describe_result(ProviderResult const& result, std::string_view fallback);

// Whether an answer uses an attempt and counts toward the cap: core/recipient_outcome.hpp.

/// X legacy codes (docs/providers.md#x-error-codes) by meaning.
bool is_recipient_refusal_code(int x_code);  // 349, 150, 214, 476
bool is_account_level_code(int x_code);      // 226, 32, 89, 64, 326

}  // namespace outreach
