#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/campaign_reader.hpp"

using namespace outreach;

namespace {

/// Serves `text` in chunks of at most `chunk` bytes, like a file read.
ByteSource string_source(std::string text, std::size_t chunk) {
  auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::move(text), 0);
  return [state, chunk](char* buffer, std::size_t capacity) {
    auto& [data, at] = *state;
    const std::size_t n = std::min({capacity, chunk, data.size() - at});
    std::memcpy(buffer, data.data() + at, n);
    at += n;
    return n;
  };
}

struct Fixture {
  explicit Fixture(std::string json_text, std::map<std::string, std::string> csv = {}, std::size_t chunk_size = 4096)
      : json(std::move(json_text)), csv_files(std::move(csv)), chunk(chunk_size) {}

  std::string json;
  std::map<std::string, std::string> csv_files;
  std::size_t chunk;
  int json_opens = 0;
  std::vector<std::string> csv_opens;

  CampaignSources sources() {
    return CampaignSources{
        .open_json =
            [this] {
              ++json_opens;
              return string_source(json, chunk);
            },
        .open_csv = [this](std::string const& path) -> Result<ByteSource> {
          csv_opens.push_back(path);
          auto it = csv_files.find(path);
          if (it == csv_files.end()) return make_error("recipients_csv \"" + path + "\" does not exist");
          return string_source(it->second, chunk);
        }};
  }

  std::vector<ValidRecipient> sunk;
  CampaignReport run(AccountNames const& accounts = {"sales-1", "sales-2"}) {
    sunk.clear();
    return read_campaign(sources(), accounts, [this](ValidRecipient&& r) { sunk.push_back(std::move(r)); });
  }
};

std::string const kDocumentedExample = R"({
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

std::string const kSpringCsv =
    "username,user_id,name,product\r\n"
    "@carol,,Carol,\r\n"
    ",1858475867762270208,Dan,v3\r\n"
    "erin,99,\"Erin, PhD\",\r\n";

bool has(ProblemList const& list, std::string const& location, std::string const& fragment) {
  return std::any_of(list.kept().begin(), list.kept().end(), [&](Problem const& p) {
    return p.location == location && p.message.find(fragment) != std::string::npos;
  });
}

std::vector<std::string> locations(ProblemList const& list) {
  std::vector<std::string> out;
  for (auto const& p : list.kept()) out.push_back(p.location);
  return out;
}

}  // namespace

TEST_CASE("read_campaign: the documented example with its CSV, recipients in file order") {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{4096}}) {
    CAPTURE(chunk);
    Fixture f{kDocumentedExample, {{"spring.csv", kSpringCsv}}, chunk};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(report.problems.empty());
    CHECK(report.header.name == "spring-launch");
    CHECK(report.header.dry_run == false);
    CHECK(report.recipients == 5);
    CHECK(f.json_opens == 2);
    CHECK(f.csv_opens == std::vector<std::string>{"spring.csv"});
    REQUIRE(f.sunk.size() == 5);
    CHECK(f.sunk[0].username == "alice");
    CHECK(f.sunk[0].text == "Hi Alice, we just shipped our new app.");
    CHECK(f.sunk[1].user_id == "44196397");
    CHECK(f.sunk[1].text == "Hi Bob, we just shipped v2.");
    CHECK(f.sunk[2].username == "carol");  // '@' stripped in CSV too
    CHECK(f.sunk[2].user_id.empty());
    CHECK(f.sunk[2].text == "Hi Carol, we just shipped our new app.");  // empty cell = no value
    CHECK(f.sunk[3].user_id == "1858475867762270208");
    CHECK(f.sunk[3].text == "Hi Dan, we just shipped v3.");
    CHECK(f.sunk[4].username == "erin");
    CHECK(f.sunk[4].user_id == "99");
    CHECK(f.sunk[4].text == "Hi Erin, PhD, we just shipped our new app.");
  }
}

TEST_CASE("read_campaign: an empty sink only validates") {
  Fixture f{kDocumentedExample, {{"spring.csv", kSpringCsv}}};
  auto report = read_campaign(f.sources(), {"sales-1", "sales-2"}, {});
  CHECK(report.problems.empty());
  CHECK(report.recipients == 5);
}

TEST_CASE("read_campaign: key order is free — message after recipients") {
  Fixture f{R"({"recipients": [{"username": "a", "vars": {"x": "1"}}, {"user_id": "2"}],
                        "accounts": ["sales-1"], "message": "x={{x|none}} {{username|?}}", "name": "late"})"};
  auto report = f.run();
  INFO(report.problems.to_text());
  CHECK(report.problems.empty());
  REQUIRE(f.sunk.size() == 2);
  CHECK(f.sunk[0].text == "x=1 a");
  CHECK(f.sunk[1].text == "x=none ?");
}

TEST_CASE("read_campaign: a CSV-only campaign reads the JSON once") {
  Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "hi {{username}}", "recipients_csv": "r.csv"})",
            {{"r.csv", "username\nann\nbob\n"}}};
  auto report = f.run();
  CHECK(report.problems.empty());
  CHECK(f.json_opens == 1);
  REQUIRE(f.sunk.size() == 2);
  CHECK(f.sunk[1].text == "hi bob");
}

TEST_CASE("read_campaign: a missing variable and an unknown account") {
  Fixture f{R"({"name": "c", "accounts": ["sales-1", "sales-3"], "message": "Hi {{name}} {{city}}",
                        "recipients": [{"username": "a", "vars": {"name": "A", "city": "X"}}, {"username": "b"}]})"};
  auto report = f.run();
  INFO(report.problems.to_text());
  CHECK(report.problems.total() == 2);
  CHECK(has(report.problems, "accounts[1]", "account \"sales-3\" is not configured"));
  CHECK(has(report.problems, "recipients[1]", "{{name}}, {{city}}"));
  CHECK(f.sunk.empty());  // a problem was known before any recipient: nothing reached storage
  CHECK(report.recipients == 2);
}

TEST_CASE("read_campaign: a 10,001-character message is rejected, 10,000 is fine") {
  Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "{{t}}", "recipients": [
      {"username": "a", "vars": {"t": ")" + std::string(10'000, 'x') + R"("}},
      {"username": "b", "vars": {"t": ")" + std::string(10'001, 'x') + R"("}}]})"};
  auto report = f.run();
  INFO(report.problems.to_text());
  REQUIRE(report.problems.total() == 1);
  CHECK(has(report.problems, "recipients[1]", "10001 characters"));
  CHECK(f.sunk.size() == 1);  // the first one went to the sink before the problem; the caller discards it
}

TEST_CASE("read_campaign: a file with several problems reports all of them in order") {
  Fixture f{R"({
      "name": "bad name!",
      "accounts": ["nope"],
      "message": "Hi {{name}}",
      "reciepients": [],
      "recipients": [
        {"username": "ok", "vars": {"name": "Ok"}},
        {"user_id": 44196397},
        {"username": "missing_var"},
        {"vars": {"name": "x"}}
      ],
      "recipients_csv": "r.csv",
      "priority": 1.5
    })",
            {{"r.csv", "user_id,name\n12,Twelve\nx1,Bad\n13\n,Empty\n14,\n"}}};
  auto report = f.run();
  INFO(report.problems.to_text());
  CHECK(locations(report.problems) == std::vector<std::string>{
                                          // pass 1: document and header, in file order
                                          "reciepients", "priority",
                                          // header validation
                                          "name", "accounts[0]",
                                          // pass 2: inline recipients, then CSV rows, by line
                                          "recipients[1].user_id", "recipients[2]", "recipients[3]",
                                          "r.csv line 3", "r.csv line 4", "r.csv line 5", "r.csv line 6"});
  CHECK(has(report.problems, "recipients[1].user_id", "ids must be strings"));
  CHECK(has(report.problems, "recipients[2]", "{{name}}"));
  CHECK(has(report.problems, "recipients[3]", "needs a \"username\" or a \"user_id\""));
  CHECK(has(report.problems, "r.csv line 3", "user_id \"x1\" must be 1 to 20 decimal digits"));
  CHECK(has(report.problems, "r.csv line 4", "row has 1 cell but the header has 2 columns"));
  CHECK(has(report.problems, "r.csv line 5", "needs a username or a user_id"));
  CHECK(has(report.problems, "r.csv line 6", "{{name}}"));
  CHECK(report.recipients == 8);  // 4 inline + 4 delivered CSV rows (line 4 is not a row)
  CHECK(f.sunk.empty());
  CHECK(report.problems.to_text().find("name: \"bad name!\" must be") != std::string::npos);
}

TEST_CASE("read_campaign: a JSON syntax error is reported once, with recipients before it still checked") {
  Fixture f{"{\"name\": \"c\", \"accounts\": [\"sales-1\"], \"message\": \"{{x}}\",\n"
                    " \"recipients\": [{\"username\": \"a\"},\n {\"username\": \"b\" \"vars\": {}}]}"};
  auto report = f.run();
  INFO(report.problems.to_text());
  CHECK(locations(report.problems) == std::vector<std::string>{"line 3 column 19", "recipients[0]"});
  CHECK(report.problems.kept()[0].message == "invalid JSON: unexpected '\"'");
}

TEST_CASE("read_campaign: CSV problems") {
  auto json = [](std::string const& csv) {
    return R"({"name": "c", "accounts": ["sales-1"], "message": "hi", "recipients_csv": ")" + csv + R"("})";
  };
  SUBCASE("the file cannot be opened") {
    Fixture f{json("gone.csv")};
    auto report = f.run();
    CHECK(locations(report.problems) == std::vector<std::string>{"recipients_csv"});
    CHECK(has(report.problems, "recipients_csv", "\"gone.csv\" does not exist"));
  }
  SUBCASE("no username or user_id column") {
    Fixture f{json("r.csv"), {{"r.csv", "name, username\nAl,al\n"}}};
    auto report = f.run();
    CHECK(locations(report.problems) == std::vector<std::string>{"r.csv"});
    CHECK(has(report.problems, "r.csv", "needs a \"username\" or \"user_id\" column (it has \"name\", \" username\")"));
    CHECK(f.sunk.empty());
  }
  SUBCASE("a header row and no data rows") {
    Fixture f{json("r.csv"), {{"r.csv", "username,name\n"}}};
    auto report = f.run();
    CHECK(locations(report.problems) == std::vector<std::string>{"recipients_csv"});
    CHECK(has(report.problems, "recipients_csv", "the campaign has no recipients"));
  }
  SUBCASE("a header without identity columns and no rows is still reported") {
    Fixture f{json("r.csv"), {{"r.csv", "name\n"}}};
    auto report = f.run();
    CHECK(locations(report.problems) == std::vector<std::string>{"r.csv"});
  }
  SUBCASE("an empty file") {
    Fixture f{json("r.csv"), {{"r.csv", ""}}};
    auto report = f.run();
    CHECK(locations(report.problems) == std::vector<std::string>{"r.csv line 1"});
  }
  SUBCASE("a BOM, quoted fields and CRLF; invalid UTF-8 in a used variable") {
    Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "{{note}}", "recipients_csv": "r.csv"})",
              {{"r.csv", "\xEF\xBB\xBFusername,note\r\nann,\"multi\r\nline\"\r\nbob,\"bad \xC3(\"\r\n"}}};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(locations(report.problems) == std::vector<std::string>{"r.csv line 4"});
    REQUIRE(f.sunk.size() == 1);
    CHECK(f.sunk[0].text == "multi\r\nline");
  }
}

TEST_CASE("read_campaign: zero recipients is a problem") {
  Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "hi", "recipients": []})"};
  auto report = f.run();
  CHECK(locations(report.problems) == std::vector<std::string>{"recipients"});
  CHECK(has(report.problems, "recipients", "the campaign has no recipients"));
}

TEST_CASE("read_campaign: problems beyond the first 1,000 are counted, not listed") {
  std::string json = R"({"name": "c", "accounts": ["sales-1"], "message": "hi", "recipients": [)";
  for (int i = 0; i < 1'500; ++i) json += (i ? ",{}" : "{}");
  json += "], \"recipients_csv\": \"r.csv\"}";
  std::string csv = "username\n";
  for (int i = 0; i < 2'000; ++i) csv += "bad name\n";
  Fixture f{json, {{"r.csv", csv}}};
  auto report = f.run();
  CHECK(report.problems.total() == 3'500);
  CHECK(report.problems.kept().size() == 1'000);
  CHECK(report.problems.kept().back().location == "recipients[999]");
  auto const text = report.problems.to_text();
  CHECK(text.substr(text.rfind('\n', text.size() - 2) + 1) == "\u2026 and 2,500 more problems\n");
}

TEST_CASE("read_campaign: CSV reader problems beyond its own cap are still counted") {
  std::string csv = "username,x\n";
  for (int i = 0; i < 1'200; ++i) csv += "a\n";  // each row has too few cells
  Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "hi", "recipients_csv": "r.csv"})",
            {{"r.csv", csv}}};
  auto report = f.run();
  CHECK(report.problems.total() == 1'200);
  CHECK(report.problems.kept().size() == 1'000);
  CHECK(report.problems.kept().front().location == "r.csv line 2");
}

namespace {

/// A campaign JSON with `count` recipients, produced as it is read: the test itself never holds
/// the whole file, just as read_campaign must not.
ByteSource generated_campaign(std::size_t count) {
  struct State {
    std::string pending = R"json({"name": "big", "accounts": ["sales-1"], "message": "Hi {{name}} ({{username}})",
                             "recipients": [)json";
    std::size_t at = 0;
    std::size_t next = 0;
    bool closed = false;
  };
  auto state = std::make_shared<State>();
  return [state, count](char* buffer, std::size_t capacity) -> std::size_t {
    auto& s = *state;
    if (s.at == s.pending.size()) {
      s.pending.clear();
      s.at = 0;
      for (int batch = 0; batch < 256 && s.next < count; ++batch, ++s.next) {
        const auto n = std::to_string(s.next);
        s.pending.append(s.next ? ",\n{\"username\":\"u" : "\n{\"username\":\"u").append(n);
        s.pending.append("\",\"vars\":{\"name\":\"N").append(n).append("\"}}");
      }
      if (s.pending.empty() && !s.closed) {
        s.pending = "\n]}\n";
        s.closed = true;
      }
    }
    const std::size_t n = std::min(capacity, s.pending.size() - s.at);
    std::memcpy(buffer, s.pending.data() + s.at, n);
    s.at += n;
    return n;
  };
}

}  // namespace

TEST_CASE("read_campaign: 200,000 recipients stream through to the sink") {
  constexpr std::size_t kCount = 200'000;
  int opens = 0;
  std::size_t sunk = 0;
  std::string first;
  std::string last;
  CampaignSources sources{.open_json =
                              [&] {
                                ++opens;
                                return generated_campaign(kCount);
                              },
                          .open_csv = {}};
  auto report = read_campaign(sources, {"sales-1"}, [&](ValidRecipient&& r) {
    if (sunk == 0) first = r.text;
    last = std::move(r.text);
    ++sunk;
  });
  INFO(report.problems.to_text());
  CHECK(report.problems.empty());
  CHECK(opens == 2);
  CHECK(report.recipients == kCount);
  CHECK(sunk == kCount);
  CHECK(first == "Hi N0 (u0)");
  CHECK(last == "Hi N199999 (u199999)");
}

TEST_CASE("read_campaign: a JSON file starting with a UTF-8 byte-order mark (BOM) is read like one without") {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{4096}}) {
    CAPTURE(chunk);
    Fixture f{"\xEF\xBB\xBF" + kDocumentedExample, {{"spring.csv", "\xEF\xBB\xBF" + kSpringCsv}}, chunk};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(report.problems.empty());
    CHECK(report.header.name == "spring-launch");
    CHECK(report.recipients == 5);
    REQUIRE(f.sunk.size() == 5);
    CHECK(f.sunk[0].text == "Hi Alice, we just shipped our new app.");
  }
}

TEST_CASE("read_campaign: control characters in the message or any variable make the file invalid") {
  SUBCASE("the message, naming the character and its position") {
    Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "Hi\u001b[2J {{name}}",
                  "recipients": [{"username": "a", "vars": {"name": "A"}}]})"};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(locations(report.problems) == std::vector<std::string>{"message"});
    CHECK(has(report.problems, "message",
              "contains the control character U+001B (ESC) at character 3; only newline and tab are allowed"));
    CHECK(f.sunk.empty());
  }
  SUBCASE("JSON vars, used by the template or not, each at its recipient and variable") {
    Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "Hi {{name}}",
                  "recipients": [
                    {"username": "a", "vars": {"name": "A\n\tB\r\nC"}},
                    {"username": "b", "vars": {"name": "B\u0000"}},
                    {"username": "c", "vars": {"name": "C", "note": "x\u0085", "first name": "\u0007"}},
                    {"username": "d", "vars": {"name": "D"}}]})"};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(locations(report.problems) ==
          std::vector<std::string>{"recipients[1].vars.name", "recipients[2].vars.note", "recipients[2].vars.\"first name\""});
    CHECK(has(report.problems, "recipients[1].vars.name",
              "contains the control character U+0000 (NUL) at character 2; only newline and tab are allowed"));
    CHECK(has(report.problems, "recipients[2].vars.note", "U+0085 at character 2"));
    CHECK(has(report.problems, "recipients[2].vars.\"first name\"", "U+0007 (BEL) at character 1"));
    CHECK(report.recipients == 4);
  }
  SUBCASE("CSV cells, at their line and naming the column") {
    Fixture f{R"({"name": "c", "accounts": ["sales-1"], "message": "Hi {{name}}", "recipients_csv": "r.csv"})",
              {{"r.csv", "username,name,note\n"
                         "ann,Ann,\"two\nlines\ttab\"\n"
                         "bob,Bob\x1b]0;title\x07,\n"
                         "cy,Cy,\xC2\x9B\n"}}};
    auto report = f.run();
    INFO(report.problems.to_text());
    CHECK(locations(report.problems) == std::vector<std::string>{"r.csv line 4", "r.csv line 5"});
    CHECK(has(report.problems, "r.csv line 4",
              "the \"name\" cell contains the control character U+001B (ESC) at character 4; only newline and tab "
              "are allowed"));
    CHECK(has(report.problems, "r.csv line 5", "the \"note\" cell contains the control character U+009B at character 1"));
    CHECK(report.recipients == 3);
  }
}
