#pragma once
// When will each campaign finish? An estimate for `outreachd status`, from what the daemon will
// do rather than from past throughput: every account sends once per mean pacing gap
// ((min_delay + max_delay) / 2), never more than its rolling 24 h cap allows, starting when it may
// next send; a stopped account sends nothing. Campaigns are served in claim order (higher
// priority first, then older), so a campaign sharing accounts with an earlier one waits for it.
//
// It ignores request latency, lookups that end in `skipped` (they are not sends, so the real
// finish is usually earlier), 429 waits not yet seen and retries' backoff: an estimate, shown as one.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/pacing.hpp"
#include "core/time.hpp"

namespace outreach {

struct EtaAccount {
  std::string name;
  bool stopped = false;           ///< account_status.state == "stopped"
  std::int64_t daily_cap = 0;     ///< the effective cap
  std::int64_t remaining_24h = 0; ///< sends left in the current window (may be <= 0 when capped)
  std::optional<TimePoint> next_send_at;  ///< when it may send next (pacing, cap or provider wait)
};

struct EtaCampaign {
  std::string name;
  std::string state;       ///< campaign_status.state: scheduled | active | paused | cancelled | done
  std::int64_t queued = 0; ///< pending + retrying + sending
  std::int64_t priority = 0;
  std::optional<TimePoint> start_at;
  std::vector<std::string> accounts;  ///< the account names the campaign lists
};

struct Eta {
  enum class Kind {
    finished,  ///< done or cancelled: nothing left to send
    paused,    ///< waits for `outreachd resume`
    at,        ///< expected to finish at `at`
    stalled,   ///< no listed account can send (all stopped, unconfigured or capped at 0)
  };
  Kind kind = Kind::finished;
  TimePoint at{};
};

/// One estimate per campaign, in the order given. Campaigns are listed in creation order (as
/// campaign_status lists them); priority decides who goes first among those sharing accounts.
std::vector<Eta> estimate_finish(std::vector<EtaCampaign> const& campaigns, std::vector<EtaAccount> const& accounts,
                                 PacingWindow pacing, TimePoint now);

/// "45s", "3m 20s", "2h 05m", "3d 4h": a compact remaining time for tables.
std::string format_remaining(Duration d);

}  // namespace outreach
