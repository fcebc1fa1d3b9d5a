#include "core/problem_list.hpp"

#include <utility>

namespace outreach {

void ProblemList::add(Problem problem) {
  ++total_;
  if (kept_.size() < limit_) kept_.push_back(std::move(problem));
}

std::string ProblemList::to_text() const {
  std::string out;
  for (auto const& p : kept_) {
    out += format_problem(p);
    out += '\n';
  }
  if (const std::size_t more = omitted(); more > 0)
    out += "\u2026 and " + with_thousands_separators(more) + (more == 1 ? " more problem\n" : " more problems\n");
  return out;
}

std::string with_thousands_separators(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace outreach
