#include "core/claimed_recipient.hpp"

namespace outreach {

std::string describe_recipient(ClaimedRecipient const& claim) {
  if (!claim.username.empty()) return "@" + claim.username;
  return "id:" + claim.user_id;
}

}  // namespace outreach
