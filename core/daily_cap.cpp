#include "core/daily_cap.hpp"

#include <algorithm>
#include <vector>

namespace outreach {

std::optional<AccountTier> parse_tier(std::string_view text) {
  if (text == "new") return AccountTier::new_account;
  if (text == "established") return AccountTier::established;
  if (text == "premium") return AccountTier::premium;
  return std::nullopt;
}

std::string_view to_string(AccountTier tier) {
  switch (tier) {
    case AccountTier::new_account: return "new";
    case AccountTier::established: return "established";
    case AccountTier::premium: return "premium";
  }
  return "established";
}

int tier_cap(AccountTier tier) {
  switch (tier) {
    case AccountTier::new_account: return 500;
    case AccountTier::established: return 1000;
    case AccountTier::premium: return 1500;
  }
  return 500;
}

int effective_cap(AccountTier tier, std::optional<int> daily_cap) {
  const int by_tier = tier_cap(tier);
  if (daily_cap && *daily_cap >= 0 && *daily_cap < by_tier) return *daily_cap;
  return by_tier;
}

CapCheck check_daily_cap(std::span<const TimePoint> attempts, int cap, TimePoint now) {
  std::vector<TimePoint> in_window;
  in_window.reserve(attempts.size());
  for (TimePoint t : attempts)
    if (t + kCapWindow > now) in_window.push_back(t);  // exactly 24 h old has aged out
  std::sort(in_window.begin(), in_window.end());

  CapCheck out;
  out.used = static_cast<int>(in_window.size());
  out.remaining = std::max(0, cap - out.used);
  if (cap <= 0) {
    out.earliest = TimePoint::max();
    return out;
  }
  if (out.used < cap) {
    out.may_send_now = true;
    out.earliest = now;
    return out;
  }
  // To get back under the cap, (used − cap + 1) attempts must age out; the last of those is at
  // index used − cap in ascending order.
  out.earliest = in_window[static_cast<std::size_t>(out.used - cap)] + kCapWindow;
  return out;
}

}  // namespace outreach
