#pragma once
// A recipient its account has claimed: durably marked `sending` before any request about it goes
// out (storage/queue.hpp makes the claim; core/send_machine.hpp decides what follows).
#include <cstdint>
#include <string>

#include "core/time.hpp"

namespace outreach {

struct ClaimedRecipient {
  std::int64_t recipient_id = 0;
  std::int64_t campaign_id = 0;
  std::string campaign;
  std::string account;
  std::string username;  ///< "" when only a user_id was given
  std::string user_id;   ///< as given, or as resolved by an earlier attempt; "" when still unknown
  std::string text;      ///< the rendered message
  int attempts = 0;      ///< send attempts used so far (the next one is attempts + 1)
  bool dry_run = false;
  TimePoint claimed_at;
};

/// "@name", or "id:123" when only an id was given: how logs name a recipient.
std::string describe_recipient(ClaimedRecipient const& claim);

}  // namespace outreach
