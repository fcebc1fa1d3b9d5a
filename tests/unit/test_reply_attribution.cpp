// core/reply_attribution: which campaign a reply answers. Test names say "reconciliation" so the
// suite's filter `-tc='*reconcil*'` runs them with the rest of the inbox rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "core/reply_attribution.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

TimePoint at(Duration offset) { return TimePoint{Duration{1'800'000'000'000}} + offset; }

CampaignFirstMessage first(std::int64_t campaign, std::string id, Duration offset) {
  return {campaign, std::move(id), at(offset)};
}

ReplyMessage reply(std::string id, Duration offset) { return {std::move(id), at(offset)}; }

/// attribute_reply over every order of `messages`: the answer must not depend on it.
std::optional<std::int64_t> attribute_any_order(ReplyMessage const& r, std::vector<CampaignFirstMessage> messages) {
  std::sort(messages.begin(), messages.end(),
            [](auto const& a, auto const& b) { return a.campaign_id < b.campaign_id; });
  auto const expected = attribute_reply(r, messages);
  while (std::next_permutation(messages.begin(), messages.end(),
                               [](auto const& a, auto const& b) { return a.campaign_id < b.campaign_id; })) {
    CHECK(attribute_reply(r, messages) == expected);
  }
  return expected;
}

}  // namespace

TEST_CASE("reply attribution (inbox reconciliation): precedes_reply orders by id, else by time") {
  struct Case {
    char const* what;
    CampaignFirstMessage message;
    ReplyMessage reply;
    bool precedes;
  };
  Case const cases[] = {
      {"smaller id", first(1, "100", 0ms), reply("200", 0ms), true},
      {"equal id", first(1, "100", 0ms), reply("100", 1h), false},
      {"larger id, whatever the times", first(1, "300", 0ms), reply("200", 1h), false},
      {"ids win over times", first(1, "100", 1h), reply("200", 0ms), true},
      {"shorter decimal is smaller", first(1, "999", 0ms), reply("1000", 0ms), true},
      {"longer decimal is larger", first(1, "1000", 0ms), reply("999", 0ms), false},
      {"ids above 2^53 differ by one", first(1, "1800000000000000001", 0ms), reply("1800000000000000002", 0ms),
       true},
      {"ids above 2^53 reversed", first(1, "1800000000000000002", 0ms), reply("1800000000000000001", 0ms), false},
      {"leading zeros ignored", first(1, "0099", 0ms), reply("100", 0ms), true},
      {"unknown campaign id: earlier time", first(1, "", 0ms), reply("500", 1ms), true},
      {"unknown campaign id: equal time is not enough", first(1, "", 0ms), reply("500", 0ms), false},
      {"unknown campaign id: later time", first(1, "", 1ms), reply("500", 0ms), false},
      {"unknown reply id: earlier time", first(1, "100", 0ms), reply("", 1s), true},
      {"unknown reply id: later time", first(1, "100", 1s), reply("", 0ms), false},
      {"non-decimal id falls back to time", first(1, "abc", 0ms), reply("100", 1s), true},
      {"non-decimal reply id falls back to time", first(1, "900", 2s), reply("m-1", 1s), false},
      {"21 digits is no X id: time", first(1, "100000000000000000000", 0ms), reply("1", 1s), true},
  };
  for (auto const& c : cases) {
    CAPTURE(c.what);
    CHECK(precedes_reply(c.message, c.reply) == c.precedes);
  }
}

TEST_CASE("reply attribution (inbox reconciliation): no campaign message before the reply, no reply") {
  CHECK_FALSE(attribute_reply(reply("200", 1h), {}).has_value());
  std::vector<CampaignFirstMessage> const one{first(7, "300", 0ms)};
  CHECK_FALSE(attribute_reply(reply("200", 1h), one).has_value());  // U wrote first
  CHECK_FALSE(attribute_reply(reply("300", 1h), one).has_value());  // the message itself
  CHECK(attribute_reply(reply("301", 1h), one) == 7);
}

TEST_CASE("reply attribution (inbox reconciliation): the latest campaign whose message precedes the reply") {
  std::vector<CampaignFirstMessage> const two{first(1, "100", 0ms), first(2, "300", 1h)};
  CHECK(attribute_any_order(reply("200", 30min), two) == 1);
  CHECK(attribute_any_order(reply("400", 2h), two) == 2);
  CHECK_FALSE(attribute_any_order(reply("50", 2h), two).has_value());
  // Ids decide, not our recorded times (which may disagree with the provider's order).
  std::vector<CampaignFirstMessage> const skewed{first(1, "100", 2h), first(2, "300", 1h)};
  CHECK(attribute_any_order(reply("400", 3h), skewed) == 2);
  CHECK(attribute_any_order(reply("200", 3h), skewed) == 1);
  // Snowflakes above 2^53 that a double would merge.
  std::vector<CampaignFirstMessage> const big{first(1, "1800000000000000001", 0ms),
                                              first(2, "1800000000000000003", 0ms)};
  CHECK(attribute_any_order(reply("1800000000000000002", 0ms), big) == 1);
  CHECK(attribute_any_order(reply("1800000000000000004", 0ms), big) == 2);
}

TEST_CASE("reply attribution (inbox reconciliation): a campaign message without an id is placed by time") {
  // Campaign 2's send lost its answer: only the attempt's start is known.
  std::vector<CampaignFirstMessage> const mixed{first(1, "100", 0ms), first(2, "", 1h)};
  CHECK(attribute_any_order(reply("200", 30min), mixed) == 1);   // before campaign 2's attempt
  CHECK(attribute_any_order(reply("200", 1h), mixed) == 1);      // at the attempt's start: not after it
  CHECK(attribute_any_order(reply("200", 1h + 1ms), mixed) == 2);
  // The reply's id unknown: everything by time.
  CHECK(attribute_any_order(reply("", 2h), mixed) == 2);
  CHECK(attribute_any_order(reply("", 1ms), mixed) == 1);
  CHECK_FALSE(attribute_any_order(reply("", 0ms), mixed).has_value());
  // Two campaigns without ids at the same time: the later import (higher campaign id).
  std::vector<CampaignFirstMessage> const tie{first(4, "", 0ms), first(9, "", 0ms), first(6, "", 0ms)};
  CHECK(attribute_any_order(reply("", 1s), tie) == 9);
}
