#include "core/campaign.hpp"

namespace outreach {

std::string format_problem(Problem const& p) {
  if (p.location.empty()) return p.message;
  return p.location + ": " + p.message;
}

}  // namespace outreach
