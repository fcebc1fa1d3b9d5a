#include <doctest/doctest.h>

#include "core/eta.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow = TimePoint{} + 1'000'000'000'000ms;
const PacingWindow kPacing{1s, 3s};  // mean gap 2 s

EtaAccount account(std::string name, std::int64_t remaining = 1000, std::int64_t cap = 1000) {
  return EtaAccount{std::move(name), false, cap, remaining, std::nullopt};
}

EtaCampaign campaign(std::string name, std::int64_t queued, std::vector<std::string> accounts,
                     std::int64_t priority = 0, std::string state = "active") {
  return EtaCampaign{std::move(name), std::move(state), queued, priority, std::nullopt, std::move(accounts)};
}

Eta one(EtaCampaign const& c, std::vector<EtaAccount> const& accounts, TimePoint now = kNow) {
  auto etas = estimate_finish({c}, accounts, kPacing, now);
  REQUIRE(etas.size() == 1);
  return etas[0];
}

}  // namespace

TEST_CASE("eta: one account sends one per mean pacing gap, the first at once") {
  auto eta = one(campaign("c", 10, {"a"}), {account("a")});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 18s);  // sends at 0, 2, ..., 18 s
}

TEST_CASE("eta: accounts of a campaign send side by side") {
  auto eta = one(campaign("c", 10, {"a", "b"}), {account("a"), account("b")});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 8s);  // five each, at 0, 2, 4, 6, 8 s
}

TEST_CASE("eta: an account that may send later starts later") {
  auto a = account("a");
  a.next_send_at = kNow + 30s;
  auto eta = one(campaign("c", 2, {"a"}), {a});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 32s);
  // A next_send_at in the past means "now".
  a.next_send_at = kNow - 1h;
  CHECK(one(campaign("c", 2, {"a"}), {a}).at == kNow + 2s);
}

TEST_CASE("eta: the rolling daily cap holds sends back to the next window") {
  // 3 left in this window, 5 per day after it: 10 sends need two more days.
  auto eta = one(campaign("c", 10, {"a"}), {account("a", 3, 5)});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 48h);
  // Exactly what is left: no waiting for the window.
  CHECK(one(campaign("c", 3, {"a"}), {account("a", 3, 5)}).at == kNow + 4s);
}

TEST_CASE("eta: a capped account resumes at its next_send_at and is then paced") {
  auto a = account("a", 0, 5);
  a.next_send_at = kNow + 1h;
  auto eta = one(campaign("c", 3, {"a"}), {a});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 1h + 4s);
}

TEST_CASE("eta: done, cancelled, paused and stalled campaigns") {
  CHECK(one(campaign("c", 0, {"a"}), {account("a")}).kind == Eta::Kind::finished);
  CHECK(one(campaign("c", 4, {"a"}, 0, "done"), {account("a")}).kind == Eta::Kind::finished);
  CHECK(one(campaign("c", 4, {"a"}, 0, "cancelled"), {account("a")}).kind == Eta::Kind::finished);
  CHECK(one(campaign("c", 4, {"a"}, 0, "paused"), {account("a")}).kind == Eta::Kind::paused);
  auto stopped = account("a");
  stopped.stopped = true;
  CHECK(one(campaign("c", 4, {"a"}), {stopped}).kind == Eta::Kind::stalled);
  CHECK(one(campaign("c", 4, {"gone"}), {account("a")}).kind == Eta::Kind::stalled);
  CHECK(one(campaign("c", 4, {"a"}), {account("a", 0, 0)}).kind == Eta::Kind::stalled);
  // A stopped account does not count, the others go on.
  auto eta = one(campaign("c", 4, {"a", "b"}), {stopped, account("b")});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 6s);
}

TEST_CASE("eta: a scheduled campaign starts at its start_at") {
  auto c = campaign("c", 2, {"a"}, 0, "scheduled");
  c.start_at = kNow + 1h;
  auto eta = one(c, {account("a")});
  REQUIRE(eta.kind == Eta::Kind::at);
  CHECK(eta.at == kNow + 1h + 2s);
}

TEST_CASE("eta: shared accounts serve the higher priority first, then the older campaign") {
  const std::vector<EtaAccount> accounts{account("a"), account("b")};
  // "old" was created first but "urgent" has the higher priority: "urgent" goes first.
  auto etas = estimate_finish({campaign("old", 5, {"a"}), campaign("urgent", 5, {"a"}, 5)}, accounts, kPacing, kNow);
  REQUIRE(etas[1].kind == Eta::Kind::at);
  CHECK(etas[1].at == kNow + 8s);   // sends 0..8 s
  REQUIRE(etas[0].kind == Eta::Kind::at);
  CHECK(etas[0].at == kNow + 18s);  // then 10..18 s
  // Same priority: the older campaign first.
  etas = estimate_finish({campaign("first", 5, {"a"}), campaign("second", 5, {"a"})}, accounts, kPacing, kNow);
  CHECK(etas[0].at == kNow + 8s);
  CHECK(etas[1].at == kNow + 18s);
  // No shared account: no waiting.
  etas = estimate_finish({campaign("first", 5, {"a"}), campaign("second", 5, {"b"})}, accounts, kPacing, kNow);
  CHECK(etas[0].at == kNow + 8s);
  CHECK(etas[1].at == kNow + 8s);
  // A paused campaign does not hold its accounts.
  etas = estimate_finish({campaign("held", 5, {"a"}, 9, "paused"), campaign("runs", 5, {"a"})}, accounts, kPacing, kNow);
  CHECK(etas[0].kind == Eta::Kind::paused);
  CHECK(etas[1].at == kNow + 8s);
  // The first campaign uses up the window: the second waits for the next one.
  etas = estimate_finish({campaign("first", 3, {"a"}), campaign("second", 2, {"a"})}, {account("a", 3, 5)}, kPacing,
                         kNow);
  CHECK(etas[0].at == kNow + 4s);
  CHECK(etas[1].at == kNow + 24h + 2s);
}

TEST_CASE("eta: remaining time in compact form") {
  CHECK(format_remaining(0ms) == "0s");
  CHECK(format_remaining(-5s) == "0s");
  CHECK(format_remaining(45s) == "45s");
  CHECK(format_remaining(200s) == "3m 20s");
  CHECK(format_remaining(2h + 5min + 59s) == "2h 05m");
  CHECK(format_remaining(76h + 30min) == "3d 4h");
}
