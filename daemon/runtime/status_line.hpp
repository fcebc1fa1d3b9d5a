#pragma once
// The one-line STATUS= text systemd shows in `systemctl status outreachd`.
#include <string>
#include <vector>

#include "core/account_schedule.hpp"
#include "core/time.hpp"
#include "storage/status.hpp"

namespace outreach {

struct AccountLine {
  std::string name;
  AccountState state = AccountState::ready;
  std::optional<TimePoint> until;
};

/// "2 campaigns active · 40 sent · 1 failed · gx-1 capped until 14:05 · tw-1 stopped", after
/// `activity` when there is one ("importing big.json: 12 MiB read · 2 campaigns active · …").
std::string status_line(std::vector<CampaignStatusRow> const& campaigns, std::vector<AccountLine> const& accounts,
                        std::string_view activity = {});

}  // namespace outreach
