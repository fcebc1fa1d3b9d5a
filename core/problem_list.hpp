#pragma once
// The problems found in one campaign file. A broken million-line file could produce a million
// problems; the operator needs the first screenful and an honest count, not a gigabyte .error file.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/campaign.hpp"

namespace outreach {

class ProblemList {
 public:
  static constexpr std::size_t kDefaultLimit = 1'000;

  explicit ProblemList(std::size_t limit = kDefaultLimit) : limit_(limit) {}

  /// Keeps the problem if fewer than `limit` are kept, otherwise only counts it.
  void add(Problem problem);
  void add(std::string location, std::string message) { add(Problem{std::move(location), std::move(message)}); }
  /// Counts `n` problems that were found but never listed (e.g. beyond another reader's own cap).
  void count_unlisted(std::size_t n) { total_ += n; }

  std::size_t limit() const { return limit_; }
  bool empty() const { return total_ == 0; }
  /// Every problem added, kept or not.
  std::size_t total() const { return total_; }
  /// Problems added beyond the limit (counted, not kept).
  std::size_t omitted() const { return total_ - kept_.size(); }
  /// The first `limit` problems, in the order they were added.
  std::vector<Problem> const& kept() const { return kept_; }

  /// One "location: message" line per kept problem, then "… and 4,211 more problems" if any were
  /// omitted. Every line ends in '\n'; empty text when there are no problems.
  std::string to_text() const;

 private:
  std::size_t limit_;
  std::size_t total_ = 0;
  std::vector<Problem> kept_;
};

/// 4211 -> "4,211": counts an operator reads at a glance.
std::string with_thousands_separators(std::size_t n);

}  // namespace outreach
