#pragma once
// Scrubbing of provider texts before they reach ProviderResult::message (and from there logs and
// the database): providers echo tokens, cookies and proxy URLs back in their errors.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/providers/codec.hpp"

namespace outreach::codec {

/// Longest provider text kept in ProviderResult::message (bytes, cut on a UTF-8 boundary).
inline constexpr std::size_t kMaxMessage = 300;

/// Scrubs provider texts: every secret of the request (and its URL-encoded and JSON-escaped
/// forms) becomes [redacted]; control characters become spaces; the result is cut to kMaxMessage.
/// The secrets are gathered on the first clean(), so parses that copy no text never pay for it,
/// and a secret's encoded forms are only built when its longest plain run occurs in the text.
/// A Redactor made from credentials refers to them: it must not outlive them.
class Redactor {
 public:
  Redactor() = default;
  /// All secrets a request may carry for this provider/account pair, including the proxy's
  /// password and user:pass in both URL and tweetapi forms.
  Redactor(ProviderCredentials const& provider, AccountCredentials const& account)
      : provider_(&provider), account_(&account) {}
  // Copies start unprepared: the prepared list views strings owned by the original.
  Redactor(Redactor const& other) : provider_(other.provider_), account_(other.account_), extra_(other.extra_) {}
  Redactor& operator=(Redactor const& other) {
    if (this != &other) {
      provider_ = other.provider_;
      account_ = other.account_;
      extra_ = other.extra_;
      prepared_ = false;
    }
    return *this;
  }
  void add(std::string_view secret);
  /// scrub(), then control characters → spaces, trimmed, cut to kMaxMessage.
  std::string clean(std::string_view text) const;
  /// Every form of every secret → [redacted]; nothing else changes.
  std::string scrub(std::string_view text) const;
  /// A text cut from a longer one ends with at most this many bytes of a partial secret form
  /// after scrub(): callers showing a prefix keep this much distance from the cut.
  std::size_t partial_margin() const;

 private:
  struct Entry {
    std::string_view value;      ///< into the credentials, extra_ or derived_
    std::size_t anchor_pos = 0;  ///< its longest URL-unreserved run, present in every form
    std::size_t anchor_len = 0;
    bool plain = false;          ///< only unreserved characters: no other spelling exists
  };
  void prepare() const;

  ProviderCredentials const* provider_ = nullptr;
  AccountCredentials const* account_ = nullptr;
  std::vector<std::string> extra_;
  mutable bool prepared_ = false;
  mutable std::vector<std::string> derived_;  ///< proxy parts and forms, built once by prepare()
  mutable std::vector<Entry> secrets_;        ///< longest first, so a URL is replaced before its password
};
inline Redactor redactor_for(ProviderCredentials const& provider, AccountCredentials const& account) {
  return Redactor(provider, account);
}

/// "body starts with \"…\"": the first 80 characters of a body, scrubbed, for malformed-answer
/// messages ("empty body" / "blank body" when there is nothing to show). Never shows part of a secret.
std::string glimpse(Redactor const& redactor, std::string_view body);

}  // namespace outreach::codec
