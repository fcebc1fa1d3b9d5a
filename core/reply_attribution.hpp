#pragma once
// Which campaign a reply answers. A message from user U to account A is a reply to the latest
// campaign whose first message from A to U precedes it, in the provider's message order; a
// message from U that precedes all of them is no reply at all.
//
// The provider's order: X (and GetXAPI, which hands back X's ids) gives messages increasing
// decimal snowflake ids, so two messages are ordered by their ids, compared as decimal numbers
// (never through a floating type: the ids exceed 2^53). When an id is missing or not a decimal
// id — a send went out but its answer, and with it the id, was lost — the times are compared
// instead: the campaign message's time (the attempt's start when the message was never read
// back, which is at or before the message's real creation) against the reply's creation time.
// A campaign message "precedes" the reply only strictly: an equal time is not enough, since a
// message created at the very moment the attempt began cannot be a reply to it. Times come from
// two clocks (ours and the provider's), so the fallback is only as exact as they agree.
//
// The campaigns are compared with each other the same way (ids when both are known, times
// otherwise; at equal times the higher campaign id, the later import, wins), after sorting them
// by time, so the answer does not depend on the order they are passed in.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/time.hpp"

namespace outreach {

/// A message from the recipient U to the account A.
struct ReplyMessage {
  std::string message_id;  ///< the provider's id; may be empty when unknown
  TimePoint created_at;
};

/// One campaign's first message from A to U.
struct CampaignFirstMessage {
  std::int64_t campaign_id = 0;
  std::string message_id;  ///< empty when the send's answer (and the id) was lost
  TimePoint sent_at;       ///< the message's time, or the attempt's start when the id is unknown
};

/// True when `message` comes before `reply` in the provider's order (ids, else times; see above).
bool precedes_reply(CampaignFirstMessage const& message, ReplyMessage const& reply);

/// The campaign `reply` answers: the latest of `first_messages` (all from the same A to the same
/// U) that precedes it; nullopt when none does.
std::optional<std::int64_t> attribute_reply(ReplyMessage const& reply,
                                            std::span<CampaignFirstMessage const> first_messages);

}  // namespace outreach
