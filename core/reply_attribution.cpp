#include "core/reply_attribution.hpp"

#include <algorithm>
#include <vector>

#include "core/providers/wire_format.hpp"

namespace outreach {

namespace {

/// True when campaign message `a` comes after `b` (ids when both are known, else times, then
/// the campaign id).
bool comes_after(CampaignFirstMessage const& a, CampaignFirstMessage const& b) {
  if (codec::is_decimal_id(a.message_id) && codec::is_decimal_id(b.message_id)) {
    if (int const c = codec::compare_decimal_ids(a.message_id, b.message_id); c != 0) return c > 0;
  } else if (a.sent_at != b.sent_at) {
    return a.sent_at > b.sent_at;
  }
  return a.campaign_id > b.campaign_id;
}

}  // namespace

bool precedes_reply(CampaignFirstMessage const& message, ReplyMessage const& reply) {
  if (codec::is_decimal_id(message.message_id) && codec::is_decimal_id(reply.message_id)) {
    return codec::compare_decimal_ids(message.message_id, reply.message_id) < 0;
  }
  return message.sent_at < reply.created_at;
}

std::optional<std::int64_t> attribute_reply(ReplyMessage const& reply,
                                            std::span<CampaignFirstMessage const> first_messages) {
  std::vector<CampaignFirstMessage const*> candidates;
  for (auto const& message : first_messages) {
    if (precedes_reply(message, reply)) candidates.push_back(&message);
  }
  if (candidates.empty()) return std::nullopt;
  // A fixed order first, so mixed id/time comparisons give the same answer for any input order.
  std::sort(candidates.begin(), candidates.end(), [](auto const* a, auto const* b) {
    if (a->sent_at != b->sent_at) return a->sent_at < b->sent_at;
    if (a->campaign_id != b->campaign_id) return a->campaign_id < b->campaign_id;
    return a->message_id < b->message_id;
  });
  CampaignFirstMessage const* latest = candidates.front();
  for (auto const* candidate : candidates) {
    if (comes_after(*candidate, *latest)) latest = candidate;
  }
  return latest->campaign_id;
}

}  // namespace outreach
