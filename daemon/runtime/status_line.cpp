#include "daemon/runtime/status_line.hpp"

#include "core/iso_time.hpp"

namespace outreach {
namespace {

std::string hh_mm(TimePoint t) {
  const std::string iso = format_iso8601(t);  // YYYY-MM-DDTHH:MM:SSZ
  return iso.substr(11, 5);
}

}  // namespace

std::string status_line(std::vector<CampaignStatusRow> const& campaigns, std::vector<AccountLine> const& accounts,
                        std::string_view activity) {
  std::int64_t active = 0, sent = 0, failed = 0;
  for (auto const& c : campaigns) {
    if (c.state == "active") ++active;
    sent += c.sent;
    failed += c.failed;
  }
  std::string line = activity.empty() ? std::string() : std::string(activity) + " · ";
  line += std::to_string(active) + (active == 1 ? " campaign" : " campaigns") + " active · " +
                     std::to_string(sent) + " sent · " + std::to_string(failed) + " failed";
  for (auto const& a : accounts) {
    if (a.state == AccountState::capped && a.until && *a.until != TimePoint::max())
      line += " · " + a.name + " capped until " + hh_mm(*a.until);
    else if (a.state == AccountState::stopped)
      line += " · " + a.name + " stopped";
  }
  return line;
}

}  // namespace outreach
