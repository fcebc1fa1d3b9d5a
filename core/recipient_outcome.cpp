#include "core/recipient_outcome.hpp"

#include <utility>

namespace outreach {
namespace {

/// A lookup is a read: it never counts toward the cap and sends nothing.
Outcome as_lookup(Outcome o) {
  o.send_attempted = false;
  o.counts_toward_cap = false;
  return o;
}

}  // namespace

Outcome Outcome::sent(std::string message_id, int http_status) {
  Outcome o;
  o.state = RecipientState::sent;
  o.send_attempted = o.uses_attempt = o.counts_toward_cap = true;
  o.http_status = http_status;
  o.message_id = std::move(message_id);
  return o;
}

Outcome Outcome::retry_at(TimePoint next_attempt_at, ErrorClass reason, int http_status, std::string error) {
  Outcome o;
  o.state = RecipientState::retrying;
  o.reason = reason;
  o.send_attempted = o.uses_attempt = o.counts_toward_cap = true;
  o.http_status = http_status;
  o.error = std::move(error);
  o.next_attempt_at = next_attempt_at;
  return o;
}

Outcome Outcome::failed(ErrorClass reason, int http_status, std::string error) {
  Outcome o;
  o.state = RecipientState::failed;
  o.reason = reason;
  o.send_attempted = o.uses_attempt = o.counts_toward_cap = true;
  o.http_status = http_status;
  o.error = std::move(error);
  return o;
}

Outcome Outcome::in_doubt(std::string error) {
  Outcome o;
  o.state = RecipientState::unknown;
  o.reason = ErrorClass::in_doubt;
  o.send_attempted = o.uses_attempt = o.counts_toward_cap = true;
  o.error = std::move(error);
  return o;
}

Outcome Outcome::skipped(ErrorClass reason, int http_status, std::string error) {
  Outcome o;
  o.state = RecipientState::skipped;
  o.reason = reason;
  o.http_status = http_status;
  o.error = std::move(error);
  return o;
}

Outcome Outcome::requeue(ErrorClass reason, int http_status, std::string error) {
  Outcome o;
  o.state = RecipientState::pending;
  o.reason = reason;
  o.send_attempted = true;
  o.http_status = http_status;
  o.error = std::move(error);
  return o;
}

Outcome Outcome::back_to_queue(std::string resolved_user_id) {
  Outcome o;
  o.state = RecipientState::pending;
  o.resolved_user_id = std::move(resolved_user_id);
  return o;
}

bool needs_inbox_check(Outcome const& outcome) {
  if (!outcome.send_attempted) return false;
  if (outcome.state == RecipientState::unknown) return true;
  return outcome.state == RecipientState::retrying && outcome.reason == ErrorClass::server_error;
}

Outcome outcome_of_send(Decision const& decision, int http_status, TimePoint end) {
  struct Map {
    int http;
    TimePoint end;
    Outcome operator()(decision::Sent const& d) const { return Outcome::sent(d.message_id, http); }
    Outcome operator()(decision::RetryLater const& d) const {
      return Outcome::retry_at(end + d.delay, d.reason, http, d.detail);
    }
    Outcome operator()(decision::FailedPermanent const& d) const { return Outcome::failed(d.reason, http, d.detail); }
    Outcome operator()(decision::InDoubt const& d) const {
      Outcome o = Outcome::in_doubt(d.detail);
      o.http_status = http;
      return o;
    }
    Outcome operator()(decision::RateLimitedWait const& d) const {
      return Outcome::requeue(ErrorClass::rate_limited, http, d.detail);
    }
    Outcome operator()(decision::AccountStop const& d) const {
      return Outcome::requeue(ErrorClass::account, http, d.reason);
    }
  };
  return std::visit(Map{http_status, end}, decision);
}

Outcome outcome_of_failed_lookup(Decision const& decision, int http_status, TimePoint now, Duration in_doubt_retry) {
  struct Map {
    int http;
    TimePoint now;
    Duration in_doubt_retry;
    // Not a failure: the caller goes on to the send. Nothing is used if it is recorded anyway.
    Outcome operator()(decision::Sent const&) const { return Outcome::back_to_queue({}); }
    Outcome operator()(decision::RetryLater const& d) const {
      return as_lookup(Outcome::retry_at(now + d.delay, d.reason, http, d.detail));
    }
    Outcome operator()(decision::FailedPermanent const& d) const {
      // The lookup's own answers about the recipient end its turn as skipped, not failed.
      if (d.reason == ErrorClass::not_found || d.reason == ErrorClass::cannot_dm)
        return Outcome::skipped(d.reason, http, d.detail);
      return as_lookup(Outcome::failed(d.reason, http, d.detail));
    }
    Outcome operator()(decision::InDoubt const& d) const {
      return as_lookup(Outcome::retry_at(now + in_doubt_retry, ErrorClass::network, http, d.detail));
    }
    Outcome operator()(decision::RateLimitedWait const& d) const {
      return as_lookup(Outcome::requeue(ErrorClass::rate_limited, http, d.detail));
    }
    Outcome operator()(decision::AccountStop const& d) const {
      return as_lookup(Outcome::requeue(ErrorClass::account, http, d.reason));
    }
  };
  return std::visit(Map{http_status, now, in_doubt_retry}, decision);
}

ErrorClass skip_reason(SendGate gate) {
  switch (gate) {
    case SendGate::suppressed: return ErrorClass::suppressed;
    case SendGate::duplicate: return ErrorClass::duplicate;
    case SendGate::recently_contacted: return ErrorClass::recently_contacted;
    case SendGate::go:
    case SendGate::hold: break;
  }
  return ErrorClass::none;
}

std::string_view outcome_name(Outcome const& outcome) {
  if (outcome.state == RecipientState::pending) return "requeued";
  return to_string(outcome.state);
}

}  // namespace outreach
