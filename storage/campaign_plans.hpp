#pragma once
// What `outreachd status` needs beyond the status views (README.md#the-schema-stable-interface) to
// estimate when campaigns finish: each campaign's priority, start_at and the accounts it sends
// from. Read-only; tables may change, so this stays the one place outside the views that the CLI
// reads.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

struct CampaignPlanRow {
  std::string campaign;
  std::int64_t priority = 0;
  std::optional<TimePoint> start_at;
  std::vector<std::string> accounts;  ///< names, in the order the accounts were first configured
};

/// Every campaign, in creation order (the order of campaign_status).
Result<std::vector<CampaignPlanRow>> read_campaign_plans(Database& db);

}  // namespace outreach
