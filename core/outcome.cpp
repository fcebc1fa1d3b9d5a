#include "core/outcome.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace outreach {
namespace {

constexpr std::array<std::pair<ErrorClass, std::string_view>, 16> kClassNames{{
    {ErrorClass::none, ""},
    {ErrorClass::rate_limited, "rate_limited"},
    {ErrorClass::server_error, "server_error"},
    {ErrorClass::network, "network"},
    {ErrorClass::timeout, "timeout"},
    {ErrorClass::cannot_dm, "cannot_dm"},
    {ErrorClass::not_found, "not_found"},
    {ErrorClass::bad_request, "bad_request"},
    {ErrorClass::suppressed, "suppressed"},
    {ErrorClass::dry_run, "dry_run"},
    {ErrorClass::account, "account"},
    {ErrorClass::in_doubt, "in_doubt"},
    {ErrorClass::cancelled, "cancelled"},
    {ErrorClass::duplicate, "duplicate"},
    {ErrorClass::recently_contacted, "recently_contacted"},
    {ErrorClass::reconciled, "reconciled"},
}};

std::string describe(ProviderResult const& r, std::string_view fallback) {
  std::string out;
  if (r.http_status != 0) out = "HTTP " + std::to_string(r.http_status);
  if (r.x_code) out += (out.empty() ? "" : ", ") + std::string("X code ") + std::to_string(*r.x_code);
  if (!r.provider_code.empty()) out += (out.empty() ? "" : ", ") + r.provider_code;
  const std::string_view text = r.message.empty() ? fallback : std::string_view(r.message);
  if (!text.empty()) out += (out.empty() ? "" : ": ") + std::string(text);
  return out;
}

/// Transient failure: back off, or give up once the last attempt is spent.
Decision retry_or_fail(ErrorClass reason, std::string detail, RetryContext const& ctx,
                       std::optional<Duration> provider_wait = std::nullopt) {
  if (ctx.attempt >= ctx.max_attempts)
    return decision::FailedPermanent{reason, std::move(detail) + " (after " + std::to_string(ctx.attempt) + " attempts)"};
  return decision::RetryLater{reason, backoff_delay(ctx.backoff, ctx.attempt, ctx.u, provider_wait), std::move(detail)};
}

/// The later of the two reset hints (docs/send-rules.md#rate-limits); base_delay when the provider gave neither.
TimePoint reset_time(ProviderResult const& r, RetryContext const& ctx) {
  std::optional<TimePoint> until;
  if (r.retry_after) until = ctx.now + std::max(Duration{0}, *r.retry_after);
  if (r.reset_at && (!until || *r.reset_at > *until)) until = r.reset_at;
  if (!until || *until < ctx.now) until = ctx.now + ctx.backoff.base;
  return *until;
}

Decision from_transport(RequestKind kind, ProviderResult const& r, RetryContext const& ctx) {
  switch (r.transport) {
    case Transport::failed_before_write:
      return retry_or_fail(ErrorClass::network, describe(r, "network error before the request was sent"), ctx);
    case Transport::failed_after_write:
      if (kind == RequestKind::send)
        return decision::InDoubt{describe(r, "connection lost after the request was sent; the DM may have been delivered")};
      return retry_or_fail(ErrorClass::network, describe(r, "connection lost during lookup"), ctx);
    case Transport::timed_out_after_write:
      if (kind == RequestKind::send)
        return decision::InDoubt{describe(r, "no answer before the request timeout; the DM may have been delivered")};
      return retry_or_fail(ErrorClass::timeout, describe(r, "lookup timed out"), ctx);
    case Transport::responded: break;
  }
  return decision::InDoubt{"unreachable transport state"};
}

std::optional<Decision> from_x_code(RequestKind kind, ProviderResult const& r, RetryContext const& ctx) {
  if (!r.x_code) return std::nullopt;
  const int code = *r.x_code;
  if (is_recipient_refusal_code(code)) return decision::FailedPermanent{ErrorClass::cannot_dm, describe(r, "")};
  if (is_account_level_code(code)) return decision::AccountStop{describe(r, "")};
  if (code == 151) {
    // Reported to come back although the DM was sent: never resend blindly.
    if (kind == RequestKind::send) return decision::InDoubt{describe(r, "")};
    return retry_or_fail(ErrorClass::server_error, describe(r, ""), ctx);
  }
  if (code == 354) return decision::FailedPermanent{ErrorClass::bad_request, describe(r, "message too long")};
  if (code == 88) return decision::RateLimitedWait{reset_time(r, ctx), false, describe(r, "")};
  return std::nullopt;  // unknown codes fall through to signal and status
}

std::optional<Decision> from_signal(RequestKind kind, ProviderResult const& r, RetryContext const& ctx) {
  switch (r.signal) {
    case ProviderSignal::none: return std::nullopt;
    case ProviderSignal::success: return decision::Sent{r.message_id};
    case ProviderSignal::recipient_refused:
      return decision::FailedPermanent{ErrorClass::cannot_dm, describe(r, "recipient does not accept DMs")};
    case ProviderSignal::not_found: return decision::FailedPermanent{ErrorClass::not_found, describe(r, "user not found")};
    case ProviderSignal::account_error: return decision::AccountStop{describe(r, "account-level error")};
    case ProviderSignal::auth_expired: return decision::AccountStop{describe(r, "access token expired"), true};
    case ProviderSignal::rate_limited: return decision::RateLimitedWait{reset_time(r, ctx), false, describe(r, "rate limited")};
    case ProviderSignal::daily_limit:
      return decision::RateLimitedWait{reset_time(r, ctx), true, describe(r, "provider daily limit reached")};
    case ProviderSignal::possibly_delivered:
      if (kind == RequestKind::send) return decision::InDoubt{describe(r, "provider reported an error after possibly delivering")};
      return retry_or_fail(ErrorClass::server_error, describe(r, "lookup error"), ctx);
    case ProviderSignal::transient: return retry_or_fail(ErrorClass::server_error, describe(r, "transient provider error"), ctx);
    case ProviderSignal::invalid_request:
      return decision::FailedPermanent{ErrorClass::bad_request, describe(r, "request rejected by provider")};
    case ProviderSignal::malformed:
      // A 2xx we cannot read on a send may still mean the DM went out.
      if (kind == RequestKind::send && r.http_status >= 200 && r.http_status < 300)
        return decision::InDoubt{describe(r, "unreadable success response")};
      if (r.http_status >= 200 && r.http_status < 300)
        return retry_or_fail(ErrorClass::server_error, describe(r, "unreadable lookup response"), ctx);
      return std::nullopt;  // an unreadable error body: the status decides
    case ProviderSignal::read_refused:
      // Only inbox parsers produce it, and their results go to decide_inbox_read(), never here.
      // Should one reach a send or lookup anyway, a refusal to the account is never the
      // recipient's fault: stop the account, as for any other account-level error.
      return decision::AccountStop{describe(r, "the provider refused the request")};
  }
  return std::nullopt;
}

Decision from_status(ProviderResult const& r, RetryContext const& ctx) {
  const int s = r.http_status;
  if (s >= 200 && s < 300) return decision::Sent{r.message_id};
  if (s == 429) return decision::RateLimitedWait{reset_time(r, ctx), false, describe(r, "rate limited")};
  if (s >= 500 && s < 600) return retry_or_fail(ErrorClass::server_error, describe(r, "server error"), ctx);
  // Auth and billing failures are never the recipient's fault: stopping the account loses nothing
  // (the recipient goes back to pending), whereas failing would burn the whole queue one by one.
  if (s == 401 || s == 402 || s == 403) return decision::AccountStop{describe(r, "not authorized")};
  if (s == 404) return decision::FailedPermanent{ErrorClass::not_found, describe(r, "not found")};
  if (s >= 400 && s < 500) return decision::FailedPermanent{ErrorClass::bad_request, describe(r, "request rejected")};
  return decision::FailedPermanent{ErrorClass::bad_request, describe(r, "unexpected HTTP status")};
}

}  // namespace

std::string_view to_string(ErrorClass c) {
  for (auto const& [value, name] : kClassNames)
    if (value == c) return name;
  return "";
}

std::optional<ErrorClass> parse_error_class(std::string_view text) {
  for (auto const& [value, name] : kClassNames)
    if (name == text) return value;
  return std::nullopt;
}

bool is_recipient_refusal_code(int x_code) { return x_code == 349 || x_code == 150 || x_code == 214 || x_code == 476; }
bool is_account_level_code(int x_code) {
  return x_code == 226 || x_code == 32 || x_code == 89 || x_code == 64 || x_code == 326;
}

std::string describe_result(ProviderResult const& result, std::string_view fallback) { return describe(result, fallback); }

Decision classify(RequestKind kind, ProviderResult const& result, RetryContext const& ctx) {
  if (result.transport != Transport::responded) return from_transport(kind, result, ctx);
  // X codes are the most specific evidence, then what the codec read, then the bare status.
  if (auto d = from_x_code(kind, result, ctx)) return *d;
  if (auto d = from_signal(kind, result, ctx)) return *d;
  return from_status(result, ctx);
}

}  // namespace outreach
