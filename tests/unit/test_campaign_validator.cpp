#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/campaign_validator.hpp"
#include "core/problem_list.hpp"

using namespace outreach;

namespace {

CampaignHeader good_header() {
  CampaignHeader h;
  h.name = "spring-launch";
  h.accounts = {"sales-1", "sales-2"};
  h.message = "Hi {{name}}, we just shipped {{product|our new app}}.";
  return h;
}

HeaderFields all_present() {
  return HeaderFields{FieldState::present, FieldState::present, FieldState::present, FieldState::present,
                      FieldState::absent};
}

AccountNames const kConfigured{"sales-1", "sales-2", "brand"};

bool has(ProblemList const& list, std::string const& location, std::string const& fragment) {
  return std::any_of(list.kept().begin(), list.kept().end(), [&](Problem const& p) {
    return p.location == location && p.message.find(fragment) != std::string::npos;
  });
}

std::string code_points(std::size_t n) { return std::string(n, 'x'); }

}  // namespace

TEST_CASE("validator: usernames lose one leading @ and must be 1..15 word characters") {
  CHECK(normalize_username("alice").value() == "alice");
  CHECK(normalize_username("@alice").value() == "alice");
  CHECK(normalize_username("Al_1ce").value() == "Al_1ce");
  CHECK(normalize_username("a").value() == "a");
  CHECK(normalize_username("abcdefghijklmno").value() == "abcdefghijklmno");
  CHECK(normalize_username("@abcdefghijklmno").value() == "abcdefghijklmno");
  for (auto bad : {"", "@", "@@alice", "abcdefghijklmnop", "al ice", "alice!", "al-ice", "al.ice", "\xC3\xA9",
                   "alice@", " alice"}) {
    CAPTURE(bad);
    auto r = normalize_username(bad);
    REQUIRE(r.has_error());
    CHECK(r.error().message.rfind("username \"", 0) == 0);
    CHECK(r.error().message.find("1 to 15 letters, digits or underscores") != std::string::npos);
  }
}

TEST_CASE("validator: user ids are 1..20 decimal digits kept as text") {
  CHECK(check_user_id("44196397").value() == "44196397");
  CHECK(check_user_id("1858475867762270208").value() == "1858475867762270208");
  CHECK(check_user_id("18446744073709551615").value() == "18446744073709551615");
  CHECK(check_user_id("0").value() == "0");
  for (auto bad : {"", "123456789012345678901", "-1", "+1", "1.0", "1e5", "12 3", "0x10", "\xD9\xA1"}) {
    CAPTURE(bad);
    auto r = check_user_id(bad);
    REQUIRE(r.has_error());
    CHECK(r.error().message.rfind("user_id \"", 0) == 0);
    CHECK(r.error().message.find("1 to 20 decimal digits") != std::string::npos);
  }
}

TEST_CASE("validator: campaign names") {
  CHECK(is_valid_campaign_name("spring-launch"));
  CHECK(is_valid_campaign_name("Q1_2026.v2"));
  CHECK(is_valid_campaign_name(std::string(128, 'a')));
  CHECK_FALSE(is_valid_campaign_name(std::string(129, 'a')));
  CHECK_FALSE(is_valid_campaign_name(""));
  CHECK_FALSE(is_valid_campaign_name("spring launch"));
  CHECK_FALSE(is_valid_campaign_name("spring/launch"));
  CHECK_FALSE(is_valid_campaign_name("caf\xC3\xA9"));
}

TEST_CASE("validator: quote_for_problem shows hostile text safely") {
  CHECK(quote_for_problem("abc") == "\"abc\"");
  CHECK(quote_for_problem("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quote_for_problem("line\nbreak\r") == "\"line\\x0Abreak\\x0D\"");
  CHECK(quote_for_problem("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(quote_for_problem("bad\xFF\xC3") == "\"bad\\xFF\\xC3\"");
  CHECK(quote_for_problem(std::string(41, 'x')) == "\"" + std::string(40, 'x') + "\u2026\"");
  CHECK(quote_for_problem(std::string(40, 'x')) == "\"" + std::string(40, 'x') + "\"");
}

TEST_CASE("validator: a good header has no problems and yields the compiled message") {
  ProblemList problems;
  auto message = validate_header(good_header(), all_present(), kConfigured, problems);
  CHECK(problems.empty());
  REQUIRE(message.has_value());
  CHECK(message->variables() == std::vector<std::string>{"name", "product"});
}

TEST_CASE("validator: missing fields are required") {
  ProblemList problems;
  auto message = validate_header(CampaignHeader{}, HeaderFields{}, kConfigured, problems);
  CHECK_FALSE(message.has_value());
  INFO(problems.to_text());
  CHECK(problems.total() == 4);
  CHECK(has(problems, "name", "is required"));
  CHECK(has(problems, "accounts", "is required"));
  CHECK(has(problems, "message", "is required"));
  CHECK(has(problems, "recipients", "needs \"recipients\", \"recipients_csv\" or both"));
}

TEST_CASE("validator: fields the parser rejected are not reported again") {
  ProblemList problems;
  HeaderFields fields{FieldState::rejected, FieldState::rejected, FieldState::rejected, FieldState::rejected,
                      FieldState::absent};
  auto message = validate_header(CampaignHeader{}, fields, kConfigured, problems);
  CHECK_FALSE(message.has_value());
  CHECK(problems.empty());
}

TEST_CASE("validator: header field rules") {
  auto check_one = [](CampaignHeader const& h, HeaderFields const& f, std::string const& location,
                      std::string const& fragment) {
    ProblemList problems;
    validate_header(h, f, kConfigured, problems);
    INFO(problems.to_text());
    CHECK(problems.total() == 1);
    CHECK(has(problems, location, fragment));
  };
  auto h = good_header();
  h.name = "spring launch!";
  check_one(h, all_present(), "name", "\"spring launch!\" must be 1 to 128 letters, digits, '-', '_' or '.'");

  h = good_header();
  h.accounts = {};
  check_one(h, all_present(), "accounts", "must list at least one account");

  h = good_header();
  h.accounts = {"sales-1", "sales-9"};
  check_one(h, all_present(), "accounts[1]", "account \"sales-9\" is not configured (configured: brand, sales-1, sales-2)");

  h = good_header();
  h.accounts = {"sales-1", "brand", "sales-1"};
  check_one(h, all_present(), "accounts[2]", "account \"sales-1\" is listed more than once");

  h = good_header();
  h.message = "";
  check_one(h, all_present(), "message", "is empty");

  h = good_header();
  h.message = "Hi {{name";
  check_one(h, all_present(), "message", "never closed");

  h = good_header();
  h.recipients_csv = "";
  auto f = all_present();
  f.recipients = FieldState::absent;
  f.recipients_csv = FieldState::present;
  check_one(h, f, "recipients_csv", "is empty");

  // recipients_csv alone is enough.
  h = good_header();
  h.recipients_csv = "spring.csv";
  ProblemList problems;
  CHECK(validate_header(h, f, kConfigured, problems).has_value());
  CHECK(problems.empty());
}

TEST_CASE("validator: an unknown account with no accounts configured says so") {
  ProblemList problems;
  validate_header(good_header(), all_present(), AccountNames{}, problems);
  CHECK(problems.total() == 2);
  CHECK(has(problems, "accounts[0]", "is not configured (no accounts are configured)"));
}

TEST_CASE("validator: a recipient renders to a ValidRecipient") {
  auto message = MessageTemplate::compile("Hi {{name}}, we just shipped {{product|our new app}}.").value();
  ProblemList problems;
  auto valid = validate_recipient(message, Recipient{"alice", "", {{"name", "Alice"}}}, RecipientLocation{{}, 0}, problems);
  REQUIRE(valid.has_value());
  CHECK(valid->username == "alice");
  CHECK(valid->user_id.empty());
  CHECK(valid->text == "Hi Alice, we just shipped our new app.");
  valid = validate_recipient(message, Recipient{"", "44196397", {{"name", "Bob"}, {"product", "v2"}}},
                             RecipientLocation{{}, 1}, problems);
  REQUIRE(valid.has_value());
  CHECK(valid->user_id == "44196397");
  CHECK(valid->text == "Hi Bob, we just shipped v2.");
  CHECK(problems.empty());
}

TEST_CASE("validator: recipient problems name every missing variable and the location") {
  auto message = MessageTemplate::compile("{{greeting}} {{name}}, {{product}} from {{username}}").value();
  ProblemList problems;
  CHECK_FALSE(validate_recipient(message, Recipient{"", "7", {{"name", "Al"}}}, RecipientLocation{{}, 17}, problems));
  CHECK_FALSE(validate_recipient(message, Recipient{"bo", "", {}}, RecipientLocation{"spring.csv", 42}, problems));
  REQUIRE(problems.total() == 2);
  auto const& first = problems.kept()[0];
  CHECK(first.location == "recipients[17]");
  CHECK(first.message.find("{{greeting}}") != std::string::npos);
  CHECK(first.message.find("{{product}}") != std::string::npos);
  CHECK(first.message.find("{{username}}") != std::string::npos);
  CHECK(first.message.find("{{name}}") == std::string::npos);
  auto const& second = problems.kept()[1];
  CHECK(second.location == "spring.csv line 42");
  CHECK(second.message.find("{{greeting}}") != std::string::npos);
  CHECK(second.message.find("{{name}}") != std::string::npos);
  CHECK(second.message.find("{{username}}") == std::string::npos);
}

TEST_CASE("validator: a rendered message must be 1..10,000 code points of valid UTF-8") {
  auto message = MessageTemplate::compile("{{text}}").value();
  ProblemList problems;
  // 10,000 code points of which many are multi-byte: the limit counts characters, not bytes.
  std::string exactly;
  for (int i = 0; i < 5'000; ++i) exactly += "a\xC3\xA9";
  REQUIRE(exactly.size() == 15'000);
  auto ok = validate_recipient(message, Recipient{"a", "", {{"text", exactly}}}, RecipientLocation{{}, 0}, problems);
  CHECK(ok.has_value());
  CHECK(problems.empty());

  CHECK_FALSE(validate_recipient(message, Recipient{"a", "", {{"text", code_points(10'001)}}},
                                 RecipientLocation{{}, 1}, problems));
  CHECK_FALSE(
      validate_recipient(message, Recipient{"a", "", {{"text", "bad \xC3("}}}, RecipientLocation{{}, 2}, problems));
  auto empty = MessageTemplate::compile("{{text|}}").value();
  CHECK_FALSE(validate_recipient(empty, Recipient{"a", "", {}}, RecipientLocation{{}, 3}, problems));
  INFO(problems.to_text());
  REQUIRE(problems.total() == 3);
  CHECK(has(problems, "recipients[1]", "10001"));
  CHECK(has(problems, "recipients[2]", "not valid UTF-8"));
  CHECK(has(problems, "recipients[3]", "empty"));
}

TEST_CASE("validator: a recipient with no identity is a problem, not a crash") {
  auto message = MessageTemplate::compile("hi").value();
  ProblemList problems;
  CHECK_FALSE(validate_recipient(message, Recipient{}, RecipientLocation{{}, 4}, problems));
  CHECK(has(problems, "recipients[4]", "needs a username or a user_id"));
}

TEST_CASE("problem list: keeps the first N, counts the rest, prints one line each") {
  ProblemList problems(3);
  CHECK(problems.empty());
  CHECK(problems.to_text().empty());
  problems.add("name", "is required");
  problems.add(Problem{"", "no location"});
  CHECK(problems.to_text() == "name: is required\nno location\n");
  for (int i = 0; i < 4'212; ++i) problems.add("recipients[" + std::to_string(i) + "]", "bad");
  CHECK(problems.total() == 4'214);
  CHECK(problems.kept().size() == 3);
  CHECK(problems.omitted() == 4'211);
  CHECK(problems.to_text() == "name: is required\nno location\nrecipients[0]: bad\n\u2026 and 4,211 more problems\n");
  problems.count_unlisted(1);
  CHECK(problems.omitted() == 4'212);

  ProblemList one_more(1);
  one_more.add("a", "b");
  one_more.add("c", "d");
  CHECK(one_more.to_text() == "a: b\n\u2026 and 1 more problem\n");
  CHECK(ProblemList{}.limit() == 1'000);
}

TEST_CASE("problem list: thousands separators") {
  CHECK(with_thousands_separators(0) == "0");
  CHECK(with_thousands_separators(999) == "999");
  CHECK(with_thousands_separators(1'000) == "1,000");
  CHECK(with_thousands_separators(4'211) == "4,211");
  CHECK(with_thousands_separators(1'048'576) == "1,048,576");
  CHECK(with_thousands_separators(100'000) == "100,000");
}

TEST_CASE("format_problem: location: message") {
  CHECK(format_problem(Problem{"recipients[3].user_id", "bad"}) == "recipients[3].user_id: bad");
  CHECK(format_problem(Problem{"", "bad"}) == "bad");
}
