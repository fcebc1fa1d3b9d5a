// When an account's inbox is read and how far one read goes (core/inbox_walk.hpp), and which send
// outcomes wait for an inbox check (core/recipient_outcome.hpp needs_inbox_check, set by the send
// machine only for accounts that read their inbox).
#include <doctest/doctest.h>

#include "core/inbox_walk.hpp"
#include "core/recipient_outcome.hpp"
#include "core/send_machine.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 12 / 5} + 12h};
const InboxPollPolicy kPolicy{10min, std::chrono::days{7}};

}  // namespace

TEST_CASE("inbox walk: nothing calls for a read without a campaign, a recent send, a check or a waiting campaign") {
  InboxReadTriggers t;
  CHECK_FALSE(next_inbox_read(t, kPolicy, kNow).has_value());
  t.last_send_at = kNow - std::chrono::days{8};  // older than lookback, and a read since then
  t.last_read_at = kNow - 1min;
  CHECK_FALSE(next_inbox_read(t, kPolicy, kNow).has_value());
}

TEST_CASE("inbox walk: the poll runs every poll_interval while a campaign is unfinished, at once at start-up") {
  InboxReadTriggers t;
  t.has_unfinished_campaign = true;
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow);  // no read yet in this process
  t.last_read_at = kNow - 4min;
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow + 6min);
  t.last_read_at = kNow - 1h;  // overdue: now, never in the past
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow);
  // poll_interval 0 turns the poll off, not the other reads.
  InboxPollPolicy off{0s, std::chrono::days{7}};
  CHECK_FALSE(next_inbox_read(t, off, kNow).has_value());
  t.read_needed_at = kNow + 5s;
  CHECK(next_inbox_read(t, off, kNow) == kNow + 5s);
}

TEST_CASE("inbox walk: after the last send, polls go on for lookback, then stop") {
  InboxReadTriggers t;
  t.last_send_at = kNow - std::chrono::days{6};
  t.last_read_at = kNow - 10min;
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow);
  t.last_read_at = kNow - std::chrono::days{6} + std::chrono::days{7};  // a read at the end of lookback
  CHECK_FALSE(next_inbox_read(t, kPolicy, kNow + std::chrono::days{2}).has_value());
}

TEST_CASE("inbox walk: a check, a waiting campaign and the rate limit each move the next read") {
  InboxReadTriggers t;
  t.has_unfinished_campaign = true;
  t.last_read_at = kNow;
  t.check_decidable_at = kNow + 30s;
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow + 30s);
  t.read_needed_at = kNow + 10s;
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow + 10s);
  t.not_before = kNow + 1h;  // a 429 on reads: nothing before its reset
  CHECK(next_inbox_read(t, kPolicy, kNow) == kNow + 1h);
}

TEST_CASE("inbox walk: pages go on until a seen message, lookback or the last page, and reach back to the checks") {
  InboxWalkLimits limits{kNow - std::chrono::days{7}, std::nullopt};
  CHECK(walk_goes_on({true, false, kNow - 1h}, limits));
  CHECK_FALSE(walk_goes_on({true, true, kNow - 1h}, limits));       // reached what was read before
  CHECK_FALSE(walk_goes_on({false, false, kNow - 1h}, limits));     // the last page
  CHECK_FALSE(walk_goes_on({true, false, kNow - std::chrono::days{8}}, limits));  // past lookback
  CHECK(walk_goes_on({true, false, std::nullopt}, limits));         // an empty page with a cursor
  // An open check from 3 h ago: a seen message 1 h ago is not far enough.
  limits.reach_back_to = kNow - 3h - 5min;
  CHECK(walk_goes_on({true, true, kNow - 1h}, limits));
  CHECK_FALSE(walk_goes_on({true, true, kNow - 4h}, limits));
  CHECK_FALSE(walk_goes_on({true, false, kNow - std::chrono::days{8}}, limits));  // lookback still bounds it
}

TEST_CASE("inbox walk: a failed read backs off 30 s doubling to 10 min") {
  CHECK(inbox_read_backoff(1) == 30s);
  CHECK(inbox_read_backoff(2) == 60s);
  CHECK(inbox_read_backoff(5) == 480s);
  CHECK(inbox_read_backoff(6) == 10min);
  CHECK(inbox_read_backoff(60) == 10min);
}

TEST_CASE("inbox check: unknown sends and retries after a server error wait for one; nothing else does") {
  CHECK(needs_inbox_check(Outcome::in_doubt("no answer")));
  CHECK(needs_inbox_check(Outcome::retry_at(kNow, ErrorClass::server_error, 503, "x")));
  CHECK_FALSE(needs_inbox_check(Outcome::retry_at(kNow, ErrorClass::network, 0, "before the write")));
  CHECK_FALSE(needs_inbox_check(Outcome::sent("1", 200)));
  CHECK_FALSE(needs_inbox_check(Outcome::failed(ErrorClass::bad_request, 400, "x")));
  CHECK_FALSE(needs_inbox_check(Outcome::requeue(ErrorClass::rate_limited, 429, "x")));
  // A lookup's transient failure sent nothing.
  Outcome lookup = Outcome::retry_at(kNow, ErrorClass::server_error, 500, "x");
  lookup.send_attempted = false;
  CHECK_FALSE(needs_inbox_check(lookup));
}

TEST_CASE("send machine: only an account that reads its inbox marks in-doubt sends for a check") {
  for (bool const reads : {false, true}) {
    CAPTURE(reads);
    SendMachine m(SendRules{PacingWindow{2s, 4s}, 100, 30s, reads});
    (void)m.start(std::nullopt);
    (void)m.next(send_event::Looked{{}, kNow});
    ClaimedRecipient c;
    c.recipient_id = 1;
    c.account = "gx-1";
    c.username = "alice";
    c.text = "Hi";
    c.claimed_at = kNow;
    (void)m.next(send_event::Claimed{c});
    (void)m.next(send_event::UserCacheRead{CachedUserAnswer{true, "101"}});
    (void)m.next(send_event::CanDmCacheRead{true});
    REQUIRE(std::holds_alternative<send_action::Send>(m.next(send_event::GateChecked{SendGate::go, kNow})));
    auto rec = m.next(send_event::Sent{SendAnswer{decision::InDoubt{"lost"}, 0, 1s}, kNow + 1s, 0.5});
    REQUIRE(std::holds_alternative<send_action::Record>(rec));
    CHECK(std::get<send_action::Record>(rec).outcome.check_inbox == reads);
    // Turned off (reading refused): no more checks.
    m.inbox_off();
  }
}
