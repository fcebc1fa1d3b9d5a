// core/reconcile: matching in-doubt attempts to the account's sent messages, and when a read
// proves that a send never happened.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/reconcile.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

/// T0: the start of the attempt most cases are about.
TimePoint const T0{Duration{1'800'000'000'000}};

InDoubtAttempt attempt(std::int64_t id, std::string user, Duration offset, std::string text = "Hi Ann") {
  return {id, std::move(user), T0 + offset, std::move(text)};
}
OutgoingMessage message(std::string id, std::string user, Duration offset, std::string text = "Hi Ann") {
  return {std::move(id), std::move(user), T0 + offset, std::move(text)};
}

ReconcileLimits const limits{30s, std::chrono::days{30}, std::chrono::days{7}};

/// A read that reached back to `from` (relative to T0), made at `read` (relative to T0).
InboxCoverage covered(Duration from, Duration read) { return {T0 + read, T0 + from}; }
/// A read made at `read` that went back to the end of the history.
InboxCoverage covered_to_end(Duration read) { return {T0 + read, std::nullopt}; }

verdict::Confirmed confirmed(std::string id, Duration offset) { return {std::move(id), T0 + offset}; }
verdict::Undecided undecided_for(Duration attempt_offset) {
  return {T0 + attempt_offset + limits.reconcile_after, T0 + attempt_offset - kReconcileSlack};
}

std::string describe(ReconcileVerdict const& v) {
  if (auto const* c = std::get_if<verdict::Confirmed>(&v)) return "confirmed by " + c->message_id;
  if (std::holds_alternative<verdict::Absent>(v)) return "absent";
  if (std::holds_alternative<verdict::BeyondHistory>(v)) return "beyond history";
  return "undecided";
}

std::vector<ReconcileVerdict> verdicts_of(std::vector<InDoubtAttempt> const& attempts,
                                          std::vector<OutgoingMessage> const& messages,
                                          std::optional<InboxCoverage> const& coverage, TimePoint now = T0 + 1min,
                                          std::vector<std::string> const& used = {},
                                          ReconcileLimits const& with = limits) {
  auto const result = reconcile(attempts, messages, used, coverage, with, now);
  REQUIRE(result.size() == attempts.size());
  std::vector<ReconcileVerdict> out;
  for (std::size_t i = 0; i < result.size(); ++i) {
    CHECK(result[i].attempt_id == attempts[i].attempt_id);
    out.push_back(result[i].verdict);
  }
  return out;
}

ReconcileVerdict verdict_of(InDoubtAttempt const& a, std::vector<OutgoingMessage> const& messages,
                            std::optional<InboxCoverage> const& coverage, TimePoint now = T0 + 1min,
                            ReconcileLimits const& with = limits) {
  return verdicts_of({a}, messages, coverage, now, {}, with).front();
}

}  // namespace

TEST_CASE("reconciliation: helpers — horizon, coverage start, when a read decides") {
  CHECK(history_horizon(T0, limits) == T0 - std::chrono::days{7});  // lookback is shorter
  CHECK(history_horizon(T0, {30s, std::chrono::days{30}, std::chrono::days{60}}) == T0 - std::chrono::days{30});
  CHECK(coverage_start(covered(-1h, 0ms), limits) == T0 - 1h);
  CHECK(coverage_start(covered_to_end(0ms), limits) == T0 - std::chrono::days{30});
  // The span to cover: [T0 - 5 min, T0 + reconcile_after], both ends inclusive.
  CHECK(coverage_decides(T0, covered(-5min, 30s), limits));
  CHECK_FALSE(coverage_decides(T0, covered(-5min + 1ms, 30s), limits));
  CHECK_FALSE(coverage_decides(T0, covered(-5min, 30s - 1ms), limits));
  CHECK(coverage_decides(T0, covered_to_end(30s), limits));
  CHECK_FALSE(coverage_decides(T0, covered_to_end(29s), limits));
  // Going back to the end of a 30-day history covers an attempt 30 days old, minus the slack.
  CHECK(coverage_decides(T0, covered_to_end(std::chrono::days{30} - 5min), limits));
  CHECK_FALSE(coverage_decides(T0, covered_to_end(std::chrono::days{30} - 5min + 1ms), limits));
}

TEST_CASE("reconciliation: one attempt, one verdict — table of the rules and their boundaries") {
  struct Case {
    char const* what;
    std::vector<OutgoingMessage> messages;
    std::optional<InboxCoverage> coverage;
    ReconcileVerdict expected;
    Duration now_offset = 1min;
  };
  auto const decisive = covered(-1h, 1min);
  Case const cases[] = {
      // Confirmation.
      {"same user, same text, just after", {message("10", "u1", 2s)}, decisive, confirmed("10", 2s)},
      {"exactly 5 minutes before the attempt", {message("10", "u1", -5min)}, decisive, confirmed("10", -5min)},
      {"5 minutes and 1 ms before: too early", {message("10", "u1", -5min - 1ms)}, decisive, verdict::Absent{}},
      {"long after the attempt still confirms", {message("10", "u1", 6h)}, decisive, confirmed("10", 6h)},
      {"whitespace differences", {message("10", "u1", 2s, "Hi\n\nAnn")}, decisive, confirmed("10", 2s)},
      {"to another user", {message("10", "u2", 2s)}, decisive, verdict::Absent{}},
      {"user ids compare as strings", {message("10", "0u1", 2s)}, decisive, verdict::Absent{}},
      {"another text", {message("10", "u1", 2s, "Hi Bob")}, decisive, verdict::Absent{}},
      {"case differs", {message("10", "u1", 2s, "hi ann")}, decisive, verdict::Absent{}},
      {"confirmation needs no coverage", {message("10", "u1", 2s)}, std::nullopt, confirmed("10", 2s)},
      {"confirmation by a read made too soon", {message("10", "u1", 2s)}, covered(-1h, 3s), confirmed("10", 2s)},
      {"confirmation beyond the history", {message("10", "u1", 2s)}, std::nullopt, confirmed("10", 2s),
       std::chrono::days{400}},
      {"the first of two copies", {message("11", "u1", 3s), message("10", "u1", 2s)}, decisive, confirmed("10", 2s)},
      // Proof of absence.
      {"no message, decisive read", {}, decisive, verdict::Absent{}},
      {"read exactly reconcile_after after the attempt", {}, covered(-5min, 30s), verdict::Absent{}},
      {"read 1 ms sooner proves nothing", {}, covered(-5min, 30s - 1ms), undecided_for(0ms)},
      {"read reached exactly 5 minutes back", {}, covered(-5min, 1min), verdict::Absent{}},
      {"read stopped 1 ms short of 5 minutes back", {}, covered(-5min + 1ms, 1min), undecided_for(0ms)},
      {"read reached the end of the history", {}, covered_to_end(30s), verdict::Absent{}},
      {"end of the history, but read too soon", {}, covered_to_end(29'999ms), undecided_for(0ms)},
      {"no read yet", {}, std::nullopt, undecided_for(0ms)},
      {"a read before the attempt", {}, covered(-1h, -1min), undecided_for(0ms)},
      // Beyond history (lookback 7 days is shorter than X's 30).
      {"a week minus the slack: a read now still reaches", {}, std::nullopt, undecided_for(0ms),
       std::chrono::days{7} - 5min},
      {"1 ms later: no read can reach it", {}, std::nullopt, verdict::BeyondHistory{},
       std::chrono::days{7} - 5min + 1ms},
      {"long ago, never proven", {}, std::nullopt, verdict::BeyondHistory{}, std::chrono::days{40}},
      {"long ago, read too soon back then", {}, covered(-1h, 10s), verdict::BeyondHistory{}, std::chrono::days{40}},
      {"a proof made in time stays a proof", {}, covered(-1h, 1min), verdict::Absent{}, std::chrono::days{40}},
  };
  for (auto const& c : cases) {
    CAPTURE(c.what);
    auto const got = verdict_of(attempt(1, "u1", 0ms), c.messages, c.coverage, T0 + c.now_offset);
    CAPTURE(describe(got));
    CHECK(got == c.expected);
  }
}

TEST_CASE("reconciliation: beyond history uses the shorter of history_limit and lookback") {
  ReconcileLimits const long_lookback{30s, std::chrono::days{30}, std::chrono::days{60}};
  auto const a = attempt(1, "u1", 0ms);
  CHECK(verdict_of(a, {}, std::nullopt, T0 + std::chrono::days{30} - 5min, long_lookback) ==
        ReconcileVerdict{undecided_for(0ms)});
  CHECK(verdict_of(a, {}, std::nullopt, T0 + std::chrono::days{30} - 5min + 1ms, long_lookback) ==
        ReconcileVerdict{verdict::BeyondHistory{}});
  // A horizon shorter than slack + reconcile_after: even the first possible read is too late.
  ReconcileLimits const tiny{30s, std::chrono::days{30}, 5min + 29s};
  CHECK(verdict_of(a, {}, std::nullopt, T0, tiny) == ReconcileVerdict{verdict::BeyondHistory{}});
  ReconcileLimits const just_enough{30s, std::chrono::days{30}, 5min + 30s};
  CHECK(verdict_of(a, {}, std::nullopt, T0, just_enough) == ReconcileVerdict{undecided_for(0ms)});
}

TEST_CASE("reconciliation: undecided says when and how far back a read can decide") {
  auto const v = verdict_of(attempt(1, "u1", 10min), {}, std::nullopt, T0);
  REQUIRE(std::holds_alternative<verdict::Undecided>(v));
  CHECK(std::get<verdict::Undecided>(v).decidable_at == T0 + 10min + 30s);
  CHECK(std::get<verdict::Undecided>(v).reach_back_to == T0 + 5min);
}

TEST_CASE("reconciliation: one message, two attempts — the older attempt takes it") {
  std::vector<InDoubtAttempt> const attempts{attempt(1, "u1", 0ms), attempt(2, "u1", 1min)};
  std::vector<OutgoingMessage> const messages{message("10", "u1", 1min + 2s)};
  auto const v = verdicts_of(attempts, messages, covered(-1h, 10min), T0 + 10min);
  CHECK(v[0] == ReconcileVerdict{confirmed("10", 1min + 2s)});
  CHECK(v[1] == ReconcileVerdict{verdict::Absent{}});
  // The same in the other input order: verdicts follow the input, the assignment does not.
  std::vector<InDoubtAttempt> reversed(attempts.rbegin(), attempts.rend());
  auto const r = verdicts_of(reversed, messages, covered(-1h, 10min), T0 + 10min);
  CHECK(r[0] == ReconcileVerdict{verdict::Absent{}});
  CHECK(r[1] == ReconcileVerdict{confirmed("10", 1min + 2s)});
  // Without a decisive read the second stays undecided.
  auto const u = verdicts_of(attempts, messages, std::nullopt, T0 + 10min);
  CHECK(u[1] == ReconcileVerdict{undecided_for(1min)});
}

TEST_CASE("reconciliation: two messages, two attempts — each confirms one, oldest with oldest") {
  std::vector<InDoubtAttempt> const attempts{attempt(1, "u1", 0ms), attempt(2, "u1", 1min)};
  SUBCASE("both messages after both attempts") {
    std::vector<OutgoingMessage> const messages{message("21", "u1", 3min), message("20", "u1", 2min)};
    auto const v = verdicts_of(attempts, messages, std::nullopt, T0 + 10min);
    CHECK(v[0] == ReconcileVerdict{confirmed("20", 2min)});
    CHECK(v[1] == ReconcileVerdict{confirmed("21", 3min)});
  }
  SUBCASE("the first message is eligible for the older attempt only") {
    // Attempt 2 (T0+10min) cannot use a message from T0-4min; oldest-first gives it the other one.
    std::vector<InDoubtAttempt> const spread{attempt(2, "u1", 10min), attempt(1, "u1", 0ms)};
    std::vector<OutgoingMessage> const messages{message("31", "u1", 10min + 1s), message("30", "u1", -4min)};
    auto const v = verdicts_of(spread, messages, std::nullopt, T0 + 20min);
    CHECK(v[0] == ReconcileVerdict{confirmed("31", 10min + 1s)});
    CHECK(v[1] == ReconcileVerdict{confirmed("30", -4min)});
  }
  SUBCASE("different recipients do not compete") {
    std::vector<InDoubtAttempt> const two_users{attempt(1, "u1", 0ms), attempt(2, "u2", 0ms)};
    std::vector<OutgoingMessage> const messages{message("41", "u2", 1s), message("40", "u1", 1s)};
    auto const v = verdicts_of(two_users, messages, std::nullopt);
    CHECK(v[0] == ReconcileVerdict{confirmed("40", 1s)});
    CHECK(v[1] == ReconcileVerdict{confirmed("41", 1s)});
  }
  SUBCASE("different texts do not compete") {
    std::vector<InDoubtAttempt> const two_texts{attempt(1, "u1", 0ms, "step one"), attempt(2, "u1", 1s, "step two")};
    std::vector<OutgoingMessage> const messages{message("51", "u1", 2s, "step one"),
                                                message("50", "u1", 1s, "step two")};
    auto const v = verdicts_of(two_texts, messages, std::nullopt);
    CHECK(v[0] == ReconcileVerdict{confirmed("51", 2s)});
    CHECK(v[1] == ReconcileVerdict{confirmed("50", 1s)});
  }
}

TEST_CASE("reconciliation: ties are broken deterministically") {
  SUBCASE("messages at the same time: the smaller decimal id first") {
    std::vector<OutgoingMessage> const messages{message("10", "u1", 1s), message("9", "u1", 1s)};
    auto const v = verdicts_of({attempt(1, "u1", 0ms), attempt(2, "u1", 0ms)}, messages, std::nullopt);
    CHECK(v[0] == ReconcileVerdict{confirmed("9", 1s)});  // "10" < "9" as strings, not as numbers
    CHECK(v[1] == ReconcileVerdict{confirmed("10", 1s)});
  }
  SUBCASE("attempts at the same time: the smaller attempt id first") {
    std::vector<OutgoingMessage> const messages{message("7", "u1", 1s)};
    auto const v = verdicts_of({attempt(5, "u1", 0ms), attempt(3, "u1", 0ms)}, messages, covered(-1h, 1min));
    CHECK(v[0] == ReconcileVerdict{verdict::Absent{}});
    CHECK(v[1] == ReconcileVerdict{confirmed("7", 1s)});
  }
  SUBCASE("non-decimal ids compare as strings") {
    std::vector<OutgoingMessage> const messages{message("m-b", "u1", 1s), message("m-a", "u1", 1s)};
    auto const v = verdicts_of({attempt(1, "u1", 0ms)}, messages, std::nullopt);
    CHECK(v[0] == ReconcileVerdict{confirmed("m-a", 1s)});
  }
}

TEST_CASE("reconciliation: a message used once, within a call or before, confirms nothing else") {
  std::vector<OutgoingMessage> const messages{message("10", "u1", 2s), message("11", "u1", 3s)};
  // The first call confirms attempt 1 with message 10.
  auto const first = reconcile(std::vector{attempt(1, "u1", 0ms)}, messages, {}, std::nullopt, limits, T0 + 1min);
  REQUIRE(std::holds_alternative<verdict::Confirmed>(first[0].verdict));
  std::vector<std::string> used{std::get<verdict::Confirmed>(first[0].verdict).message_id};
  CHECK(used[0] == "10");
  // A later call for another attempt, told so, takes message 11.
  auto v = verdicts_of({attempt(2, "u1", 1s)}, messages, std::nullopt, T0 + 1min, used);
  CHECK(v[0] == ReconcileVerdict{confirmed("11", 3s)});
  used.push_back("11");
  v = verdicts_of({attempt(3, "u1", 1s)}, messages, covered(-1h, 1min), T0 + 1min, used);
  CHECK(v[0] == ReconcileVerdict{verdict::Absent{}});
  // A message whose send returned its id (already used by a `sent` row) never confirms a doubt.
  v = verdicts_of({attempt(4, "u1", 0ms)}, {message("12", "u1", 2s)}, std::nullopt, T0 + 1min, {"12"});
  CHECK(v[0] == ReconcileVerdict{undecided_for(0ms)});
}

TEST_CASE("reconciliation: an empty text confirms nothing and matches no empty message") {
  auto const v = verdicts_of({attempt(1, "u1", 0ms, ""), attempt(2, "u1", 0ms, " \n")},
                             {message("10", "u1", 1s, ""), message("11", "u1", 1s, " ")}, covered(-1h, 1min));
  CHECK(v[0] == ReconcileVerdict{verdict::Absent{}});
  CHECK(v[1] == ReconcileVerdict{verdict::Absent{}});
}

TEST_CASE("reconciliation: many attempts, mixed verdicts, in the caller's order") {
  std::vector<InDoubtAttempt> const attempts{
      attempt(1, "u1", 0ms),                          // confirmed
      attempt(2, "u2", 0ms),                          // absent: covered, nothing to u2
      attempt(3, "u3", 50min),                        // undecided: read too soon for it
      attempt(4, "u4", -std::chrono::days{8}),        // beyond history
      attempt(5, "u1", 0ms, "another text"),          // absent
  };
  std::vector<OutgoingMessage> const messages{message("100", "u1", 1s), message("101", "u9", 1s),
                                              message("102", "u3", -1h, "Hi Ann")};
  auto const result = reconcile(attempts, messages, {}, covered(-1h, 50min + 10s), limits, T0 + 50min + 10s);
  REQUIRE(result.size() == 5);
  CHECK(result[0].attempt_id == 1);
  CHECK(result[0].verdict == ReconcileVerdict{confirmed("100", 1s)});
  CHECK(result[1].attempt_id == 2);
  CHECK(result[1].verdict == ReconcileVerdict{verdict::Absent{}});
  CHECK(result[2].attempt_id == 3);
  CHECK(result[2].verdict == ReconcileVerdict{undecided_for(50min)});
  CHECK(result[3].attempt_id == 4);
  CHECK(result[3].verdict == ReconcileVerdict{verdict::BeyondHistory{}});
  CHECK(result[4].attempt_id == 5);
  CHECK(result[4].verdict == ReconcileVerdict{verdict::Absent{}});
  CHECK(reconcile({}, messages, {}, std::nullopt, limits, T0).empty());
}
