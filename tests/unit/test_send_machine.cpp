// The send machine (core/send_machine.hpp): every rule after the claim, driven with plain events.
// Each test walks an account through the actions a driver would perform and checks both what the
// machine asks for next and what it records.
#include <doctest/doctest.h>

#include <vector>

#include "core/send_machine.hpp"

using namespace outreach;
using namespace std::chrono_literals;
namespace act = send_action;
namespace ev = send_event;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 10h};
const SendRules kRules{PacingWindow{2s, 4s}, 100, 30s};

template <class A>
A const& expect(SendAction const& action) {
  REQUIRE_MESSAGE(std::holds_alternative<A>(action), "unexpected action index " << action.index());
  return std::get<A>(action);
}

ClaimedRecipient alice(int attempts = 0) {
  ClaimedRecipient c;
  c.recipient_id = 1;
  c.campaign_id = 1;
  c.campaign = "spring";
  c.account = "gx-1";
  c.username = "alice";
  c.text = "Hi";
  c.attempts = attempts;
  c.claimed_at = kNow;
  return c;
}

/// A machine that has claimed `claim` and found its id and canDm=true in the caches.
struct AtGate {
  SendMachine m{kRules};
  AtGate(ClaimedRecipient claim = alice()) {
    expect<act::Look>(m.start(std::nullopt));
    expect<act::Claim>(m.next(ev::Looked{{}, kNow}));
    expect<act::ReadUserCache>(m.next(ev::Claimed{claim}));
    expect<act::ReadCanDmCache>(m.next(ev::UserCacheRead{CachedUserAnswer{true, "101"}}));
    auto gate = expect<act::CheckGate>(m.next(ev::CanDmCacheRead{true}));
    CHECK(gate.user_id == "101");
  }
  /// Through the gate to the send.
  act::Send go() { return expect<act::Send>(m.next(ev::GateChecked{SendGate::go, kNow})); }
};

/// A machine that has claimed alice and, with nothing in the caches, asked to look her up.
SendMachine at_lookup() {
  SendMachine m(kRules);
  (void)m.start(std::nullopt);
  (void)m.next(ev::Looked{{}, kNow});
  (void)m.next(ev::Claimed{alice()});
  expect<act::LookUp>(m.next(ev::UserCacheRead{}));
  return m;
}

ev::Sent answer(Decision d, int http = 200, TimePoint end = kNow + 1s, double draw = 0.5) {
  return ev::Sent{SendAnswer{std::move(d), http, 300ms}, end, draw};
}

ev::Recorded landed(TimePoint at = kNow + 1s, double draw = 0.5) { return ev::Recorded{RecordResult::landed, at, draw}; }

}  // namespace

TEST_CASE("send machine: nothing is asked of the provider before the claim") {
  SendMachine m(kRules);
  expect<act::Look>(m.start(std::nullopt));
  CHECK(m.phase() == SendPhase::looking);
  expect<act::Claim>(m.next(ev::Looked{{}, kNow}));
  CHECK(m.phase() == SendPhase::claiming);
  CHECK_FALSE(m.busy());
  // Only the claim's answer starts a recipient, and it starts with the caches.
  auto read = expect<act::ReadUserCache>(m.next(ev::Claimed{alice()}));
  CHECK(read.username == "alice");
  CHECK(m.busy());
  REQUIRE(m.current() != nullptr);
  CHECK(m.current()->recipient_id == 1);
}

TEST_CASE("send machine: nothing due → ask when, then sleep idle until then") {
  SendMachine m(kRules);
  (void)m.start(std::nullopt);
  (void)m.next(ev::Looked{{}, kNow});
  expect<act::ReadNextDue>(m.next(ev::Claimed{std::nullopt}));
  auto sleep = expect<act::Sleep>(m.next(ev::NextDue{kNow + 1h}));
  CHECK(sleep.idle);
  CHECK(sleep.until == kNow + 1h);
  CHECK(sleep.shown == AccountState::ready);
  CHECK(m.phase() == SendPhase::idle);
  expect<act::Look>(m.next(ev::Woke{}));
}

TEST_CASE("send machine: a fresh cache answer saves the lookup; a cached refusal or missing user skips") {
  SUBCASE("cached id and canDm=true: straight to the gate") { AtGate at; }
  SUBCASE("cached canDm=false: skipped/cannot_dm with the resolved id, no request") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    (void)m.next(ev::Looked{{}, kNow});
    (void)m.next(ev::Claimed{alice()});
    (void)m.next(ev::UserCacheRead{CachedUserAnswer{true, "101"}});
    auto rec = expect<act::Record>(m.next(ev::CanDmCacheRead{false}));
    CHECK(rec.outcome.state == RecipientState::skipped);
    CHECK(rec.outcome.reason == ErrorClass::cannot_dm);
    CHECK(rec.outcome.resolved_user_id == "101");
    CHECK_FALSE(rec.outcome.counts_toward_cap);
    CHECK_FALSE(rec.outcome.uses_attempt);
  }
  SUBCASE("a user cached as missing: skipped/not_found") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    (void)m.next(ev::Looked{{}, kNow});
    (void)m.next(ev::Claimed{alice()});
    auto rec = expect<act::Record>(m.next(ev::UserCacheRead{CachedUserAnswer{false, ""}}));
    CHECK(rec.outcome.reason == ErrorClass::not_found);
    CHECK(rec.outcome.error == "user not found (cached)");
  }
  SUBCASE("an id given in the campaign skips the user cache") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    (void)m.next(ev::Looked{{}, kNow});
    ClaimedRecipient c = alice();
    c.user_id = "555";
    CHECK(expect<act::ReadCanDmCache>(m.next(ev::Claimed{c})).user_id == "555");
  }
}

TEST_CASE("send machine: a lookup's answer is cached, then the gate decides") {
  SendMachine m(kRules);
  (void)m.start(std::nullopt);
  (void)m.next(ev::Looked{{}, kNow});
  (void)m.next(ev::Claimed{alice(2)});
  auto look = expect<act::LookUp>(m.next(ev::UserCacheRead{}));
  CHECK(look.username == "alice");
  CHECK(look.user_id.empty());
  CHECK(look.attempt == 3);  // the recipient's next attempt
  auto cache = expect<act::CacheLookup>(
      m.next(ev::LookedUp{LookupAnswer{decision::Sent{}, std::string("101"), true, 200}, kNow}));
  CHECK(cache.user_known);
  CHECK(cache.user_id == "101");
  CHECK(cache.can_dm == true);
  CHECK(cache.can_dm_user_id == "101");
  CHECK(expect<act::CheckGate>(m.next(ev::Done{})).user_id == "101");
}

TEST_CASE("send machine: a lookup that fails records without a send and without a cap slot") {
  SendMachine m = at_lookup();
  SUBCASE("transient: retrying, uses an attempt") {
    auto rec = expect<act::Record>(m.next(ev::LookedUp{
        LookupAnswer{decision::RetryLater{ErrorClass::server_error, 40s, "HTTP 503"}, std::nullopt, std::nullopt, 503},
        kNow}));
    CHECK(rec.outcome.state == RecipientState::retrying);
    CHECK(rec.outcome.next_attempt_at == kNow + 40s);
    CHECK(rec.outcome.uses_attempt);
    CHECK_FALSE(rec.outcome.send_attempted);
    CHECK_FALSE(rec.outcome.counts_toward_cap);
    CHECK(rec.wakes_others);
  }
  SUBCASE("not found: cached as missing, then skipped") {
    auto cache = expect<act::CacheLookup>(m.next(ev::LookedUp{
        LookupAnswer{decision::FailedPermanent{ErrorClass::not_found, "no such user"}, std::nullopt, std::nullopt, 404},
        kNow}));
    CHECK(cache.user_known);
    CHECK_FALSE(cache.user_id.has_value());
    auto rec = expect<act::Record>(m.next(ev::Done{}));
    CHECK(rec.outcome.state == RecipientState::skipped);
    CHECK(rec.outcome.reason == ErrorClass::not_found);
    CHECK(rec.outcome.http_status == 404);
  }
  SUBCASE("429: the account waits for the reset, the recipient is queued again unharmed") {
    auto rec = expect<act::Record>(m.next(ev::LookedUp{
        LookupAnswer{decision::RateLimitedWait{kNow + 15min, false, "rate limited"}, std::nullopt, std::nullopt, 429},
        kNow}));
    CHECK(rec.outcome.state == RecipientState::pending);
    CHECK(rec.outcome.reason == ErrorClass::rate_limited);
    CHECK_FALSE(rec.outcome.uses_attempt);
    expect<act::Look>(m.next(landed(kNow)));
    auto sleep = expect<act::Sleep>(m.next(ev::Looked{{}, kNow}));
    CHECK(sleep.until == kNow + 15min);
    CHECK(sleep.shown == AccountState::backoff);
  }
}

TEST_CASE("send machine: the send's answer becomes the recorded outcome, with its cap and attempt flags") {
  AtGate at;
  auto send = at.go();
  CHECK(send.message.recipient_id == "101");
  CHECK(send.message.recipient_username == "alice");
  CHECK(send.message.text == "Hi");
  CHECK(send.attempt == 1);
  SUBCASE("sent") {
    auto rec = expect<act::Record>(at.m.next(answer(decision::Sent{"dm-1"}, 200)));
    CHECK(rec.outcome.state == RecipientState::sent);
    CHECK(rec.outcome.message_id == "dm-1");
    CHECK(rec.outcome.resolved_user_id == "101");
    CHECK(rec.outcome.counts_toward_cap);
    CHECK(rec.outcome.uses_attempt);
    CHECK(rec.log_line);
    CHECK(rec.latency == 300ms);
    CHECK(rec.at == kNow + 1s);
    CHECK_FALSE(rec.wakes_others);
  }
  SUBCASE("lost after the write: unknown/in_doubt, counted, never resent") {
    auto rec = expect<act::Record>(at.m.next(answer(decision::InDoubt{"no answer"}, 0)));
    CHECK(rec.outcome.state == RecipientState::unknown);
    CHECK(rec.outcome.reason == ErrorClass::in_doubt);
    CHECK(rec.outcome.counts_toward_cap);
    CHECK_FALSE(rec.wakes_others);
  }
  SUBCASE("5xx: retrying at the end of the attempt plus the backoff") {
    auto rec = expect<act::Record>(
        at.m.next(answer(decision::RetryLater{ErrorClass::server_error, 20s, "HTTP 500"}, 500, kNow + 2s)));
    CHECK(rec.outcome.state == RecipientState::retrying);
    CHECK(rec.outcome.next_attempt_at == kNow + 22s);
    CHECK(rec.outcome.counts_toward_cap);
    CHECK(rec.wakes_others);
  }
}

TEST_CASE("send machine: pacing runs from the end of every send attempt") {
  AtGate at;
  (void)at.go();
  (void)at.m.next(answer(decision::Sent{"dm-1"}, 200, kNow + 1s, 0.5));
  expect<act::Look>(at.m.next(landed(kNow + 1200ms)));
  // Gap 2 s + 0.5 · (4 s − 2 s) = 3 s from the end of the attempt, not from the record.
  auto sleep = expect<act::Sleep>(at.m.next(ev::Looked{{}, kNow + 1200ms}));
  CHECK(sleep.until == kNow + 4s);
  CHECK(sleep.shown == AccountState::pacing);
  expect<act::Look>(at.m.next(ev::Woke{}));
  expect<act::Claim>(at.m.next(ev::Looked{{}, kNow + 4s}));
}

TEST_CASE("send machine: after a restart pacing resumes from the last attempt") {
  SendMachine m(kRules);
  expect<act::Look>(m.start(kNow - 1s));
  auto sleep = expect<act::Sleep>(m.next(ev::Looked{{}, kNow}));
  CHECK(sleep.until == kNow + 1s);  // the last attempt + min_delay
}

TEST_CASE("send machine: the daily cap blocks the claim until the oldest attempt leaves the window") {
  SendMachine m(SendRules{PacingWindow{2s, 4s}, 2, 30s});
  (void)m.start(std::nullopt);
  std::vector<TimePoint> ledger{kNow - 20h, kNow - 1h};
  auto sleep = expect<act::Sleep>(m.next(ev::Looked{ledger, kNow}));
  CHECK(sleep.shown == AccountState::capped);
  CHECK(sleep.until == kNow + 4h);
}

TEST_CASE("send machine: the gate holds or skips what changed while the lookup was out") {
  SUBCASE("paused or unreadable: back to the queue, nothing used") {
    for (std::optional<SendGate> gate : {std::optional(SendGate::hold), std::optional<SendGate>()}) {
      AtGate at;
      auto rec = expect<act::Record>(at.m.next(ev::GateChecked{gate, kNow}));
      CHECK(rec.outcome.state == RecipientState::pending);
      CHECK(rec.outcome.reason == ErrorClass::none);
      CHECK_FALSE(rec.outcome.send_attempted);
      CHECK_FALSE(rec.outcome.uses_attempt);
      CHECK(rec.outcome.resolved_user_id == "101");
    }
  }
  SUBCASE("suppressed, duplicate, recently contacted: skipped with that reason, logged") {
    for (auto gate : {SendGate::suppressed, SendGate::duplicate, SendGate::recently_contacted}) {
      AtGate at;
      auto rec = expect<act::Record>(at.m.next(ev::GateChecked{gate, kNow}));
      CHECK(rec.outcome.state == RecipientState::skipped);
      CHECK(rec.outcome.reason == skip_reason(gate));
      CHECK(rec.log_line);
    }
  }
  SUBCASE("dry run: everything but the send, then paced from the record") {
    ClaimedRecipient c = alice();
    c.dry_run = true;
    AtGate at(c);
    auto rec = expect<act::Record>(at.m.next(ev::GateChecked{SendGate::go, kNow}));
    CHECK(rec.outcome.reason == ErrorClass::dry_run);
    CHECK_FALSE(rec.outcome.send_attempted);
    expect<act::Look>(at.m.next(landed(kNow + 1s, 0.0)));
    CHECK(expect<act::Sleep>(at.m.next(ev::Looked{{}, kNow + 1s})).until == kNow + 3s);
  }
}

TEST_CASE("send machine: an account-level error stops the account after the record, unless a reload came") {
  SUBCASE("stopped until a reload") {
    AtGate at;
    (void)at.go();
    auto rec = expect<act::Record>(at.m.next(answer(decision::AccountStop{"HTTP 401: session expired"}, 401)));
    CHECK(rec.outcome.state == RecipientState::pending);
    CHECK(rec.outcome.reason == ErrorClass::account);
    CHECK_FALSE(rec.outcome.uses_attempt);
    CHECK_FALSE(rec.outcome.counts_toward_cap);
    CHECK(rec.wakes_others);  // another account of the campaign sends it
    auto stop = expect<act::StopAccount>(at.m.next(landed()));
    CHECK(stop.reason == "HTTP 401: session expired");
    CHECK_FALSE(stop.superseded);
    CHECK(at.m.account_stopped());
    expect<act::Look>(at.m.next(ev::Done{}));
    auto sleep = expect<act::Sleep>(at.m.next(ev::Looked{{}, kNow + 2s}));
    CHECK_FALSE(sleep.until.has_value());
    CHECK(sleep.shown == AccountState::stopped);
    at.m.reload(kRules);
    CHECK_FALSE(at.m.account_stopped());
    expect<act::Look>(at.m.next(ev::Woke{}));
  }
  SUBCASE("a refusal of the credentials from before a reload only says so") {
    AtGate at;
    (void)at.go();
    at.m.reload(kRules);
    (void)at.m.next(answer(decision::AccountStop{"HTTP 401"}, 401));
    auto stop = expect<act::StopAccount>(at.m.next(landed()));
    CHECK(stop.superseded);
    CHECK_FALSE(at.m.account_stopped());
  }
}

TEST_CASE("send machine: x_api's expired token is refreshed once, then the request is repeated") {
  AtGate at;
  (void)at.go();
  decision::AccountStop expired{"access token expired", true};
  expect<act::RefreshToken>(at.m.next(answer(expired, 401)));
  CHECK(at.m.phase() == SendPhase::refreshing);
  SUBCASE("refreshed: the send goes again, and a second 401 stops the account") {
    auto again = expect<act::Send>(at.m.next(ev::TokenRefreshed{true, kNow + 2s}));
    CHECK(again.message.recipient_id == "101");
    expect<act::Record>(at.m.next(answer(expired, 401)));
    CHECK(expect<act::StopAccount>(at.m.next(landed())).reason == "access token expired");
  }
  SUBCASE("the refresh failed: the refusal stands") {
    auto rec = expect<act::Record>(at.m.next(ev::TokenRefreshed{false, kNow + 2s}));
    CHECK(rec.outcome.reason == ErrorClass::account);
    expect<act::StopAccount>(at.m.next(landed()));
  }
}

TEST_CASE("send machine: after a stop request no new exchange begins; what is out is recorded") {
  SUBCASE("no claim") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    m.request_stop();
    expect<act::Finish>(m.next(ev::Looked{{}, kNow}));
    CHECK(m.phase() == SendPhase::finished);
  }
  SUBCASE("a lookup answered after the stop: the recipient goes back, no send") {
    SendMachine m = at_lookup();
    m.request_stop();
    (void)expect<act::CacheLookup>(
        m.next(ev::LookedUp{LookupAnswer{decision::Sent{}, std::string("101"), true, 200}, kNow}));
    auto rec = expect<act::Record>(m.next(ev::Done{}));
    CHECK(rec.outcome.state == RecipientState::pending);
    CHECK_FALSE(rec.outcome.send_attempted);
    CHECK(rec.outcome.resolved_user_id == "101");
    expect<act::Finish>(m.next(landed()));
  }
  SUBCASE("no lookup begins after the stop") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    (void)m.next(ev::Looked{{}, kNow});
    (void)m.next(ev::Claimed{alice()});
    m.request_stop();
    CHECK(expect<act::Record>(m.next(ev::UserCacheRead{})).outcome.state == RecipientState::pending);
  }
  SUBCASE("an expired token met during shutdown: no refresh, no stop, no attempt") {
    SendMachine m = at_lookup();
    m.request_stop();
    auto rec = expect<act::Record>(m.next(ev::LookedUp{
        LookupAnswer{decision::AccountStop{"expired", true}, std::nullopt, std::nullopt, 401}, kNow}));
    CHECK(rec.outcome.state == RecipientState::pending);
    CHECK_FALSE(rec.outcome.uses_attempt);
    expect<act::Finish>(m.next(landed()));
    CHECK_FALSE(m.account_stopped());
  }
  SUBCASE("a reload that configures the account again cancels the stop") {
    SendMachine m(kRules);
    (void)m.start(std::nullopt);
    m.request_stop();
    m.reload(kRules);
    expect<act::Claim>(m.next(ev::Looked{{}, kNow}));
  }
}

TEST_CASE("send machine: a record that fails for the disk is retried, 1 s doubling to 30 s, until it lands") {
  CHECK(record_retry_delay(1) == 1s);
  CHECK(record_retry_delay(2) == 2s);
  CHECK(record_retry_delay(5) == 16s);
  CHECK(record_retry_delay(6) == 30s);
  CHECK(record_retry_delay(100) == 30s);

  AtGate at;
  (void)at.go();
  auto first = expect<act::Record>(at.m.next(answer(decision::Sent{"dm-1"}, 200)));
  auto wait = expect<act::Sleep>(at.m.next(ev::Recorded{RecordResult::environmental, kNow + 1s, 0.5}));
  CHECK(wait.until == kNow + 2s);
  CHECK_FALSE(wait.shown.has_value());
  CHECK(at.m.phase() == SendPhase::record_backoff);
  CHECK(at.m.busy());  // the account claims nothing else meanwhile
  auto again = expect<act::Record>(at.m.next(ev::Woke{}));
  CHECK(again.outcome.message_id == first.outcome.message_id);
  CHECK(again.at == first.at);
  CHECK(expect<act::Sleep>(at.m.next(ev::Recorded{RecordResult::environmental, kNow + 2s, 0.5})).until == kNow + 4s);
  (void)at.m.next(ev::Woke{});
  SUBCASE("it lands") { expect<act::Look>(at.m.next(landed(kNow + 5s))); }
  SUBCASE("a stop gives up: the row stays sending, the next start makes it unknown") {
    at.m.request_stop();
    expect<act::Finish>(at.m.next(ev::Recorded{RecordResult::environmental, kNow + 5s, 0.5}));
  }
  SUBCASE("a record that can never land is given up at once") {
    expect<act::Look>(at.m.next(ev::Recorded{RecordResult::impossible, kNow + 5s, 0.5}));
  }
}

TEST_CASE("send machine: a clock step moves the waits kept as wall-clock times") {
  AtGate at;
  (void)at.go();
  (void)at.m.next(answer(decision::RateLimitedWait{kNow + 10min, true, "daily limit"}, 429));
  (void)at.m.next(landed());
  at.m.shift_times(-1h);
  auto sleep = expect<act::Sleep>(at.m.next(ev::Looked{{}, kNow - 1h}));
  CHECK(sleep.until == kNow - 50min);
  CHECK(sleep.shown == AccountState::capped);  // the provider's daily limit shows as capped
}

TEST_CASE("send machine: a step reported while a recipient is in hand moves the times taken before it") {
  // The answer came at kNow + 1 s; the clock then stepped back 2 h, reported while recording.
  SUBCASE("the pacing gap runs from the end of the attempt, in the new frame") {
    AtGate at;
    (void)at.go();
    (void)at.m.next(answer(decision::Sent{"dm-1"}, 200, kNow + 1s, 0.5));
    at.m.shift_times(-2h);
    expect<act::Look>(at.m.next(landed(kNow + 1s - 2h)));
    auto sleep = expect<act::Sleep>(at.m.next(ev::Looked{{}, kNow + 1s - 2h}));
    CHECK(sleep.until == kNow + 4s - 2h);  // not 2 h and 3 s away
  }
  SUBCASE("a record retried after the step carries the retry time and the record time in the new frame") {
    AtGate at;
    (void)at.go();
    auto first = expect<act::Record>(
        at.m.next(answer(decision::RetryLater{ErrorClass::server_error, 20s, "HTTP 500"}, 500, kNow + 1s)));
    CHECK(first.outcome.next_attempt_at == kNow + 21s);
    (void)at.m.next(ev::Recorded{RecordResult::environmental, kNow + 1s, 0.5});
    at.m.shift_times(-2h);
    auto again = expect<act::Record>(at.m.next(ev::Woke{}));
    CHECK(again.outcome.next_attempt_at == kNow + 21s - 2h);
    CHECK(again.at == kNow + 1s - 2h);
  }
}

TEST_CASE("send machine: an unreadable ledger or a failed claim is tried again in 5 s") {
  SendMachine m(kRules);
  (void)m.start(std::nullopt);
  auto sleep = expect<act::Sleep>(m.next(ev::Looked{{}, kNow, true}));
  CHECK(sleep.until == kNow + 5s);
  CHECK_FALSE(sleep.shown.has_value());
  (void)m.next(ev::Woke{});
  (void)m.next(ev::Looked{{}, kNow});
  CHECK(expect<act::Sleep>(m.next(ev::StorageFailed{kNow})).until == kNow + 5s);
}

TEST_CASE("send machine: a driver whose loop died abandons the machine: finished, nothing in hand") {
  AtGate at;
  (void)at.go();
  at.m.abandon();
  CHECK(at.m.phase() == SendPhase::finished);
  CHECK_FALSE(at.m.busy());
  CHECK(at.m.current() == nullptr);
}
