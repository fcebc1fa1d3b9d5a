// decide_inbox_read() (core/inbox_read.hpp): every branch, at exact times.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <variant>

#include "core/inbox_read.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};
constexpr Duration kFallback = 60s;

ProviderResult result(int status, ProviderSignal signal, std::string message = {}) {
  ProviderResult r;
  r.http_status = status;
  r.signal = signal;
  r.message = std::move(message);
  return r;
}

InboxReadDecision decide(ProviderResult const& r) { return decide_inbox_read(r, kNow, kFallback); }

template <class T>
T expect(InboxReadDecision const& d) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(d), "decision index " << d.index());
  return std::get<T>(d);
}

}  // namespace

TEST_CASE("inbox read: a page read whole is used") {
  CHECK(std::holds_alternative<inbox_read::Ok>(decide(result(200, ProviderSignal::success))));
  // Success is only believed on a 2xx.
  CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(result(500, ProviderSignal::success))));
  // A 2xx the codec did not read as a page is never used.
  CHECK(expect<inbox_read::RetryLater>(decide(result(200, ProviderSignal::none))).detail == "HTTP 200: unreadable inbox page");
}

TEST_CASE("inbox read: a rate limit delays reads until the later hint, else the fallback") {
  ProviderResult r = result(429, ProviderSignal::rate_limited, "Too Many Requests");
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).until == kNow + kFallback);
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).detail == "HTTP 429: Too Many Requests");
  r.retry_after = 120s;
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).until == kNow + 120s);
  r.reset_at = kNow + 10min;
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).until == kNow + 10min);
  r.retry_after = 20min;
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).until == kNow + 20min);
  // Hints in the past, or a negative wait, fall back.
  r.retry_after.reset();
  r.reset_at = kNow - 1s;
  CHECK(expect<inbox_read::WaitUntil>(decide(r)).until == kNow + kFallback);
  CHECK(expect<inbox_read::WaitUntil>(decide_inbox_read(r, kNow, -5s)).until == kNow);
  // The provider's daily cap and X code 88 wait the same way; so does a bare 429.
  ProviderResult daily = result(429, ProviderSignal::daily_limit);
  daily.reset_at = kNow + 3h;
  CHECK(expect<inbox_read::WaitUntil>(decide(daily)).until == kNow + 3h);
  ProviderResult code88 = result(400, ProviderSignal::rate_limited);
  code88.x_code = 88;
  CHECK(expect<inbox_read::WaitUntil>(decide(code88)).until == kNow + kFallback);
  CHECK(expect<inbox_read::WaitUntil>(decide(result(429, ProviderSignal::none))).detail == "HTTP 429: inbox reads rate limited");
  CHECK(std::holds_alternative<inbox_read::WaitUntil>(decide(result(429, ProviderSignal::malformed))));
}

TEST_CASE("inbox read: server errors, network failures, timeouts and unreadable pages are read again later") {
  CHECK(expect<inbox_read::RetryLater>(decide(result(503, ProviderSignal::none))).reason == ErrorClass::server_error);
  CHECK(expect<inbox_read::RetryLater>(decide(result(502, ProviderSignal::malformed))).detail ==
        "HTTP 502: server error on the inbox read");
  CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(result(200, ProviderSignal::transient, "try again"))));
  CHECK(expect<inbox_read::RetryLater>(decide(result(200, ProviderSignal::malformed, "bad page"))).detail == "HTTP 200: bad page");
  for (ProviderSignal odd : {ProviderSignal::possibly_delivered, ProviderSignal::recipient_refused, ProviderSignal::not_found}) {
    CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(result(200, odd))));
  }
  ProviderResult before;
  before.transport = Transport::failed_before_write;
  CHECK(expect<inbox_read::RetryLater>(decide(before)).reason == ErrorClass::network);
  ProviderResult after;
  after.transport = Transport::failed_after_write;
  CHECK(expect<inbox_read::RetryLater>(decide(after)).reason == ErrorClass::network);
  ProviderResult timeout;
  timeout.transport = Transport::timed_out_after_write;
  timeout.message = "no answer within 30s";
  auto retry = expect<inbox_read::RetryLater>(decide(timeout));
  CHECK(retry.reason == ErrorClass::timeout);
  CHECK(retry.detail == "no answer within 30s");
  // Other statuses without a signal: read again later.
  CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(result(409, ProviderSignal::none))));
  CHECK(std::holds_alternative<inbox_read::RetryLater>(decide(result(302, ProviderSignal::none))));
}

TEST_CASE("inbox read: an expired x_api token is refreshed") {
  auto refresh = expect<inbox_read::RefreshToken>(decide(result(401, ProviderSignal::auth_expired, "Unauthorized")));
  CHECK(refresh.detail == "HTTP 401: Unauthorized");
}

TEST_CASE("inbox read: an account-level error stops the account") {
  CHECK(expect<inbox_read::StopAccount>(decide(result(401, ProviderSignal::account_error, "Invalid auth_token"))).reason ==
        "HTTP 401: Invalid auth_token");
  ProviderResult locked = result(403, ProviderSignal::account_error);
  locked.x_code = 326;
  CHECK(expect<inbox_read::StopAccount>(decide(locked)).reason == "HTTP 403, X code 326");
  // An account-level X code wins over whatever the signal says.
  ProviderResult coded = result(200, ProviderSignal::transient, "automated (226)");
  coded.x_code = 226;
  CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(coded)));
  // A refusal code means nothing on a read.
  ProviderResult refusal = result(403, ProviderSignal::read_refused);
  refusal.x_code = 349;
  CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(refusal)));
  // Without a signal, 401 and 402 stop the account.
  CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(result(401, ProviderSignal::none))));
  CHECK(std::holds_alternative<inbox_read::StopAccount>(decide(result(402, ProviderSignal::malformed))));
}

TEST_CASE("inbox read: a refusal to read turns the inbox off, sends go on") {
  ProviderResult r = result(403, ProviderSignal::read_refused, "Forbidden");
  CHECK(expect<inbox_read::InboxOff>(decide(r)).reason == "HTTP 403: Forbidden");
  r.provider_code = "client-forbidden";
  CHECK(expect<inbox_read::InboxOff>(decide(r)).reason == "HTTP 403, client-forbidden: Forbidden");
  CHECK(expect<inbox_read::InboxOff>(decide(result(400, ProviderSignal::invalid_request))).reason ==
        "HTTP 400: the provider rejected the inbox request");
  // Without a signal, 403, 404, 400 and 422 are refusals too.
  for (int status : {400, 403, 404, 422}) {
    CAPTURE(status);
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(result(status, ProviderSignal::none))));
    CHECK(std::holds_alternative<inbox_read::InboxOff>(decide(result(status, ProviderSignal::malformed))));
  }
}

TEST_CASE("classify: read_refused reaching a send or lookup stops the account") {
  ProviderResult r = result(403, ProviderSignal::read_refused, "Forbidden");
  const RetryContext ctx{1, 5, BackoffPolicy{30s, 1h}, 0.5, kNow};
  for (RequestKind kind : {RequestKind::send, RequestKind::lookup}) {
    const Decision d = classify(kind, r, ctx);
    REQUIRE(std::holds_alternative<decision::AccountStop>(d));
    CHECK(std::get<decision::AccountStop>(d).reason == "HTTP 403: Forbidden");
    CHECK_FALSE(std::get<decision::AccountStop>(d).refreshable);
  }
}
