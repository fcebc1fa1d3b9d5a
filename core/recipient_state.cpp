#include "core/recipient_state.hpp"

#include <array>
#include <utility>

namespace outreach {
namespace {

constexpr std::array<std::pair<RecipientState, std::string_view>, 7> kNames{{
    {RecipientState::pending, "pending"},
    {RecipientState::retrying, "retrying"},
    {RecipientState::sending, "sending"},
    {RecipientState::sent, "sent"},
    {RecipientState::failed, "failed"},
    {RecipientState::skipped, "skipped"},
    {RecipientState::unknown, "unknown"},
}};

}  // namespace

std::string_view to_string(RecipientState state) {
  for (auto const& [s, name] : kNames)
    if (s == state) return name;
  return "pending";
}

std::optional<RecipientState> parse_recipient_state(std::string_view text) {
  for (auto const& [s, name] : kNames)
    if (name == text) return s;
  return std::nullopt;
}

}  // namespace outreach
