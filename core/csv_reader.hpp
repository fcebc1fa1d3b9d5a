#pragma once
// Streaming RFC 4180 reader for `recipients_csv` files (README.md#campaign-files), which may hold a
// million rows. Bytes are pushed in with feed() in chunks of any size and split anywhere (inside a
// quoted field, between CR and LF, inside a UTF-8 sequence); only the current row is buffered, so
// memory does not grow with the number of rows.
//
// Usage:
//   CsvReader reader([&](CsvRow const& row) {
//     auto name = row.cells[*reader.column("username")];   // cells are in header order
//     ...                                                  // row.line: where the row starts
//   });
//   while (read a chunk) reader.feed(chunk);
//   reader.finish();
//   for (auto const& p : reader.problems()) ...             // the file is valid only if empty
//
// Format accepted:
// - The first non-blank row is the header (column names). Every later row is a data row.
// - Fields separated by ',', rows end in LF, CRLF or a lone CR; the last row may lack one.
// - Quoted fields ("...") may hold commas, line breaks and "" for a literal quote. Line breaks
//   inside quotes are kept as written (CRLF stays CRLF).
// - A UTF-8 byte order mark at the very start is dropped. Blank lines are skipped. Spaces are
//   data (never trimmed).
//
// Problems (each with the 1-based physical line number it concerns) never stop the reader: it
// keeps going so that every problem in the file is reported. A data row with a problem is NOT
// passed to the callback. Kinds: a quote inside an unquoted field, text after a closing quote, a
// quoted field never closed (reported at finish()), a row whose cell count differs from the
// header's, a cell or header that is not valid UTF-8, an empty or duplicate column name (rows are
// still delivered then), a row longer than max_row_bytes, and a file with no header row at all.
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace outreach {

/// One data row, valid only during the callback (the reader reuses its buffers).
struct CsvRow {
  std::size_t line = 0;                  ///< 1-based physical line where the row starts
  std::span<std::string const> cells;    ///< exactly header().size() cells, in header order
};

/// Something wrong in the file. `message` is one sentence without the line number, e.g.
/// "row has 3 cells but the header has 4 columns".
struct CsvProblem {
  std::size_t line = 0;
  std::string message;
};

class CsvReader {
 public:
  using RowHandler = std::function<void(CsvRow const&)>;

  static constexpr std::size_t kDefaultMaxProblems = 100;
  /// Far above any legal row (a message is at most 10,000 code points), low enough that an
  /// unclosed quote near the top of a big file cannot pull the whole file into memory.
  static constexpr std::size_t kDefaultMaxRowBytes = std::size_t{1} << 20;

  /// `on_row` may be empty (e.g. to only check a file's header and problems).
  explicit CsvReader(RowHandler on_row, std::size_t max_problems = kDefaultMaxProblems,
                     std::size_t max_row_bytes = kDefaultMaxRowBytes);

  /// Parses the next piece of the file. Calls the handler for every data row completed.
  void feed(std::string_view chunk);
  /// Ends the input: completes a last row without a line break, reports an unclosed quote or a
  /// missing header. Call once; feed() must not be called afterwards.
  void finish();

  /// Column names (empty until the header row has been read).
  std::vector<std::string> const& header() const { return header_; }
  /// Index of the first header column named exactly `name`, if any.
  std::optional<std::size_t> column(std::string_view name) const;

  /// The first max_problems problems, in file order.
  std::vector<CsvProblem> const& problems() const { return problems_; }
  /// How many problems were found in total (may exceed problems().size()).
  std::size_t problem_count() const { return problem_count_; }
  /// Data rows passed to the handler so far.
  std::size_t row_count() const { return row_count_; }

 private:
  enum class State { field_start, unquoted, quoted, quote_in_quoted };

  void replay_held_bom();
  void consume(char c);
  void end_field();
  void end_record();
  void reset_row();
  void report(std::size_t line, std::string message);
  void report_row_problem(std::size_t line, std::string message);
  void set_header();

  RowHandler on_row_;
  std::size_t max_problems_;
  std::size_t max_row_bytes_;

  std::vector<std::string> header_;
  std::vector<std::string> cells_;  ///< reused across rows; only the first cell_count_ are live
  std::string overflow_;            ///< receives cells beyond the header's width (row is ragged anyway)
  std::string* cell_ = nullptr;     ///< the cell being read
  std::size_t cell_count_ = 0;      ///< completed cells in the current row
  std::size_t row_bytes_ = 0;

  State state_ = State::field_start;
  bool header_done_ = false;
  bool record_started_ = false;
  bool row_bad_ = false;
  bool row_too_long_ = false;
  bool after_cr_ = false;   ///< the previous byte was CR, so an LF now belongs to it
  std::size_t bom_seen_ = 0;  ///< leading bytes matched against the BOM so far (held back)
  bool bom_done_ = false;
  bool finished_ = false;

  std::size_t line_ = 1;        ///< physical line of the next byte
  std::size_t row_line_ = 1;    ///< line where the current row started
  std::size_t quote_line_ = 1;  ///< line of the opening quote of the current quoted field

  std::vector<CsvProblem> problems_;
  std::size_t problem_count_ = 0;
  std::size_t row_count_ = 0;
};

}  // namespace outreach
