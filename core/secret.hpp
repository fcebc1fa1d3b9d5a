#pragma once
// A secret (API key, session token, cookie, proxy password, OAuth token) that cannot be printed by
// accident: no stream operator, no implicit conversion. Code that must put it on the wire calls
// reveal(); everything else (logs, error texts, the database) only ever sees redacted().
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace outreach {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  /// The raw value, for building a request. Never log or store what this returns.
  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  /// What logs and error texts show instead of the value.
  static constexpr std::string_view redacted() { return "[redacted]"; }

  friend bool operator==(Secret const& a, Secret const& b) { return a.value_ == b.value_; }

 private:
  std::string value_;
};

/// Replaces every occurrence of each secret's value in `text` with [redacted]. Used on provider
/// error texts before they are logged or stored, since providers sometimes echo credentials back.
std::string redact(std::string text, std::initializer_list<std::string_view> secrets);

}  // namespace outreach
