// core/csv_reader (recipients_csv files), and the CSV half of core/campaign_reader.
// Invariants:
// - feeding the file whole, in arbitrary chunks, or byte by byte gives the same header, rows and
//   problems (the reader is streaming: chunks may split CRLF, quotes, UTF-8 and the BOM);
// - every problem has a message and a line within the file; rows come in line order, each with
//   exactly one cell per column, all valid UTF-8; row_count() counts what was delivered;
// - the rows round-trip: written back as RFC 4180 (every field quoted) and read again, they
//   give the same header and cells with no row problems;
// - read as a campaign's recipients_csv, problems are located at "r.csv line N" (or the header),
//   and valid recipients reach the sink only while no problem has been found.
#include <algorithm>

#include "common.hpp"
#include "core/campaign_reader.hpp"
#include "core/csv_reader.hpp"
#include "core/utf8.hpp"

using namespace outreach;

namespace {

struct Read {
  std::vector<std::string> header;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> rows;
  std::vector<std::pair<std::size_t, std::string>> problems;
  std::size_t problem_count = 0;
  std::size_t row_count = 0;

  bool operator==(Read const&) const = default;
};

template <class Feed>
Read read(Feed feed, std::size_t max_row_bytes = 4096) {
  Read out;
  CsvReader reader(
      [&](CsvRow const& row) {
        out.rows.emplace_back(row.line, std::vector<std::string>(row.cells.begin(), row.cells.end()));
      },
      /*max_problems=*/50, max_row_bytes);
  feed(reader);
  reader.finish();
  out.header = reader.header();
  for (auto const& p : reader.problems()) out.problems.emplace_back(p.line, p.message);
  out.problem_count = reader.problem_count();
  out.row_count = reader.row_count();
  return out;
}

std::string quoted_field(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string write_csv(std::vector<std::string> const& header, std::vector<std::vector<std::string>> const& rows) {
  std::string out;
  auto line = [&](std::vector<std::string> const& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + quoted_field(cells[i]);
    out += "\r\n";
  };
  line(header);
  for (auto const& r : rows) line(r);
  return out;
}

void check_campaign_csv(std::string_view csv) {
  const std::string json =
      R"({"name":"fuzz","accounts":["sales-1"],"message":"Hi {{name|there}} {{username}}","recipients_csv":"r.csv"})";
  CampaignSources sources;
  sources.open_json = [&json] {
    return ByteSource([&json, done = false](char* buffer, std::size_t capacity) mutable -> std::size_t {
      if (done) return 0;
      done = true;
      const std::size_t n = std::min(capacity, json.size());
      std::copy_n(json.data(), n, buffer);
      return n;
    });
  };
  sources.open_csv = [csv](std::string const& path) -> Result<ByteSource> {
    FUZZ_CHECK(path == "r.csv", path);
    return ByteSource([csv, at = std::size_t{0}](char* buffer, std::size_t capacity) mutable -> std::size_t {
      const std::size_t n = std::min({capacity, csv.size() - at, std::size_t{777}});
      std::copy_n(csv.data() + at, n, buffer);
      at += n;
      return n;
    });
  };
  std::size_t sunk = 0;
  CampaignReport report = read_campaign(sources, AccountNames{"sales-1"}, [&](ValidRecipient&& r) {
    ++sunk;
    FUZZ_CHECK(is_valid_utf8(r.text), "");
    FUZZ_CHECK(!r.username.empty() || !r.user_id.empty(), "");
  });
  for (Problem const& p : report.problems.kept()) {
    FUZZ_CHECK(!p.message.empty(), "a problem without a message at " + p.location);
    if (p.location == "recipients_csv") {
      FUZZ_CHECK(p.message == "the campaign has no recipients", p.message);
      continue;
    }
    FUZZ_CHECK(fuzz::starts_with(p.location, "r.csv"), "unexpected location " + fuzz::show(p.location));
    if (p.location != "r.csv") {
      std::size_t line = 0;
      FUZZ_CHECK(fuzz::number_after(p.location, "r.csv line ", line) && line >= 1 && line <= fuzz::physical_lines(csv),
                 fuzz::show(p.location));
    }
  }
  FUZZ_CHECK(sunk <= report.recipients, "");
  if (report.problems.empty()) FUZZ_CHECK(sunk == report.recipients, "a valid file lost recipients");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view csv = fuzz::as_text(data, size);
  const Read whole = read([&](CsvReader& r) { r.feed(csv); });
  const Read pieces = read([&](CsvReader& r) {
    for (std::string_view c : fuzz::chunks(csv, 1)) r.feed(c);
  });
  FUZZ_CHECK(whole == pieces, "chunked reading differs from whole reading");
  if (size <= 1024) {
    const Read bytes = read([&](CsvReader& r) {
      for (std::size_t i = 0; i < csv.size(); ++i) r.feed(csv.substr(i, 1));
    });
    FUZZ_CHECK(whole == bytes, "byte-by-byte reading differs from whole reading");
  }

  const std::size_t last_line = fuzz::physical_lines(csv);
  for (auto const& [line, message] : whole.problems) {
    FUZZ_CHECK(!message.empty(), "");
    FUZZ_CHECK(line >= 1 && line <= last_line, "problem at line " + std::to_string(line) + " of " + std::to_string(last_line));
  }
  FUZZ_CHECK(whole.problems.size() == std::min<std::size_t>(whole.problem_count, 50), "");
  FUZZ_CHECK(whole.row_count == whole.rows.size(), "");
  std::size_t previous = 0;
  for (auto const& [line, cells] : whole.rows) {
    FUZZ_CHECK(line > previous && line <= last_line, "row line " + std::to_string(line));
    previous = line;
    FUZZ_CHECK(cells.size() == whole.header.size(), "");
    for (auto const& c : cells) FUZZ_CHECK(is_valid_utf8(c), fuzz::show(c));
  }
  if (whole.header.empty()) FUZZ_CHECK(whole.rows.empty(), "rows without a header");

  // Round trip through an RFC 4180 writer.
  if (!whole.header.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (auto const& r : whole.rows) rows.push_back(r.second);
    const std::string again_text = write_csv(whole.header, rows);
    const Read again = read([&](CsvReader& r) { r.feed(again_text); }, std::size_t{1} << 20);
    FUZZ_CHECK(again.header == whole.header, "header changed on a round trip");
    FUZZ_CHECK(again.rows.size() == rows.size(), "row count changed on a round trip: " + std::to_string(rows.size()) +
                                                     " -> " + std::to_string(again.rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) FUZZ_CHECK(again.rows[i].second == rows[i], "row changed");
  }

  check_campaign_csv(csv);
  return 0;
}
