#pragma once
// The `state` column of recipient_status (README "The schema"): where a recipient stands.
#include <optional>
#include <string_view>

namespace outreach {

enum class RecipientState { pending, retrying, sending, sent, failed, skipped, unknown };

std::string_view to_string(RecipientState state);
std::optional<RecipientState> parse_recipient_state(std::string_view text);

}  // namespace outreach
