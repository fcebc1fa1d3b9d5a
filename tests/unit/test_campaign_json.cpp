#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/campaign_json.hpp"
#include "core/iso_time.hpp"

using namespace outreach;

namespace {

constexpr std::string_view kDocumentedExample = R"({
  "name": "spring-launch",
  "accounts": ["sales-1", "sales-2"],
  "message": "Hi {{name}}, we just shipped {{product|our new app}}.",
  "recipients": [
    {"username": "alice", "vars": {"name": "Alice"}},
    {"user_id": "44196397", "vars": {"name": "Bob", "product": "v2"}}
  ],
  "recipients_csv": "spring.csv",
  "priority": 0,
  "start_at": "2026-12-01T09:00:00Z",
  "dry_run": false
}
)";

struct Emitted {
  std::size_t index;
  Recipient recipient;
  bool ok;
};

struct Parsed {
  CampaignHeader header;
  HeaderFields fields;
  std::vector<Emitted> recipients;
  std::vector<Problem> problems;
  std::vector<ProblemScope> scopes;
  bool syntax_error = false;

  /// "location: message" lines, for readable failure output.
  std::string text() const {
    std::string out;
    for (auto const& p : problems) out += format_problem(p) + "\n";
    return out;
  }
  bool has(std::string const& location, std::string const& fragment) const {
    return std::any_of(problems.begin(), problems.end(), [&](Problem const& p) {
      return p.location == location && p.message.find(fragment) != std::string::npos;
    });
  }
};

Parsed parse(std::string_view text, std::size_t chunk = std::numeric_limits<std::size_t>::max()) {
  Parsed out;
  CampaignJsonParser parser(CampaignJsonEvents{
      .on_problem =
          [&](Problem&& p, ProblemScope scope) {
            out.problems.push_back(std::move(p));
            out.scopes.push_back(scope);
          },
      .on_recipient = [&](std::size_t index, Recipient&& r,
                          bool ok) { out.recipients.push_back(Emitted{index, std::move(r), ok}); }});
  for (std::size_t at = 0; at < text.size(); at += chunk) parser.feed(text.substr(at, chunk));
  parser.finish();
  out.header = parser.header();
  out.fields = parser.fields();
  out.syntax_error = parser.syntax_error();
  CHECK(parser.recipients_seen() == out.recipients.size());
  return out;
}

bool same(Parsed const& a, Parsed const& b) {
  auto same_problem = [](Problem const& x, Problem const& y) { return x.location == y.location && x.message == y.message; };
  auto same_recipient = [](Emitted const& x, Emitted const& y) {
    return x.index == y.index && x.ok == y.ok && x.recipient.username == y.recipient.username &&
           x.recipient.user_id == y.recipient.user_id && x.recipient.vars == y.recipient.vars;
  };
  return a.header.name == b.header.name && a.header.accounts == b.header.accounts &&
         a.header.message == b.header.message && a.header.recipients_csv == b.header.recipients_csv &&
         a.header.priority == b.header.priority && a.header.start_at == b.header.start_at &&
         a.header.dry_run == b.header.dry_run && a.syntax_error == b.syntax_error &&
         std::equal(a.problems.begin(), a.problems.end(), b.problems.begin(), b.problems.end(), same_problem) &&
         std::equal(a.recipients.begin(), a.recipients.end(), b.recipients.begin(), b.recipients.end(),
                    same_recipient);
}

/// A campaign with everything valid except what `recipients` says.
std::string with_recipients(std::string const& recipients) {
  return R"({"name": "c", "accounts": ["a"], "message": "hi", "recipients": [)" + recipients + "]}";
}

}  // namespace

TEST_CASE("campaign json: the documented example parses completely and without problems") {
  auto const p = parse(kDocumentedExample);
  INFO(p.text());
  CHECK(p.problems.empty());
  CHECK_FALSE(p.syntax_error);
  CHECK(p.header.name == "spring-launch");
  CHECK(p.header.accounts == std::vector<std::string>{"sales-1", "sales-2"});
  CHECK(p.header.message == "Hi {{name}}, we just shipped {{product|our new app}}.");
  CHECK(p.header.recipients_csv == "spring.csv");
  CHECK(p.header.priority == 0);
  CHECK(p.header.start_at == parse_iso8601("2026-12-01T09:00:00Z").value());
  CHECK_FALSE(p.header.dry_run);
  CHECK(p.fields.name == FieldState::present);
  CHECK(p.fields.accounts == FieldState::present);
  CHECK(p.fields.message == FieldState::present);
  CHECK(p.fields.recipients == FieldState::present);
  CHECK(p.fields.recipients_csv == FieldState::present);

  REQUIRE(p.recipients.size() == 2);
  CHECK(p.recipients[0].index == 0);
  CHECK(p.recipients[0].ok);
  CHECK(p.recipients[0].recipient.username == "alice");
  CHECK(p.recipients[0].recipient.user_id.empty());
  CHECK(p.recipients[0].recipient.vars == Vars{{"name", "Alice"}});
  CHECK(p.recipients[1].index == 1);
  CHECK(p.recipients[1].ok);
  CHECK(p.recipients[1].recipient.username.empty());
  CHECK(p.recipients[1].recipient.user_id == "44196397");
  CHECK(p.recipients[1].recipient.vars == Vars{{"name", "Bob"}, {"product", "v2"}});
}

TEST_CASE("campaign json: optional fields default, and other values are read") {
  auto p = parse(R"({"name":"n","accounts":[],"message":"m","recipients_csv":"r.csv"})");
  CHECK(p.problems.empty());
  CHECK(p.header.priority == 0);
  CHECK_FALSE(p.header.start_at.has_value());
  CHECK_FALSE(p.header.dry_run);
  CHECK(p.fields.recipients == FieldState::absent);
  CHECK(p.header.accounts.empty());

  p = parse(R"({"priority": -7, "dry_run": true, "start_at": null, "recipients_csv": null, "recipients": null})");
  CHECK(p.problems.empty());
  CHECK(p.header.priority == -7);
  CHECK(p.header.dry_run);
  CHECK(p.fields.recipients == FieldState::absent);
  CHECK(p.fields.recipients_csv == FieldState::absent);
  CHECK(p.fields.name == FieldState::absent);

  p = parse(R"({"priority": 2147483647})");
  CHECK(p.header.priority == 2147483647);
}

TEST_CASE("campaign json: fed one byte at a time equals fed whole") {
  auto check_same = [](std::string_view text) {
    auto const whole = parse(text);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64}}) {
      CAPTURE(chunk);
      auto const pieces = parse(text, chunk);
      INFO(whole.text() << "---\n" << pieces.text());
      CHECK(same(whole, pieces));
    }
    return whole;
  };
  CHECK(check_same(kDocumentedExample).problems.empty());
  // Problems, numbers split across chunks, escapes and multi-byte UTF-8 everywhere.
  auto const bad = check_same(
      "{\"name\": \"caf\xC3\xA9\", \"priority\": 12345678901, \"accounts\": [\"a\", 7],\n"
      " \"message\": \"Gr\\u00fc\\u00dfe {{x}} \xF0\x9F\x98\x80\", \"extra\": {\"deep\": [1, [2, {\"x\": null}]]},\n"
      " \"recipients\": [{\"user_id\": 1858475867762270208, \"vars\": {\"n\": 1.50e3, \"b\": true}},\n"
      "   {\"username\": \"@bob\", \"vars\": {\"x\": \"\xE2\x82\xAC\", \"y\": null}}, 5]}\n");
  CHECK(bad.problems.size() == 5);
  CHECK(bad.header.message == "Gr\xC3\xBC\xC3\x9F" "e {{x}} \xF0\x9F\x98\x80");
  REQUIRE(bad.recipients.size() == 3);
  CHECK(bad.recipients[0].recipient.vars == Vars{{"n", "1.50e3"}, {"b", "true"}});
  CHECK(bad.recipients[1].recipient.vars == Vars{{"x", "\xE2\x82\xAC"}});
  // A syntax error is found at the same line and column however the bytes arrive.
  auto const broken = check_same("{\n  \"name\": \"x\",\n  \"accounts\": [\"a\" \"b\"]\n}");
  REQUIRE(broken.problems.size() == 1);
  CHECK(broken.problems[0].location == "line 3 column 20");
}

TEST_CASE("campaign json: recipients are handed out as they end, before the file is complete") {
  std::vector<std::size_t> seen;
  CampaignJsonParser parser(CampaignJsonEvents{
      .on_problem = {}, .on_recipient = [&](std::size_t index, Recipient&&, bool) { seen.push_back(index); }});
  parser.feed(R"({"recipients": [{"username": "a"}, {"username": "b"})");
  CHECK(seen == std::vector<std::size_t>{0, 1});
  parser.feed(R"(, {"username": "c"}]})");
  CHECK(seen == std::vector<std::size_t>{0, 1, 2});
  parser.finish();
  CHECK(parser.recipients_seen() == 3);
  CHECK_FALSE(parser.syntax_error());
}

TEST_CASE("campaign json: without on_recipient, recipients are only counted (a header-only pass)") {
  std::vector<Problem> problems;
  CampaignJsonParser parser(CampaignJsonEvents{.on_problem = [&](Problem&& p, ProblemScope) { problems.push_back(p); },
                                               .on_recipient = {}});
  parser.feed(R"({"recipients": [{"user_id": 5}, "x", {"nope": {"deep": [1]}}], "priority": "high", "name": "n"})");
  parser.finish();
  CHECK(parser.recipients_seen() == 3);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].location == "priority");
  CHECK(parser.header().name == "n");
  CHECK(parser.fields().recipients == FieldState::present);
}

TEST_CASE("campaign json: syntax errors carry line and column") {
  SUBCASE("a missing comma") {
    auto p = parse("{\n  \"name\": \"x\"\n  \"accounts\": []\n}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 3 column 3");
    CHECK(p.problems[0].message == "invalid JSON: unexpected '\"'");
    CHECK(p.scopes[0] == ProblemScope::document);
    CHECK(p.syntax_error);
  }
  SUBCASE("columns count characters, not bytes") {
    auto p = parse("{\"name\": \"\xC3\xA9\xC3\xA9\", x}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 1 column 16");
  }
  SUBCASE("a truncated file") {
    auto p = parse("{\"name\": \"x\",\n \"recipients\": [{\"username\": \"a\"}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 2 column 34");
    CHECK(p.problems[0].message.find("ends before the JSON is complete") != std::string::npos);
    CHECK(p.recipients.size() == 1);  // what came before the end was still read
  }
  SUBCASE("an empty file") {
    for (auto text : {"", "  \n\t "}) {
      auto p = parse(text);
      REQUIRE(p.problems.size() == 1);
      CHECK(p.problems[0].location == "file");
      CHECK(p.problems[0].message.find("is empty") != std::string::npos);
    }
  }
  SUBCASE("text after the object") {
    auto p = parse("{\"name\": \"x\"}\n\n  {}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 3 column 3");
    CHECK_MESSAGE(p.problems[0].message.find("after the end") != std::string::npos, p.problems[0].message);
    CHECK(p.header.name == "x");
  }
  SUBCASE("trailing whitespace is fine") {
    CHECK(parse("{\"name\": \"x\"}\n\n  \r\n").problems.empty());
  }
  SUBCASE("invalid UTF-8 and raw control characters in strings") {
    auto p = parse("{\"name\": \"a\xFF\"}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 1 column 12");
    CHECK(p.problems[0].message.find("0xFF") != std::string::npos);
    p = parse("{\"name\": \"a\tb\"}");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].message.find("control character 0x09") != std::string::npos);
  }
  SUBCASE("trailing commas and comments are not JSON") {
    CHECK(parse("{\"accounts\": [\"a\",]}").syntax_error);
    CHECK(parse("{\"name\": \"x\" // hi\n}").syntax_error);
  }
}

TEST_CASE("campaign json: the top level must be an object") {
  for (auto text : {"[1, 2]", "\"campaign\"", "42", "null"}) {
    auto p = parse(text);
    CAPTURE(text);
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "file");
    CHECK(p.problems[0].message.find("must hold one JSON object") != std::string::npos);
    CHECK(p.scopes[0] == ProblemScope::header);
    CHECK_FALSE(p.syntax_error);
  }
}

TEST_CASE("campaign json: wrong types are reported at their field") {
  auto p = parse(R"({
    "name": 5,
    "accounts": "sales-1",
    "message": null,
    "recipients": {"username": "a"},
    "recipients_csv": 3,
    "priority": "high",
    "start_at": 1700000000,
    "dry_run": "yes"
  })");
  INFO(p.text());
  CHECK(p.problems.size() == 8);
  CHECK(p.has("name", "must be a string, not a number"));
  CHECK(p.has("accounts", "must be an array of account names"));
  CHECK(p.has("message", "must be a string, not null"));
  CHECK(p.has("recipients", "must be an array of recipients"));
  CHECK(p.has("recipients_csv", "must be a string"));
  CHECK(p.has("priority", "must be a whole number, not a string"));
  CHECK(p.has("start_at", "must be a string like \"2026-12-01T09:00:00Z\""));
  CHECK(p.has("dry_run", "must be true or false, not a string"));
  CHECK(p.fields.name == FieldState::rejected);
  CHECK(p.fields.accounts == FieldState::rejected);
  CHECK(p.fields.message == FieldState::rejected);
  CHECK(p.fields.recipients == FieldState::rejected);
  CHECK(p.fields.recipients_csv == FieldState::rejected);
  CHECK(p.recipients.empty());  // the object under "recipients" is skipped, not read as one
  CHECK(std::all_of(p.scopes.begin(), p.scopes.end(), [](ProblemScope s) { return s == ProblemScope::header; }));
}

TEST_CASE("campaign json: accounts must be an array of strings") {
  auto p = parse(R"({"accounts": ["a", 1, ["b"], "c"]})");
  INFO(p.text());
  REQUIRE(p.problems.size() == 2);
  CHECK(p.has("accounts[1]", "must be a string (an account name), not a number"));
  CHECK(p.has("accounts[2]", "not an array"));
  CHECK(p.fields.accounts == FieldState::rejected);
  CHECK(p.header.accounts == std::vector<std::string>{"a", "c"});
}

TEST_CASE("campaign json: priority must be a whole number in int range") {
  CHECK(parse(R"({"priority": 1.5})").has("priority", "must be a whole number, not \"1.5\""));
  CHECK(parse(R"({"priority": 1e2})").has("priority", "must be a whole number, not \"1e2\""));
  CHECK(parse(R"({"priority": 2147483648})").has("priority", "\"2147483648\" is out of range"));
  CHECK(parse(R"({"priority": -2147483649})").has("priority", "out of range"));
  CHECK(parse(R"({"priority": 18446744073709551615})").has("priority", "out of range"));
  CHECK(parse(R"({"priority": 99999999999999999999999})").has("priority", "must be a whole number"));
  CHECK(parse(R"({"priority": -2147483648})").header.priority == -2147483648);
}

TEST_CASE("campaign json: start_at goes through the ISO 8601 parser") {
  auto p = parse(R"({"start_at": "2026-12-01 09:00"})");
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].location == "start_at");
  CHECK(p.problems[0].message == parse_iso8601("2026-12-01 09:00").error().message);
  CHECK_FALSE(p.header.start_at.has_value());
  CHECK(parse(R"({"start_at": "2026-12-01T10:30:00+01:30"})").header.start_at ==
        parse_iso8601("2026-12-01T09:00:00Z").value());
}

TEST_CASE("campaign json: unknown and duplicate fields") {
  auto p = parse(R"({"name": "a", "reciepients": [{"username": "x"}], "Name": "b", "name": "c",
                     "colour": {"nested": [1, {"name": 2}]}, "accounts": ["a"]})");
  INFO(p.text());
  REQUIRE(p.problems.size() == 4);
  CHECK(p.problems[0].location == "reciepients");
  CHECK(p.problems[0].message == "unknown field; did you mean \"recipients\"?");
  CHECK(p.problems[1].location == "Name");
  CHECK(p.problems[1].message == "unknown field; did you mean \"name\"?");
  CHECK(p.problems[2].location == "name");
  CHECK(p.problems[2].message.find("appears more than once") != std::string::npos);
  CHECK(p.problems[3].location == "colour");
  CHECK(p.problems[3].message == "unknown field");
  CHECK(p.header.name == "a");  // the first one counts; the duplicate is not read
  CHECK(p.recipients.empty());  // the misspelt array is not read as recipients
  CHECK(p.header.accounts == std::vector<std::string>{"a"});  // skipping "colour" kept us on track

  auto weird = parse("{\"a\\nb\": 1}");
  REQUIRE(weird.problems.size() == 1);
  CHECK(weird.problems[0].location == "\"a\\x0Ab\"");  // a hostile key cannot forge a new line
}

TEST_CASE("campaign json: recipient problems with their exact locations") {
  auto p = parse(with_recipients(R"(
    {"username": "alice"},
    {"vars": {"name": "x"}},
    "bob",
    {"user_id": 44196397},
    {"user_id": "12a"},
    {"username": "@@alice"},
    {"usrname": "carol", "username": "carol"},
    {"username": "dave", "username": "dave2"},
    {"username": "erin", "vars": {"a": {"b": 1}, "c": [1], "a": "again"}},
    {"username": "frank", "vars": ["x"]},
    {"username": 12, "user_id": true},
    {"username": "", "user_id": ""},
    {"username": null, "user_id": "1"}
  )"));
  INFO(p.text());
  CHECK(p.has("recipients[1]", "needs a \"username\" or a \"user_id\""));
  CHECK(p.has("recipients[2]", "must be an object like {\"username\": \"alice\"}"));
  CHECK(p.has("recipients[3].user_id", "ids must be strings: write \"44196397\" in quotes"));
  CHECK(p.has("recipients[4].user_id", "user_id \"12a\" must be 1 to 20 decimal digits"));
  CHECK(p.has("recipients[5].username", "username \"@@alice\" must be 1 to 15 letters"));
  CHECK(p.has("recipients[6].usrname", "unknown field; did you mean \"username\"?"));
  CHECK(p.has("recipients[7].username", "appears more than once"));
  CHECK(p.has("recipients[8].vars.a", "must be a string, number or boolean, not an object"));
  CHECK(p.has("recipients[8].vars.c", "not an array"));
  CHECK(p.has("recipients[8].vars.a", "appears more than once"));
  CHECK(p.has("recipients[9].vars", "must be an object of variables"));
  CHECK(p.has("recipients[10].username", "must be a string, not a number"));
  CHECK(p.has("recipients[10].user_id", "must be a string, not a boolean"));
  CHECK(p.has("recipients[11].username", "username \"\" must be"));
  CHECK(p.has("recipients[11].user_id", "user_id \"\" must be"));
  CHECK(p.problems.size() == 15);
  CHECK(std::all_of(p.scopes.begin(), p.scopes.end(), [](ProblemScope s) { return s == ProblemScope::recipient; }));

  REQUIRE(p.recipients.size() == 13);
  std::vector<bool> ok;
  for (auto const& r : p.recipients) ok.push_back(r.ok);
  CHECK(ok == std::vector<bool>{true, false, false, false, false, false, false, false, false, false, false, false, true});
  for (std::size_t i = 0; i < p.recipients.size(); ++i) CHECK(p.recipients[i].index == i);
  CHECK(p.recipients[12].recipient.user_id == "1");
  CHECK(p.recipients[12].recipient.username.empty());
}

TEST_CASE("campaign json: a numeric user_id is reported from its token, never rounded through a double") {
  // 1858475867762270208 is not representable as a double (it would print as ...270200).
  auto p = parse(with_recipients(R"({"user_id": 1858475867762270208}, {"user_id": 123456789012345678901234567890})"));
  INFO(p.text());
  CHECK(p.has("recipients[0].user_id", "\"1858475867762270208\""));
  CHECK(p.has("recipients[1].user_id", "\"123456789012345678901234567890\""));
  CHECK(p.has("recipients[0].user_id", "JSON numbers cannot hold every id exactly"));
  // Split anywhere inside the token, the text is the same.
  auto q = parse(with_recipients(R"({"user_id": 1858475867762270208})"), 1);
  CHECK(q.has("recipients[0].user_id", "\"1858475867762270208\""));
}

TEST_CASE("campaign json: identity rules") {
  auto p = parse(with_recipients(R"(
    {"username": "@alice"}, {"username": "A_b_9"}, {"username": "abcdefghijklmno"},
    {"username": "abcdefghijklmnop"}, {"username": "al ice"}, {"username": "alice@"},
    {"user_id": "12345678901234567890"}, {"user_id": "123456789012345678901"}, {"user_id": "-5"},
    {"user_id": " 5"}, {"username": "bob", "user_id": "7"})"));
  INFO(p.text());
  REQUIRE(p.recipients.size() == 11);
  CHECK(p.recipients[0].recipient.username == "alice");
  CHECK(p.recipients[1].recipient.username == "A_b_9");
  CHECK(p.recipients[2].recipient.username == "abcdefghijklmno");
  CHECK(p.recipients[6].recipient.user_id == "12345678901234567890");
  CHECK(p.recipients[10].recipient.username == "bob");
  CHECK(p.recipients[10].recipient.user_id == "7");
  for (std::size_t i : std::vector<std::size_t>{3, 4, 5, 7, 8, 9}) CHECK_FALSE(p.recipients[i].ok);
  CHECK(p.problems.size() == 6);
}

TEST_CASE("campaign json: variables keep numbers and booleans as written, null means no value") {
  auto p = parse(with_recipients(
      R"({"username": "a", "vars": {"s": "text", "i": 42, "big": 1858475867762270208, "f": 1.50, "e": -2E+3,
                                    "t": true, "f2": false, "n": null, "empty": ""}})"));
  INFO(p.text());
  CHECK(p.problems.empty());
  REQUIRE(p.recipients.size() == 1);
  CHECK(p.recipients[0].recipient.vars == Vars{{"s", "text"},
                                               {"i", "42"},
                                               {"big", "1858475867762270208"},
                                               {"f", "1.50"},
                                               {"e", "-2E+3"},
                                               {"t", "true"},
                                               {"f2", "false"},
                                               {"empty", ""}});
  // A null variable still counts for the duplicate check.
  CHECK(parse(with_recipients(R"({"username": "a", "vars": {"x": null, "x": "1"}})"))
            .has("recipients[0].vars.x", "appears more than once"));
}

TEST_CASE("campaign json: a file with many problems reports them all, in file order") {
  auto p = parse(R"({
    "nmae": "x",
    "accounts": [1],
    "recipients": [{"user_id": 5}, {}, {"username": "ok"}],
    "priority": 0.5,
    "recipients": []
  })");
  INFO(p.text());
  REQUIRE(p.problems.size() == 6);
  CHECK(p.problems[0].location == "nmae");
  CHECK(p.problems[1].location == "accounts[0]");
  CHECK(p.problems[2].location == "recipients[0].user_id");
  CHECK(p.problems[3].location == "recipients[1]");
  CHECK(p.problems[4].location == "priority");
  CHECK(p.problems[5].location == "recipients");
  CHECK(p.problems[5].message.find("appears more than once") != std::string::npos);
  CHECK(p.recipients.size() == 3);
}

TEST_CASE("campaign json: oversized strings are reported, not kept") {
  std::string big(kMaxJsonStringBytes + 1, 'x');
  auto p = parse(R"({"message": ")" + big + R"(", "name": "n"})", 4096);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].location == "message");
  CHECK(p.problems[0].message == "is longer than 1,048,576 bytes");
  CHECK(p.fields.message == FieldState::rejected);
  CHECK(p.header.message.empty());
  CHECK(p.header.name == "n");
  std::string just_fits(kMaxJsonStringBytes, 'x');
  CHECK(parse(R"({"message": ")" + just_fits + R"("})", 4096).header.message.size() == kMaxJsonStringBytes);
}

TEST_CASE("campaign json: a UTF-8 byte-order mark (BOM) at the start is skipped, however the input is split") {
  std::string const bom = "\xEF\xBB\xBF";
  auto const plain = parse(kDocumentedExample);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4}, std::size_t{4096}}) {
    CAPTURE(chunk);
    auto const with_bom = parse(bom + std::string(kDocumentedExample), chunk);
    INFO(with_bom.text());
    CHECK(with_bom.problems.empty());
    CHECK(same(plain, with_bom));
  }
  SUBCASE("columns still count from the first character after it") {
    auto p = parse(bom + "{\"name\": x}", 1);
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "line 1 column 10");
  }
  SUBCASE("a file that is only a BOM is empty") {
    auto p = parse(bom);
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].location == "file");
    CHECK(p.problems[0].message.find("is empty") != std::string::npos);
  }
  SUBCASE("only one whole BOM, and only at the very start") {
    for (std::string const& text : {std::string("\xEF\xBB{}"), std::string("\xEF\xBB"), " " + bom + "{}",
                                   bom + bom + "{}", "{}" + bom}) {
      CAPTURE(text);
      for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}}) {
        auto p = parse(text, chunk);
        CHECK(p.syntax_error);
        REQUIRE(p.problems.size() == 1);
      }
    }
  }
}
