#include <doctest/doctest.h>

#include <string>

#include "core/outcome.hpp"
#include "core/recipient_outcome.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 9h};

RetryContext ctx(int attempt = 1, int max_attempts = 5, double u = 0.5) {
  return RetryContext{attempt, max_attempts, BackoffPolicy{30s, 1h}, u, kNow};
}

ProviderResult status(int http_status) {
  ProviderResult r;
  r.http_status = http_status;
  return r;
}

ProviderResult transport(Transport t) {
  ProviderResult r;
  r.transport = t;
  r.message = "connection reset";
  return r;
}

template <class T>
T expect(Decision const& d) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(d), "decision index " << d.index());
  return std::get<T>(d);
}

}  // namespace

TEST_CASE("error class names are recipient_status's reason values") {
  for (auto c : {ErrorClass::rate_limited, ErrorClass::server_error, ErrorClass::network, ErrorClass::timeout,
                 ErrorClass::cannot_dm, ErrorClass::not_found, ErrorClass::bad_request, ErrorClass::suppressed,
                 ErrorClass::dry_run, ErrorClass::account, ErrorClass::in_doubt, ErrorClass::cancelled,
                 ErrorClass::duplicate, ErrorClass::recently_contacted}) {
    CHECK(parse_error_class(to_string(c)) == c);
  }
  CHECK(to_string(ErrorClass::in_doubt) == "in_doubt");
  CHECK(to_string(ErrorClass::cannot_dm) == "cannot_dm");
  CHECK_FALSE(parse_error_class("bogus").has_value());
}

TEST_CASE("success → sent with the message id") {
  auto r = status(200);
  r.signal = ProviderSignal::success;
  r.message_id = "7000000000000000001";
  CHECK(expect<decision::Sent>(classify(RequestKind::send, r, ctx())).message_id == "7000000000000000001");
  CHECK(expect<decision::Sent>(classify(RequestKind::send, status(201), ctx())).message_id.empty());
}

TEST_CASE("429 → the account waits for the reset, the attempt is not used and does not count") {
  SUBCASE("Retry-After") {
    auto r = status(429);
    r.retry_after = 90s;
    auto d = classify(RequestKind::send, r, ctx());
    CHECK(expect<decision::RateLimitedWait>(d).until == kNow + 90s);
    CHECK_FALSE(outcome_of_send(d, 0, kNow).uses_attempt);
    CHECK_FALSE(outcome_of_send(d, 0, kNow).counts_toward_cap);
  }
  SUBCASE("the later of Retry-After and x-rate-limit-reset") {
    auto r = status(429);
    r.retry_after = 90s;
    r.reset_at = kNow + 15min;
    CHECK(expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx())).until == kNow + 15min);
    r.reset_at = kNow + 10s;
    CHECK(expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx())).until == kNow + 90s);
  }
  SUBCASE("no hint → retry.base_delay") {
    CHECK(expect<decision::RateLimitedWait>(classify(RequestKind::send, status(429), ctx())).until == kNow + 30s);
  }
  SUBCASE("a reset in the past → base_delay, never a wait into the past") {
    auto r = status(429);
    r.reset_at = kNow - 5min;
    CHECK(expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx())).until == kNow + 30s);
  }
  SUBCASE("the provider's daily limit is shown as capped") {
    auto r = status(429);
    r.signal = ProviderSignal::daily_limit;
    r.reset_at = kNow + 7h;
    auto w = expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
    CHECK(w.daily_limit);
    CHECK(w.until == kNow + 7h);
  }
}

TEST_CASE("5xx → retrying with full-jitter backoff, failed after max_attempts") {
  auto d = classify(RequestKind::send, status(503), ctx(1, 5, 0.5));
  auto retry = expect<decision::RetryLater>(d);
  CHECK(retry.reason == ErrorClass::server_error);
  CHECK(retry.delay == 15s);
  CHECK(outcome_of_send(d, 0, kNow).uses_attempt);
  CHECK(outcome_of_send(d, 0, kNow).counts_toward_cap);
  CHECK(expect<decision::RetryLater>(classify(RequestKind::send, status(500), ctx(3, 5, 0.5))).delay == 60s);
  CHECK(expect<decision::RetryLater>(classify(RequestKind::send, status(500), ctx(4, 5, 0.5))).delay == 120s);
  auto failed = expect<decision::FailedPermanent>(classify(RequestKind::send, status(500), ctx(5, 5, 0.5)));
  CHECK(failed.reason == ErrorClass::server_error);
  CHECK(failed.detail.find("after 5 attempts") != std::string::npos);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(502), ctx(1, 1))).reason ==
        ErrorClass::server_error);
}

TEST_CASE("network error before the request was written → retrying (network)") {
  auto d = classify(RequestKind::send, transport(Transport::failed_before_write), ctx(2, 5, 1.0));
  auto retry = expect<decision::RetryLater>(d);
  CHECK(retry.reason == ErrorClass::network);
  CHECK(retry.delay == 60s);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, transport(Transport::failed_before_write),
                                                   ctx(5, 5)))
            .reason == ErrorClass::network);
}

TEST_CASE("timeout or drop after the write → unknown/in_doubt for sends, retry for lookups") {
  auto timeout = classify(RequestKind::send, transport(Transport::timed_out_after_write), ctx());
  expect<decision::InDoubt>(timeout);
  CHECK(outcome_of_send(timeout, 0, kNow).counts_toward_cap);  // an unknown outcome may have been a DM: it counts
  expect<decision::InDoubt>(classify(RequestKind::send, transport(Transport::failed_after_write), ctx()));
  CHECK(expect<decision::RetryLater>(classify(RequestKind::lookup, transport(Transport::timed_out_after_write), ctx()))
            .reason == ErrorClass::timeout);
  CHECK(expect<decision::RetryLater>(classify(RequestKind::lookup, transport(Transport::failed_after_write), ctx()))
            .reason == ErrorClass::network);
}

TEST_CASE("other 4xx → failed at once") {
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(400), ctx())).reason ==
        ErrorClass::bad_request);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(422), ctx())).reason ==
        ErrorClass::bad_request);
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(404), ctx())).reason ==
        ErrorClass::not_found);
  // Even on the first attempt of five: no retry.
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(409), ctx(1, 5))).reason ==
        ErrorClass::bad_request);
}

TEST_CASE("X codes 349, 150, 214, 476 → cannot_dm, whatever the HTTP status") {
  for (int code : {349, 150, 214, 476}) {
    for (int http : {200, 400, 403, 502}) {
      auto r = status(http);
      r.x_code = code;
      r.message = "You cannot send messages to this user.";
      auto f = expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx()));
      CHECK(f.reason == ErrorClass::cannot_dm);
      CHECK(f.detail.find(std::to_string(code)) != std::string::npos);
    }
  }
}

TEST_CASE("X code 226 and session codes → the account stops, the recipient is untouched") {
  for (int code : {226, 32, 89, 64, 326}) {
    auto r = status(502);
    r.x_code = code;
    auto d = classify(RequestKind::send, r, ctx());
    CHECK_FALSE(expect<decision::AccountStop>(d).reason.empty());
    CHECK_FALSE(outcome_of_send(d, 0, kNow).uses_attempt);
    CHECK_FALSE(outcome_of_send(d, 0, kNow).counts_toward_cap);
  }
}

TEST_CASE("X code 151 → in doubt for a send (it may have been delivered)") {
  auto r = status(400);
  r.x_code = 151;
  r.message = "There was an error sending your message: Whoops! You already said that.";
  expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  expect<decision::RetryLater>(classify(RequestKind::lookup, r, ctx()));
}

TEST_CASE("X codes 354 and 88") {
  auto r = status(403);
  r.x_code = 354;
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::bad_request);
  r.x_code = 88;
  expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx()));
  r.x_code = 12345;  // unknown codes fall through to the status
  CHECK(std::holds_alternative<decision::AccountStop>(classify(RequestKind::send, r, ctx())));
}

TEST_CASE("account-level signals and statuses stop the account") {
  auto r = status(429);
  r.signal = ProviderSignal::account_error;
  r.provider_code = "QUOTA_EXHAUSTED";
  CHECK(expect<decision::AccountStop>(classify(RequestKind::send, r, ctx())).reason.find("QUOTA_EXHAUSTED") !=
        std::string::npos);
  auto expired = status(401);
  expired.signal = ProviderSignal::auth_expired;
  CHECK(expect<decision::AccountStop>(classify(RequestKind::send, expired, ctx())).refreshable);
  for (int http : {401, 402, 403}) {
    auto a = expect<decision::AccountStop>(classify(RequestKind::send, status(http), ctx()));
    CHECK_FALSE(a.refreshable);
  }
}

TEST_CASE("recipient refusals and not-found found by a lookup") {
  auto r = status(200);
  r.signal = ProviderSignal::recipient_refused;
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::lookup, r, ctx())).reason == ErrorClass::cannot_dm);
  r.signal = ProviderSignal::not_found;
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::lookup, r, ctx())).reason == ErrorClass::not_found);
}

TEST_CASE("errors reported inside HTTP 200 follow the signal, not the status") {
  auto r = status(200);
  r.signal = ProviderSignal::transient;
  r.message = "send failed, please retry";
  CHECK(expect<decision::RetryLater>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::server_error);
  r.signal = ProviderSignal::invalid_request;
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, r, ctx())).reason == ErrorClass::bad_request);
  r.signal = ProviderSignal::possibly_delivered;
  expect<decision::InDoubt>(classify(RequestKind::send, r, ctx()));
  r.signal = ProviderSignal::rate_limited;
  r.retry_after = 60s;
  CHECK(expect<decision::RateLimitedWait>(classify(RequestKind::send, r, ctx())).until == kNow + 60s);
}

TEST_CASE("malformed bodies") {
  auto ok_but_unreadable = status(200);
  ok_but_unreadable.signal = ProviderSignal::malformed;
  // A send answered 2xx that we cannot read may still have delivered the DM.
  expect<decision::InDoubt>(classify(RequestKind::send, ok_but_unreadable, ctx()));
  // A lookup can simply be repeated.
  expect<decision::RetryLater>(classify(RequestKind::lookup, ok_but_unreadable, ctx()));
  // An unreadable error body: the status decides.
  auto bad_gateway = status(502);
  bad_gateway.signal = ProviderSignal::malformed;
  expect<decision::RetryLater>(classify(RequestKind::send, bad_gateway, ctx()));
  auto bad_request = status(400);
  bad_request.signal = ProviderSignal::malformed;
  expect<decision::FailedPermanent>(classify(RequestKind::send, bad_request, ctx()));
}

TEST_CASE("unexpected statuses never count as a send") {
  CHECK(expect<decision::FailedPermanent>(classify(RequestKind::send, status(302), ctx())).detail.find("302") !=
        std::string::npos);
}
