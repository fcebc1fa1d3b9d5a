#pragma once
// What the answer to one inbox read means for the account (docs/providers.md#reading-the-inbox):
// the read-side counterpart of classify() (core/outcome.hpp). A read is a provider call of its
// own kind, repeatable, and never a send, so its rules differ:
//
//   - a rate limit delays the account's *reads* only; its sends go on;
//   - a refusal that concerns reading only (a token without dm.read, a plan without DM reads)
//     turns the inbox off for the account, and its sends go on;
//   - an invalid or expired session or token, the same credentials sends use, stops the account
//     as a send would (x_api: after one token refresh);
//   - anything unreadable or vague is read again later: a page is used whole or not at all.
//
// Pure: `now` and the fallback wait are arguments.
#include <string>
#include <variant>

#include "core/outcome.hpp"
#include "core/time.hpp"

namespace outreach {

namespace inbox_read {
/// The page (InboxPage::messages, next_cursor) may be used.
struct Ok {};
/// The provider's read limit: no read of this account before `until`. Sends are not held back.
struct WaitUntil {
  TimePoint until;
  std::string detail;
};
/// Server error, network failure, timeout or an unreadable page: read again later (the next poll,
/// or the caller's backoff). Nothing of the page is used.
struct RetryLater {
  ErrorClass reason = ErrorClass::server_error;  ///< server_error, network or timeout
  std::string detail;
};
/// x_api 401: refresh the OAuth token once (as for a send) and read again; a second 401 after a
/// refresh, or a failed refresh, stops the account.
struct RefreshToken {
  std::string detail;
};
/// The account's credentials are invalid (session, token, API key, credit): the account stops,
/// exactly as when a send meets the same error.
struct StopAccount {
  std::string reason;
};
/// Reading is refused for this account, not sending: the inbox is turned off for the account with
/// `reason` as its last error; its sends go on.
struct InboxOff {
  std::string reason;
};
}  // namespace inbox_read

using InboxReadDecision = std::variant<inbox_read::Ok, inbox_read::WaitUntil, inbox_read::RetryLater,
                                       inbox_read::RefreshToken, inbox_read::StopAccount, inbox_read::InboxOff>;

/// Decides on an inbox read (InboxPage::result) or own-account lookup (OwnAccount::result).
/// `fallback_wait` is how long a rate-limited read waits when the provider gave neither a
/// Retry-After nor a reset time (a negative value counts as zero).
InboxReadDecision decide_inbox_read(ProviderResult const& result, TimePoint now, Duration fallback_wait);

}  // namespace outreach
