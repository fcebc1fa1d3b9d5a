// docs/send-rules.md#pacing: after every send attempt (from its end) an account waits a uniform
// random gap in [min_delay, max_delay] before its next one; accounts send concurrently on one event
// loop.
//
// The gap is measured the way docs/send-rules.md#pacing defines it: from the attempt's end
// (attempts.at, the time the outcome was recorded) to the start of the account's next attempt
// (recipients.claimed_at, the committed claim that precedes any network call). The lower bound is
// exact to the millisecond — the daemon may never claim early — and the upper bound allows 150 ms
// of scheduling slack. The simulator's own delivery times confirm the lower bound from the outside.
//
// In process, on the test's clock: the gaps are the daemon's own choices, whatever the machine's
// load (the slack is kept from the end-to-end original, though no scheduling delay remains).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "runtime/runtime_harness.hpp"

using namespace outreach::test;

namespace {

constexpr std::int64_t kMin = 100;
constexpr std::int64_t kMax = 300;
constexpr std::int64_t kSlack = 150;

std::int64_t as_int(json::value const& v) { return v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64()); }

}  // namespace

TEST_CASE("pacing: every gap between an account's attempts lies in min_delay..max_delay, accounts interleave") {
  constexpr int kRecipients = 16;
  InProcessSetup setup({{"gx-1", "getxapi"}, {"tio-1", "twitterapi_io"}}, users_json(user_names(kRecipients)));
  REQUIRE(setup.pacing == "min_delay = \"100ms\"\nmax_delay = \"300ms\"");
  REQUIRE_MESSAGE(setup.start(), setup.last_error);

  setup.drop("paced.json",
             campaign_json("paced", {"gx-1", "tio-1"}, user_names(kRecipients), "Hello {{username}}"));
  REQUIRE_MESSAGE(setup.run_until([&] { return setup.campaign_done("paced"); }, 20s), setup.log());
  CHECK(setup.campaign("paced").at("sent").as_int64() == kRecipients);

  // Per account, in order: when each attempt started (its claim) and ended (its record).
  auto rows = setup.sql(
      "SELECT a.name AS account, r.claimed_at AS started, t.at AS ended FROM attempts t "
      "JOIN recipients r ON r.id = t.recipient_id JOIN accounts a ON a.id = t.account_id "
      "WHERE t.kind = 'send' ORDER BY a.name, t.at");
  REQUIRE(rows.size() == kRecipients);
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_account;
  for (auto const& row : rows) {
    auto const& o = row.as_object();
    by_account[str(o.at("account"))].emplace_back(as_int(o.at("started")), as_int(o.at("ended")));
  }
  REQUIRE(by_account.size() == 2);  // both accounts took part
  std::int64_t smallest = INT64_MAX, largest = 0;
  for (auto const& [account, attempts] : by_account) {
    CAPTURE(account);
    REQUIRE(attempts.size() >= 3);
    for (std::size_t i = 1; i < attempts.size(); ++i) {
      const std::int64_t gap = attempts[i].first - attempts[i - 1].second;
      CAPTURE(i);
      CAPTURE(gap);
      CHECK(gap >= kMin);
      CHECK(gap <= kMax + kSlack);
      smallest = std::min(smallest, gap);
      largest = std::max(largest, gap);
    }
  }
  MESSAGE("pacing gaps observed: " << smallest << " ms to " << largest << " ms (configured " << kMin << "-" << kMax
                                   << " ms)");

  // From the outside: the simulator's delivery times per sending account are never closer than
  // min_delay (a delivery happens after its attempt started and before it ended).
  auto delivered = setup.messages();
  REQUIRE(delivered.size() == kRecipients);
  std::map<std::string, std::vector<std::int64_t>> times;
  std::vector<std::string> order;
  for (auto const& m : delivered) {
    times[str(m.at("account"))].push_back(iso_ms(str(m.at("time"))));
    order.push_back(str(m.at("account")));
  }
  for (auto const& [account, t] : times)
    for (std::size_t i = 1; i < t.size(); ++i) {
      CAPTURE(account);
      CHECK(t[i] - t[i - 1] >= kMin);
    }

  // Concurrency: the two accounts' sends interleave (each account's span overlaps the other's,
  // and the delivery order switches between them several times).
  REQUIRE(times.size() == 2);
  auto const& a = times.begin()->second;
  auto const& b = std::next(times.begin())->second;
  CHECK(a.front() < b.back());
  CHECK(b.front() < a.back());
  int switches = 0;
  for (std::size_t i = 1; i < order.size(); ++i) switches += order[i] != order[i - 1] ? 1 : 0;
  CHECK(switches >= 3);

  CHECK_NOTHROW(setup.stop());  // SIGTERM's path ends cleanly
}
