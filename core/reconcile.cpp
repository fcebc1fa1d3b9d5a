#include "core/reconcile.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <unordered_set>

#include "core/message_match.hpp"
#include "core/providers/wire_format.hpp"

namespace outreach {

namespace {

/// Message ids in the provider's order when both are decimal ids, else as strings; only a
/// tie-break after the creation time, so the result does not depend on the input order.
bool message_id_less(std::string_view a, std::string_view b) {
  if (codec::is_decimal_id(a) && codec::is_decimal_id(b)) return codec::compare_decimal_ids(a, b) < 0;
  return a < b;
}

}  // namespace

TimePoint history_horizon(TimePoint read_at, ReconcileLimits const& limits) {
  return read_at - std::min(limits.history_limit, limits.lookback);
}

TimePoint coverage_start(InboxCoverage const& coverage, ReconcileLimits const& limits) {
  return coverage.oldest_reached ? *coverage.oldest_reached : coverage.read_at - limits.history_limit;
}

bool coverage_decides(TimePoint started_at, InboxCoverage const& coverage, ReconcileLimits const& limits) {
  return coverage_start(coverage, limits) <= started_at - kReconcileSlack &&
         coverage.read_at >= started_at + limits.reconcile_after;
}

std::vector<AttemptVerdict> reconcile(std::span<InDoubtAttempt const> attempts,
                                      std::span<OutgoingMessage const> messages,
                                      std::span<std::string const> already_used,
                                      std::optional<InboxCoverage> const& coverage, ReconcileLimits const& limits,
                                      TimePoint now) {
  // Messages oldest first, each text normalised once.
  std::vector<std::size_t> message_order(messages.size());
  std::iota(message_order.begin(), message_order.end(), std::size_t{0});
  std::sort(message_order.begin(), message_order.end(), [&](std::size_t a, std::size_t b) {
    if (messages[a].created_at != messages[b].created_at) return messages[a].created_at < messages[b].created_at;
    return message_id_less(messages[a].message_id, messages[b].message_id);
  });
  std::vector<std::string> message_text(messages.size());
  for (std::size_t m = 0; m < messages.size(); ++m) message_text[m] = normalize_for_match(messages[m].text);

  std::unordered_set<std::string_view> used(already_used.begin(), already_used.end());

  // Attempts oldest first; verdicts go back in the caller's order.
  std::vector<std::size_t> attempt_order(attempts.size());
  std::iota(attempt_order.begin(), attempt_order.end(), std::size_t{0});
  std::sort(attempt_order.begin(), attempt_order.end(), [&](std::size_t a, std::size_t b) {
    if (attempts[a].started_at != attempts[b].started_at) return attempts[a].started_at < attempts[b].started_at;
    return attempts[a].attempt_id < attempts[b].attempt_id;
  });

  std::vector<AttemptVerdict> verdicts(attempts.size());
  for (std::size_t const a : attempt_order) {
    InDoubtAttempt const& attempt = attempts[a];
    verdicts[a].attempt_id = attempt.attempt_id;
    TimePoint const window_start = attempt.started_at - kReconcileSlack;
    std::string const text = normalize_for_match(attempt.text);

    std::optional<std::size_t> match;
    if (!text.empty()) {  // an empty text matches nothing (texts_match)
      for (std::size_t const m : message_order) {
        OutgoingMessage const& message = messages[m];
        if (message.created_at < window_start) continue;
        if (message.recipient_user_id != attempt.recipient_user_id) continue;
        if (message_text[m] != text) continue;
        if (used.contains(message.message_id)) continue;
        match = m;
        break;
      }
    }
    if (match) {
      used.insert(messages[*match].message_id);
      verdicts[a].verdict = verdict::Confirmed{messages[*match].message_id, messages[*match].created_at};
      continue;
    }
    if (coverage && coverage_decides(attempt.started_at, *coverage, limits)) {
      verdicts[a].verdict = verdict::Absent{};
      continue;
    }
    // The earliest read that could still decide is made now or at decidable_at, whichever is
    // later; every later read reaches less far back.
    TimePoint const decidable_at = attempt.started_at + limits.reconcile_after;
    if (history_horizon(std::max(now, decidable_at), limits) > window_start) {
      verdicts[a].verdict = verdict::BeyondHistory{};
      continue;
    }
    verdicts[a].verdict = verdict::Undecided{decidable_at, window_start};
  }
  return verdicts;
}

}  // namespace outreach
