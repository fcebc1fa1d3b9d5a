#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/csv_reader.hpp"

using namespace outreach;

namespace {

struct Row {
  std::size_t line;
  std::vector<std::string> cells;
  bool operator==(Row const&) const = default;
};

// So doctest prints rows in failure messages.
[[maybe_unused]] std::ostream& operator<<(std::ostream& os, Row const& row) {
  os << "{line " << row.line << ":";
  for (auto const& c : row.cells) os << " [" << c << "]";
  return os << "}";
}

struct Parsed {
  std::vector<std::string> header;
  std::vector<Row> rows;
  std::vector<CsvProblem> problems;
  std::size_t problem_count = 0;
};

/// Feeds `input` in chunks of `chunk` bytes (0 = all at once).
Parsed parse(std::string_view input, std::size_t chunk = 0, std::size_t max_problems = CsvReader::kDefaultMaxProblems,
             std::size_t max_row_bytes = CsvReader::kDefaultMaxRowBytes) {
  Parsed out;
  CsvReader reader(
      [&](CsvRow const& row) {
        CHECK(row.cells.size() == reader.header().size());
        out.rows.push_back(Row{row.line, {row.cells.begin(), row.cells.end()}});
      },
      max_problems, max_row_bytes);
  if (chunk == 0) {
    reader.feed(input);
  } else {
    for (std::size_t i = 0; i < input.size(); i += chunk) reader.feed(input.substr(i, chunk));
  }
  reader.finish();
  out.header = reader.header();
  out.problems = reader.problems();
  out.problem_count = reader.problem_count();
  CHECK(reader.row_count() == out.rows.size());
  return out;
}

/// Same as parse() but split into exactly two chunks at `at`.
Parsed parse_split(std::string_view input, std::size_t at) {
  Parsed out;
  CsvReader reader([&](CsvRow const& row) { out.rows.push_back(Row{row.line, {row.cells.begin(), row.cells.end()}}); });
  reader.feed(input.substr(0, at));
  reader.feed("");  // empty chunks are harmless anywhere
  reader.feed(input.substr(at));
  reader.finish();
  out.header = reader.header();
  out.problems = reader.problems();
  out.problem_count = reader.problem_count();
  return out;
}

void check_same(Parsed const& a, Parsed const& b) {
  CHECK(a.header == b.header);
  CHECK(a.rows == b.rows);
  REQUIRE(a.problems.size() == b.problems.size());
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    CHECK(a.problems[i].line == b.problems[i].line);
    CHECK(a.problems[i].message == b.problems[i].message);
  }
  CHECK(a.problem_count == b.problem_count);
}

using Cells = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: header and rows with LF, with and without a trailing newline") {
  for (std::string input : {"username,name\nalice,Alice\nbob,Bob\n", "username,name\nalice,Alice\nbob,Bob"}) {
    auto p = parse(input);
    CHECK(p.header == Cells{"username", "name"});
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0] == Row{2, {"alice", "Alice"}});
    CHECK(p.rows[1] == Row{3, {"bob", "Bob"}});
    CHECK(p.problems.empty());
  }
}

TEST_CASE("csv: CRLF and lone CR line endings") {
  auto p = parse("username,name\r\nalice,Alice\r\nbob,Bob\r\n");
  CHECK(p.header == Cells{"username", "name"});
  CHECK(p.rows == std::vector<Row>{{2, {"alice", "Alice"}}, {3, {"bob", "Bob"}}});
  CHECK(p.problems.empty());

  p = parse("username\rcarol\r\rdave");
  CHECK(p.rows == std::vector<Row>{{2, {"carol"}}, {4, {"dave"}}});

  p = parse("username\nann\r\nbo\rcy\n");  // mixed
  CHECK(p.rows == std::vector<Row>{{2, {"ann"}}, {3, {"bo"}}, {4, {"cy"}}});
}

TEST_CASE("csv: quoted fields with commas, doubled quotes and line breaks") {
  auto p = parse(
      "username,msg,n\n"
      "alice,\"Hello, \"\"friend\"\"\",1\n"
      "bob,\"two\nlines\",2\n"
      "carol,\"crlf\r\ninside\",3\n"
      "dave,\"\",\"\"\n"
      "\"erin\",\"\"\"\",5\n");
  CHECK(p.problems.empty());
  REQUIRE(p.rows.size() == 5);
  CHECK(p.rows[0] == Row{2, {"alice", "Hello, \"friend\"", "1"}});
  CHECK(p.rows[1] == Row{3, {"bob", "two\nlines", "2"}});
  CHECK(p.rows[2] == Row{5, {"carol", "crlf\r\ninside", "3"}});  // line numbers count physical lines
  CHECK(p.rows[3] == Row{7, {"dave", "", ""}});
  CHECK(p.rows[4] == Row{8, {"erin", "\"", "5"}});
}

TEST_CASE("csv: empty cells, spaces kept, quoted header names") {
  auto p = parse("\"user id\", name ,x\n,, \n a , b ,\"\"\n");
  CHECK(p.header == Cells{"user id", " name ", "x"});
  CHECK(p.rows == std::vector<Row>{{2, {"", "", " "}}, {3, {" a ", " b ", ""}}});
  CHECK(p.problems.empty());

  // A single-column file: a quoted empty cell is a row, an empty line is not.
  p = parse("username\n\"\"\n\nbob\n");
  CHECK(p.rows == std::vector<Row>{{2, {""}}, {4, {"bob"}}});
}

TEST_CASE("csv: a UTF-8 byte order mark is dropped, also when split across chunks") {
  std::string const input = "\xEF\xBB\xBFusername,name\nalice,Al\xC3\xA9\n";
  auto whole = parse(input);
  CHECK(whole.header == Cells{"username", "name"});
  CHECK(whole.rows == std::vector<Row>{{2, {"alice", "Al\xC3\xA9"}}});
  CHECK(whole.problems.empty());
  check_same(whole, parse(input, 1));
  check_same(whole, parse(input, 2));
  // Only a leading BOM is special; later it is data.
  auto later = parse("username\n\xEF\xBB\xBF" "bob\n");
  CHECK(later.rows == std::vector<Row>{{2, {"\xEF\xBB\xBF" "bob"}}});
}

TEST_CASE("csv: bytes that only start like a BOM are data") {
  // "\xEF\xBB" then 'x' is not a BOM; the held-back bytes are replayed (and are invalid UTF-8).
  for (std::size_t chunk : {0u, 1u, 2u}) {
    auto p = parse("\xEF\xBBx\nv\n", chunk);
    REQUIRE(p.header.size() == 1);
    CHECK(p.header[0] == "\xEF\xBBx");
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].line == 1);
    CHECK(p.problems[0].message == "header column 1 is not valid UTF-8");
  }
  // Input that ends inside a possible BOM.
  auto p = parse("\xEF\xBB", 1);
  CHECK(p.header == Cells{"\xEF\xBB"});
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].message == "header column 1 is not valid UTF-8");
  p = parse("\xEF\xBB\xBF");
  CHECK(p.header.empty());
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].message == "the file is empty; its first row must be a header naming the columns");
}

TEST_CASE("csv: blank lines are skipped anywhere and do not shift line numbers") {
  auto p = parse("\n\r\nusername,x\n\nalice,1\r\n\r\n\nbob,2\n\n");
  CHECK(p.header == Cells{"username", "x"});
  CHECK(p.rows == std::vector<Row>{{5, {"alice", "1"}}, {8, {"bob", "2"}}});
  CHECK(p.problems.empty());
}

TEST_CASE("csv: an empty file, or one with only blank lines, has no header") {
  for (std::string input : {"", "\n", "\r\n\r\n", "\n\n\n"}) {
    auto p = parse(input);
    CHECK(p.header.empty());
    CHECK(p.rows.empty());
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].line == 1);
    CHECK(p.problems[0].message == "the file is empty; its first row must be a header naming the columns");
  }
  auto only_header = parse("username,name\n");
  CHECK(only_header.header == Cells{"username", "name"});
  CHECK(only_header.rows.empty());
  CHECK(only_header.problems.empty());
}

TEST_CASE("csv: ragged rows are reported with their line and skipped, the rest is still read") {
  auto p = parse("a,b,c\n1,2,3\n1,2\n1,2,3,4\n\"multi\nline\",x\n1,,\n7\n");
  CHECK(p.rows == std::vector<Row>{{2, {"1", "2", "3"}}, {7, {"1", "", ""}}});
  REQUIRE(p.problems.size() == 4);
  CHECK(p.problems[0].line == 3);
  CHECK(p.problems[0].message == "row has 2 cells but the header has 3 columns");
  CHECK(p.problems[1].line == 4);
  CHECK(p.problems[1].message == "row has 4 cells but the header has 3 columns");
  CHECK(p.problems[2].line == 5);  // where the row starts, not where it ends
  CHECK(p.problems[3].line == 8);
  CHECK(p.problems[3].message == "row has 1 cell but the header has 3 columns");

  auto one = parse("username\nalice,extra\n");
  REQUIRE(one.problems.size() == 1);
  CHECK(one.problems[0].message == "row has 2 cells but the header has 1 column");
}

TEST_CASE("csv: a row of many commas is reported without storing every cell") {
  std::string input = "a,b\n" + std::string(100'000, ',') + "\nx,y\n";
  auto p = parse(input);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].message == "row has 100001 cells but the header has 2 columns");
  CHECK(p.rows == std::vector<Row>{{3, {"x", "y"}}});
}

TEST_CASE("csv: an unterminated quote is reported at the line where it opens") {
  auto p = parse("username,msg\nalice,hi\nbob,\"never\nclosed\n");
  CHECK(p.rows == std::vector<Row>{{2, {"alice", "hi"}}});
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].line == 3);
  CHECK(p.problems[0].message == "the quoted field starting on line 3 is never closed");

  // In the header: reported once, and no "empty file" problem on top.
  p = parse("\"username\n");
  CHECK(p.header.empty());
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].message == "the quoted field starting on line 1 is never closed");

  // A quote closed right at the end of the input is fine.
  p = parse("u,m\na,\"done\"");
  CHECK(p.rows == std::vector<Row>{{2, {"a", "done"}}});
  CHECK(p.problems.empty());
}

TEST_CASE("csv: quotes in the wrong place are reported and the row skipped") {
  auto p = parse("u,m\nal\"ice,x\n\"bob\"x,y\n\"carol\" ,z\nok,1\n");
  CHECK(p.rows == std::vector<Row>{{5, {"ok", "1"}}});
  REQUIRE(p.problems.size() == 3);
  CHECK(p.problems[0].line == 2);
  CHECK(p.problems[0].message ==
        "a quote appears inside an unquoted field; put the whole field in quotes and write the quote as \"\"");
  CHECK(p.problems[1].line == 3);
  CHECK(p.problems[1].message == "text follows the closing quote of a quoted field");
  CHECK(p.problems[2].line == 4);

  // One problem per row, even when the row has several.
  p = parse("u,m\na\"b,c\"d\n");
  CHECK(p.problems.size() == 1);
  // The problem's line is where the quote is, inside a multi-line row.
  p = parse("u,m\n\"a\nb\",c\"d\n");
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].line == 3);
}

TEST_CASE("csv: empty and duplicate column names are reported, rows are still read") {
  auto p = parse("username,,name,name\na,b,c,d\n");
  REQUIRE(p.problems.size() == 2);
  CHECK(p.problems[0].line == 1);
  CHECK(p.problems[0].message == "header column 2 has no name");
  CHECK(p.problems[1].line == 1);
  CHECK(p.problems[1].message == "column name \"name\" appears more than once in the header");
  CHECK(p.rows == std::vector<Row>{{2, {"a", "b", "c", "d"}}});

  // The header's line is where it starts, after leading blank lines.
  p = parse("\n\nx,x\n");
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].line == 3);
}

TEST_CASE("csv: a header row with a misplaced quote is reported but still names the columns") {
  auto p = parse("us\"er,name\na,b\nc\n");
  CHECK(p.header == Cells{"us\"er", "name"});
  CHECK(p.rows == std::vector<Row>{{2, {"a", "b"}}});
  REQUIRE(p.problems.size() == 2);
  CHECK(p.problems[0].line == 1);
  CHECK(p.problems[1].line == 3);
}

TEST_CASE("csv: a reader without a row handler still reads the header and finds problems") {
  CsvReader reader(nullptr);
  reader.feed("username,name\nalice,A\nbob\n");
  reader.finish();
  CHECK(reader.header() == Cells{"username", "name"});
  CHECK(reader.row_count() == 1);
  REQUIRE(reader.problems().size() == 1);
  CHECK(reader.problems()[0].line == 3);
}

TEST_CASE("csv: a cell that is not valid UTF-8 is reported with its column") {
  auto p = parse("username,name\nalice,A\xFF\nbob,\xC3\xA9\n");
  CHECK(p.rows == std::vector<Row>{{3, {"bob", "\xC3\xA9"}}});
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].line == 2);
  CHECK(p.problems[0].message == "the \"name\" cell is not valid UTF-8 (invalid byte at byte offset 1)");
}

TEST_CASE("csv: problems past the cap are counted but not stored") {
  std::string input = "a,b\n";
  for (int i = 0; i < 10; ++i) input += "only-one\n";
  input += "x,y\n";
  auto p = parse(input, 0, 3);
  CHECK(p.problems.size() == 3);
  CHECK(p.problem_count == 10);
  CHECK(p.problems[2].line == 4);
  CHECK(p.rows == std::vector<Row>{{12, {"x", "y"}}});
}

TEST_CASE("csv: a row longer than max_row_bytes is reported and skipped") {
  auto p = parse("u,m\na,short\nb," + std::string(100, 'x') + "\nc,ok\n", 0, 100, 32);
  CHECK(p.rows == std::vector<Row>{{2, {"a", "short"}}, {4, {"c", "ok"}}});
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].line == 3);
  CHECK(p.problems[0].message == "row is longer than 32 bytes (is a quote never closed?)");

  // An unclosed quote near the top: the buffered text stops growing at the cap and both the
  // length and the unclosed quote are reported.
  std::string big = "u,m\na,\"oops\n";
  for (int i = 0; i < 1000; ++i) big += "b,row\n";
  p = parse(big, 7, 100, 64);
  CHECK(p.rows.empty());
  REQUIRE(p.problems.size() == 2);
  CHECK(p.problems[0].line == 2);
  CHECK(p.problems[0].message == "row is longer than 64 bytes (is a quote never closed?)");
  CHECK(p.problems[1].message == "the quoted field starting on line 2 is never closed");

  // Exactly at the cap is allowed: "a,1234" is 6 bytes (the line break does not count).
  p = parse("u,m\na,1234\n", 0, 100, 6);
  CHECK(p.problems.empty());
  CHECK(p.rows.size() == 1);
  p = parse("u,m\na,12345\n", 0, 100, 6);
  CHECK(p.rows.empty());
}

TEST_CASE("csv: column() finds the first column with a name") {
  std::optional<std::size_t> before, username, user_id, missing;
  CsvReader reader([&](CsvRow const&) {});
  before = reader.column("username");
  reader.feed("name,username,user_id,username\n");
  username = reader.column("username");
  user_id = reader.column("user_id");
  missing = reader.column("nope");
  reader.finish();
  reader.finish();  // a second finish() is harmless
  CHECK_FALSE(before.has_value());
  CHECK(username == 1u);
  CHECK(user_id == 2u);
  CHECK_FALSE(missing.has_value());
}

TEST_CASE("csv: any chunking gives the same rows and problems as feeding the file whole") {
  std::string const input =
      "\xEF\xBB\xBFusername,user_id,msg\r\n"
      "alice,1,\"Hi, \"\"you\"\"\r\nsecond line\"\r\n"
      "\r\n"
      "bob,2,caf\xC3\xA9 \xF0\x9F\x98\x80\n"
      "carol,3\n"
      "dave,4,\"bad\"x\r"
      "erin,5,\"\"\r\n"
      "frank,6,\"unterminated\r\nrest";
  auto whole = parse(input);
  REQUIRE(whole.rows.size() == 3);
  CHECK(whole.rows[0] == Row{2, {"alice", "1", "Hi, \"you\"\r\nsecond line"}});
  CHECK(whole.rows[1] == Row{5, {"bob", "2", "caf\xC3\xA9 \xF0\x9F\x98\x80"}});
  CHECK(whole.rows[2] == Row{8, {"erin", "5", ""}});
  REQUIRE(whole.problems.size() == 3);
  CHECK(whole.problems[0].line == 6);
  CHECK(whole.problems[1].line == 7);
  CHECK(whole.problems[2].line == 9);

  for (std::size_t chunk = 1; chunk <= 9; ++chunk) {
    CAPTURE(chunk);
    check_same(whole, parse(input, chunk));
  }
  for (std::size_t at = 0; at <= input.size(); ++at) {
    CAPTURE(at);
    check_same(whole, parse_split(input, at));
  }
}

TEST_CASE("csv: a CRLF split across chunks is one line break") {
  CsvReader::RowHandler ignore = [](CsvRow const&) {};
  std::vector<Row> rows;
  CsvReader reader([&](CsvRow const& row) { rows.push_back(Row{row.line, {row.cells.begin(), row.cells.end()}}); });
  reader.feed("u\r");
  reader.feed("\na\r");
  reader.feed("\n\r");
  reader.feed("\nb");
  reader.finish();
  CHECK(rows == std::vector<Row>{{2, {"a"}}, {4, {"b"}}});
  CHECK(reader.problems().empty());
}

TEST_CASE("csv: a large file streams with correct line numbers") {
  constexpr std::size_t kRows = 200'000;
  std::size_t seen = 0;
  bool all_match = true;
  CsvReader reader([&](CsvRow const& row) {
    ++seen;
    // Row k (1-based) is on line k + 1 and holds "user<k>,<k>".
    auto const k = row.line - 1;
    if (k != seen || row.cells[0] != "user" + std::to_string(k) || row.cells[1] != std::to_string(k)) {
      all_match = false;
    }
  });
  reader.feed("username,n\n");
  std::string block;
  for (std::size_t k = 1; k <= kRows; ++k) {
    block += "user" + std::to_string(k) + "," + std::to_string(k) + "\n";
    if (block.size() > 4000) {
      reader.feed(block);
      block.clear();
    }
  }
  reader.feed(block);
  reader.finish();
  CHECK(seen == kRows);
  CHECK(reader.row_count() == kRows);
  CHECK(all_match);
  CHECK(reader.problems().empty());
}
