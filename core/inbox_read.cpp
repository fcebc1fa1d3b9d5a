#include "core/inbox_read.hpp"

#include <algorithm>
#include <optional>

namespace outreach {
namespace {

using namespace inbox_read;

bool is_2xx(int status) { return status >= 200 && status < 300; }

/// The later of the two reset hints, or now + fallback when there is neither (or both are past).
WaitUntil wait(ProviderResult const& r, TimePoint now, Duration fallback, std::string_view what) {
  std::optional<TimePoint> until;
  if (r.retry_after) until = now + std::max(Duration{0}, *r.retry_after);
  if (r.reset_at && (!until || *r.reset_at > *until)) until = r.reset_at;
  if (!until || *until < now) until = now + std::max(Duration{0}, fallback);
  return WaitUntil{*until, describe_result(r, what)};
}

InboxReadDecision from_transport(ProviderResult const& r) {
  switch (r.transport) {
    case Transport::failed_before_write:
      return RetryLater{ErrorClass::network, describe_result(r, "network error before the inbox read was sent")};
    case Transport::failed_after_write:
      return RetryLater{ErrorClass::network, describe_result(r, "connection lost during the inbox read")};
    case Transport::timed_out_after_write:
      return RetryLater{ErrorClass::timeout, describe_result(r, "the inbox read timed out")};
    case Transport::responded: break;
  }
  return RetryLater{ErrorClass::network, "unreachable transport state"};
}

/// The HTTP status alone, when the codec understood nothing more specific.
InboxReadDecision from_status(ProviderResult const& r, TimePoint now, Duration fallback) {
  const int s = r.http_status;
  // A page is used only when the codec read all of it (signal success), whatever the status.
  if (is_2xx(s)) return RetryLater{ErrorClass::server_error, describe_result(r, "unreadable inbox page")};
  if (s == 429) return wait(r, now, fallback, "inbox reads rate limited");
  if (s >= 500 && s < 600) return RetryLater{ErrorClass::server_error, describe_result(r, "server error on the inbox read")};
  if (s == 401 || s == 402) return StopAccount{describe_result(r, "not authorized")};
  if (s == 400 || s == 403 || s == 404 || s == 422)
    return InboxOff{describe_result(r, "the provider refused the inbox read")};
  return RetryLater{ErrorClass::server_error, describe_result(r, "unexpected answer to the inbox read")};
}

}  // namespace

InboxReadDecision decide_inbox_read(ProviderResult const& r, TimePoint now, Duration fallback_wait) {
  if (r.transport != Transport::responded) return from_transport(r);
  // X codes about the account or the rate are the most specific evidence; refusal codes
  // (349 …) concern a recipient and mean nothing on a read.
  if (r.x_code) {
    if (is_account_level_code(*r.x_code)) return StopAccount{describe_result(r, "")};
    if (*r.x_code == 88) return wait(r, now, fallback_wait, "");
  }
  switch (r.signal) {
    case ProviderSignal::success:
      if (is_2xx(r.http_status)) return Ok{};
      break;
    case ProviderSignal::rate_limited: return wait(r, now, fallback_wait, "inbox reads rate limited");
    case ProviderSignal::daily_limit: return wait(r, now, fallback_wait, "provider daily limit reached");
    case ProviderSignal::auth_expired: return RefreshToken{describe_result(r, "access token expired")};
    case ProviderSignal::account_error: return StopAccount{describe_result(r, "account-level error")};
    case ProviderSignal::read_refused: return InboxOff{describe_result(r, "the provider refused the inbox read")};
    case ProviderSignal::invalid_request:
      // The provider rejects the read request itself: repeating it cannot help, sending can go on.
      return InboxOff{describe_result(r, "the provider rejected the inbox request")};
    case ProviderSignal::transient:
    case ProviderSignal::possibly_delivered:
    case ProviderSignal::recipient_refused:
    case ProviderSignal::not_found:
      // A vague error, or one that means nothing for a read: read again later.
      return RetryLater{ErrorClass::server_error, describe_result(r, "transient provider error on the inbox read")};
    case ProviderSignal::malformed:
      if (is_2xx(r.http_status)) return RetryLater{ErrorClass::server_error, describe_result(r, "unreadable inbox page")};
      break;  // an unreadable error body: the status decides
    case ProviderSignal::none: break;
  }
  return from_status(r, now, fallback_wait);
}

}  // namespace outreach
