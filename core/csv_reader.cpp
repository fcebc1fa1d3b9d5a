#include "core/csv_reader.hpp"

#include <algorithm>
#include <utility>

#include "core/utf8.hpp"

namespace outreach {

namespace {

constexpr char kBom[] = {'\xEF', '\xBB', '\xBF'};
constexpr std::size_t kBomSize = sizeof kBom;

std::string count_of(std::size_t n, char const* singular, char const* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

CsvReader::CsvReader(RowHandler on_row, std::size_t max_problems, std::size_t max_row_bytes)
    : on_row_(std::move(on_row)), max_problems_(max_problems), max_row_bytes_(max_row_bytes), cells_(1) {
  cell_ = &cells_[0];
}

std::optional<std::size_t> CsvReader::column(std::string_view name) const {
  auto const it = std::find(header_.begin(), header_.end(), name);
  if (it == header_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header_.begin());
}

void CsvReader::feed(std::string_view chunk) {
  std::size_t i = 0;
  if (!bom_done_) {
    // The BOM may arrive split across chunks, so matching bytes are held back until decided.
    while (i < chunk.size() && bom_seen_ < kBomSize && chunk[i] == kBom[bom_seen_]) {
      ++bom_seen_;
      ++i;
    }
    if (bom_seen_ == kBomSize) {
      bom_done_ = true;
    } else if (i < chunk.size()) {
      replay_held_bom();
    } else {
      return;
    }
  }
  for (; i < chunk.size(); ++i) consume(chunk[i]);
}

void CsvReader::replay_held_bom() {
  bom_done_ = true;
  for (std::size_t k = 0; k < bom_seen_; ++k) consume(kBom[k]);
}

void CsvReader::consume(char c) {
  bool const lf_of_crlf = after_cr_ && c == '\n';
  after_cr_ = c == '\r';
  if (lf_of_crlf) {
    // The CR already ended the row (or was kept inside quotes) and counted the line.
    if (state_ == State::quoted) cell_->push_back(c);
    return;
  }
  bool const line_break = c == '\r' || c == '\n';

  if (!record_started_ && !line_break) {
    record_started_ = true;
    row_line_ = line_;
  }
  // The line break that ends a row is not part of it; one inside quotes is.
  bool const counts = record_started_ && !(line_break && state_ != State::quoted);
  if (counts && !row_too_long_ && ++row_bytes_ > max_row_bytes_) {
    row_too_long_ = true;
    report_row_problem(row_line_, "row is longer than " + std::to_string(max_row_bytes_) +
                                      " bytes (is a quote never closed?)");
  }
  auto append = [&](char ch) {
    if (!row_too_long_) cell_->push_back(ch);
  };

  switch (state_) {
    case State::field_start:
      if (line_break) {
        if (record_started_) end_record();  // else a blank line: skipped
      } else if (c == '"') {
        state_ = State::quoted;
        quote_line_ = line_;
      } else if (c == ',') {
        end_field();
      } else {
        append(c);
        state_ = State::unquoted;
      }
      break;
    case State::unquoted:
      if (c == ',') {
        end_field();
        state_ = State::field_start;
      } else if (line_break) {
        end_record();
      } else {
        if (c == '"') {
          report_row_problem(line_, "a quote appears inside an unquoted field; put the whole field in quotes "
                                    "and write the quote as \"\"");
        }
        append(c);
      }
      break;
    case State::quoted:
      if (c == '"') {
        state_ = State::quote_in_quoted;
      } else {
        append(c);
      }
      break;
    case State::quote_in_quoted:
      if (c == '"') {
        append('"');
        state_ = State::quoted;
      } else if (c == ',') {
        end_field();
        state_ = State::field_start;
      } else if (line_break) {
        end_record();
      } else {
        report_row_problem(line_, "text follows the closing quote of a quoted field");
        append(c);
        state_ = State::unquoted;
      }
      break;
  }
  if (line_break) ++line_;
}

void CsvReader::end_field() {
  ++cell_count_;
  // Past the header's width the row is ragged and will not be delivered: stop storing cells so a
  // line of commas cannot grow the buffer.
  if (row_too_long_ || (header_done_ && cell_count_ >= header_.size())) {
    overflow_.clear();
    cell_ = &overflow_;
    return;
  }
  if (cell_count_ == cells_.size()) {
    cells_.emplace_back();
  } else {
    cells_[cell_count_].clear();
  }
  cell_ = &cells_[cell_count_];
}

void CsvReader::end_record() {
  end_field();
  if (!header_done_) {
    set_header();
  } else if (!row_bad_) {
    if (cell_count_ != header_.size()) {
      report(row_line_, "row has " + count_of(cell_count_, "cell", "cells") + " but the header has " +
                            count_of(header_.size(), "column", "columns"));
    } else {
      std::optional<std::string> bad;
      for (std::size_t k = 0; k < cell_count_ && !bad; ++k) {
        if (auto const offset = find_invalid_utf8(cells_[k])) {
          bad = "the \"" + header_[k] + "\" cell is not valid UTF-8 (invalid byte at byte offset " +
                std::to_string(*offset) + ")";
        }
      }
      if (bad) {
        report(row_line_, std::move(*bad));
      } else {
        ++row_count_;
        if (on_row_) on_row_(CsvRow{row_line_, std::span<std::string const>(cells_.data(), cell_count_)});
      }
    }
  }
  reset_row();
}

void CsvReader::reset_row() {
  cell_count_ = 0;
  cells_[0].clear();
  cell_ = &cells_[0];
  row_bytes_ = 0;
  record_started_ = false;
  row_bad_ = false;
  row_too_long_ = false;
  state_ = State::field_start;
}

void CsvReader::set_header() {
  header_.assign(cells_.begin(), cells_.begin() + static_cast<std::ptrdiff_t>(cell_count_));
  header_done_ = true;
  for (std::size_t k = 0; k < header_.size(); ++k) {
    auto const& name = header_[k];
    auto const column_no = "header column " + std::to_string(k + 1);
    if (name.empty()) {
      report(row_line_, column_no + " has no name");
    } else if (!is_valid_utf8(name)) {
      report(row_line_, column_no + " is not valid UTF-8");
    } else if (std::find(header_.begin(), header_.begin() + static_cast<std::ptrdiff_t>(k), name) !=
               header_.begin() + static_cast<std::ptrdiff_t>(k)) {
      report(row_line_, "column name \"" + name + "\" appears more than once in the header");
    }
  }
}

void CsvReader::report(std::size_t line, std::string message) {
  ++problem_count_;
  if (problems_.size() < max_problems_) problems_.push_back(CsvProblem{line, std::move(message)});
}

void CsvReader::report_row_problem(std::size_t line, std::string message) {
  // One problem per row is enough to reject it; more would only repeat the same cause.
  if (row_bad_) return;
  row_bad_ = true;
  report(line, std::move(message));
}

void CsvReader::finish() {
  if (finished_) return;
  finished_ = true;
  if (!bom_done_) replay_held_bom();
  if (state_ == State::quoted) {
    report(quote_line_, "the quoted field starting on line " + std::to_string(quote_line_) + " is never closed");
    reset_row();
  } else if (record_started_) {
    end_record();
  }
  if (!header_done_ && problem_count_ == 0) {
    report(1, "the file is empty; its first row must be a header naming the columns");
  }
}

}  // namespace outreach
