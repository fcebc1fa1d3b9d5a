// The one mapping from a classified answer to the recipient's outcome (core/recipient_outcome.hpp):
// what each answer does to the recipient, its attempts and the account's rolling cap
// (docs/send-rules.md#outcomes).
#include <doctest/doctest.h>

#include "core/recipient_outcome.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {
const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 10h};

struct Flags {
  RecipientState state;
  ErrorClass reason;
  bool send_attempted, uses_attempt, counts_toward_cap;
};

void check(Outcome const& o, Flags f) {
  CHECK(o.state == f.state);
  CHECK(o.reason == f.reason);
  CHECK(o.send_attempted == f.send_attempted);
  CHECK(o.uses_attempt == f.uses_attempt);
  CHECK(o.counts_toward_cap == f.counts_toward_cap);
}
}  // namespace

TEST_CASE("outcome of a send: every answer, its state, and whether it uses an attempt and counts toward the cap") {
  using RS = RecipientState;
  check(outcome_of_send(decision::Sent{"dm"}, 200, kNow), {RS::sent, ErrorClass::none, true, true, true});
  check(outcome_of_send(decision::RetryLater{ErrorClass::server_error, 5s, "x"}, 503, kNow),
        {RS::retrying, ErrorClass::server_error, true, true, true});
  check(outcome_of_send(decision::FailedPermanent{ErrorClass::bad_request, "x"}, 400, kNow),
        {RS::failed, ErrorClass::bad_request, true, true, true});
  check(outcome_of_send(decision::InDoubt{"x"}, 0, kNow), {RS::unknown, ErrorClass::in_doubt, true, true, true});
  // A 429 and an account-level refusal are the account's, not the recipient's: nothing is used.
  check(outcome_of_send(decision::RateLimitedWait{kNow + 1min, false, "x"}, 429, kNow),
        {RS::pending, ErrorClass::rate_limited, true, false, false});
  check(outcome_of_send(decision::AccountStop{"x"}, 401, kNow), {RS::pending, ErrorClass::account, true, false, false});

  CHECK(outcome_of_send(decision::RetryLater{ErrorClass::network, 5s, "x"}, 0, kNow).next_attempt_at == kNow + 5s);
  CHECK(outcome_of_send(decision::InDoubt{"x"}, 504, kNow).http_status == 504);
  CHECK(outcome_of_send(decision::Sent{"dm-9"}, 201, kNow).message_id == "dm-9");
}

TEST_CASE("outcome of a failed lookup: never a send, never a cap slot; transient failures use an attempt") {
  using RS = RecipientState;
  check(outcome_of_failed_lookup(decision::RetryLater{ErrorClass::timeout, 7s, "x"}, 0, kNow, 30s),
        {RS::retrying, ErrorClass::timeout, false, true, false});
  check(outcome_of_failed_lookup(decision::FailedPermanent{ErrorClass::bad_request, "x"}, 400, kNow, 30s),
        {RS::failed, ErrorClass::bad_request, false, true, false});
  check(outcome_of_failed_lookup(decision::FailedPermanent{ErrorClass::not_found, "x"}, 404, kNow, 30s),
        {RS::skipped, ErrorClass::not_found, false, false, false});
  check(outcome_of_failed_lookup(decision::FailedPermanent{ErrorClass::cannot_dm, "x"}, 200, kNow, 30s),
        {RS::skipped, ErrorClass::cannot_dm, false, false, false});
  check(outcome_of_failed_lookup(decision::RateLimitedWait{kNow + 1min, false, "x"}, 429, kNow, 30s),
        {RS::pending, ErrorClass::rate_limited, false, false, false});
  check(outcome_of_failed_lookup(decision::AccountStop{"x"}, 401, kNow, 30s),
        {RS::pending, ErrorClass::account, false, false, false});
  // Lookups are reads: an in-doubt answer is retried after the base delay as a network failure.
  auto doubt = outcome_of_failed_lookup(decision::InDoubt{"x"}, 0, kNow, 30s);
  check(doubt, {RS::retrying, ErrorClass::network, false, true, false});
  CHECK(doubt.next_attempt_at == kNow + 30s);
}

TEST_CASE("back to the queue uses nothing and reports nothing") {
  auto o = Outcome::back_to_queue("101");
  CHECK(o.state == RecipientState::pending);
  CHECK(o.reason == ErrorClass::none);
  CHECK_FALSE(o.send_attempted);
  CHECK_FALSE(o.uses_attempt);
  CHECK_FALSE(o.counts_toward_cap);
  CHECK(o.resolved_user_id == "101");
  CHECK(outcome_name(o) == "requeued");
  CHECK(outcome_name(Outcome::sent("m", 200)) == "sent");
}

TEST_CASE("a closed gate's skip reason") {
  CHECK(skip_reason(SendGate::suppressed) == ErrorClass::suppressed);
  CHECK(skip_reason(SendGate::duplicate) == ErrorClass::duplicate);
  CHECK(skip_reason(SendGate::recently_contacted) == ErrorClass::recently_contacted);
  CHECK(skip_reason(SendGate::go) == ErrorClass::none);
  CHECK(skip_reason(SendGate::hold) == ErrorClass::none);
}
