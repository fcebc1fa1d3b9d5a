#include "core/eta.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace outreach {
namespace {

constexpr Duration kDay = std::chrono::hours{24};
// Far enough that "never" is distinguishable from any real campaign, small enough not to overflow.
constexpr Duration kHorizon = std::chrono::hours{24 * 365 * 100};

/// One account's sending capacity over time, as the scheduler would use it.
struct Capacity {
  TimePoint t0;            ///< its first possible send
  std::int64_t gap_ms = 1; ///< mean pacing gap
  std::int64_t first = 0;  ///< sends allowed in the window that is open at t0
  std::int64_t cap = 0;    ///< sends allowed per later 24 h

  /// Sends made in [t0, t] when it sends whenever pacing and cap allow: one at t0, then one per
  /// gap, but never more than `first` before t0 + 24 h, `first + cap` before t0 + 48 h, ...
  std::int64_t sends_by(TimePoint t) const {
    if (t < t0) return 0;
    const std::int64_t dt = (t - t0).count();
    const std::int64_t paced = dt / gap_ms + 1;
    const std::int64_t allowed = first + cap * (dt / kDay.count());
    return std::min(paced, allowed);
  }
};

}  // namespace

std::vector<Eta> estimate_finish(std::vector<EtaCampaign> const& campaigns, std::vector<EtaAccount> const& accounts,
                                 PacingWindow pacing, TimePoint now) {
  const std::int64_t gap_ms = std::max<std::int64_t>(1, ((pacing.min + pacing.max) / 2).count());

  std::map<std::string, Capacity, std::less<>> capacity;
  for (auto const& a : accounts) {
    if (a.stopped || a.daily_cap <= 0) continue;
    Capacity c;
    c.t0 = std::max(now, a.next_send_at.value_or(now));
    c.gap_ms = gap_ms;
    c.cap = a.daily_cap;
    // A capped account (nothing left) waits until its oldest send ages out; from then on slots free
    // up about as fast as they were used, so pacing, not the cap, sets its pace.
    c.first = a.remaining_24h > 0 ? std::min(a.remaining_24h, a.daily_cap) : a.daily_cap;
    capacity.emplace(a.name, c);
  }
  // Claim order: higher priority first, then older (the order given).
  std::vector<std::size_t> order(campaigns.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return campaigns[a].priority > campaigns[b].priority; });

  std::vector<Eta> out(campaigns.size());
  for (std::size_t index : order) {
    EtaCampaign const& c = campaigns[index];
    Eta& eta = out[index];
    if (c.state == "done" || c.state == "cancelled" || c.queued <= 0) {
      eta.kind = Eta::Kind::finished;
      continue;
    }
    if (c.state == "paused") {
      eta.kind = Eta::Kind::paused;
      continue;
    }
    const TimePoint start = std::max(now, c.start_at.value_or(now));
    // The listed accounts as this campaign finds them: free from `start` at the earliest (an
    // account idle until then has used none of its cap).
    std::vector<std::pair<Capacity*, Capacity>> usable;
    for (auto const& name : c.accounts) {
      auto it = capacity.find(name);
      if (it == capacity.end()) continue;
      Capacity local = it->second;
      local.t0 = std::max(local.t0, start);
      usable.emplace_back(&it->second, local);
    }
    auto available_by = [&](TimePoint t) {
      std::int64_t total = 0;
      for (auto const& [_, local] : usable) total += local.sends_by(t);
      return total;
    };
    if (usable.empty() || available_by(start + kHorizon) < c.queued) {
      eta.kind = Eta::Kind::stalled;
      continue;
    }
    // The first instant by which the listed accounts can have sent everything still queued.
    TimePoint lo = start, hi = start + kHorizon;
    while (lo < hi) {
      const TimePoint mid = lo + (hi - lo) / 2;
      if (available_by(mid) >= c.queued) hi = mid;
      else lo = mid + Duration{1};
    }
    eta.kind = Eta::Kind::at;
    eta.at = lo;
    // These accounts worked for this campaign until then; campaigns after it get what is left.
    for (auto& [stored, local] : usable) {
      const std::int64_t days = (lo - local.t0).count() / kDay.count();
      const std::int64_t left = local.first + local.cap * days - local.sends_by(lo);
      if (left > 0) {
        stored->t0 = lo + Duration{gap_ms};
        stored->first = left;
      } else {
        // The window is used up: the next sends wait for the next one.
        stored->t0 = std::max(lo + Duration{gap_ms}, local.t0 + kDay * (days + 1));
        stored->first = local.cap;
      }
    }
  }
  return out;
}

std::string format_remaining(Duration d) {
  const std::int64_t s = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  auto two = [](std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + two(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h " + two(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) + "h";
}

}  // namespace outreach
