#pragma once
// The rolling 24-hour send cap. An account may make at most `cap` send attempts in any window
// of 24 hours; an attempt made at time t stops counting at exactly t + 24h.
#include <optional>
#include <span>
#include <string_view>

#include "core/time.hpp"

namespace outreach {

inline constexpr Duration kCapWindow = std::chrono::hours{24};

enum class AccountTier { new_account, established, premium };

/// "new" | "established" | "premium"; nullopt for anything else.
std::optional<AccountTier> parse_tier(std::string_view text);
std::string_view to_string(AccountTier tier);

/// new 500, established 1000, premium 1500 sends per rolling 24 h.
int tier_cap(AccountTier tier);

/// The cap in force: an explicit daily_cap applies only when it is lower than the tier's figure.
int effective_cap(AccountTier tier, std::optional<int> daily_cap);

struct CapCheck {
  bool may_send_now = false;
  TimePoint earliest;  ///< == now when may_send_now; TimePoint::max() when cap is 0
  int used = 0;        ///< attempts inside the window ending at now
  int remaining = 0;   ///< max(0, cap − used)
};

/// `attempts` are the account's send-attempt times in any order; entries older than the window are
/// ignored, and entries in the future (a clock step back) are counted, erring on the side of fewer sends.
CapCheck check_daily_cap(std::span<const TimePoint> attempts, int cap, TimePoint now);

}  // namespace outreach
