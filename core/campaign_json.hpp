#pragma once
// Streaming parser for campaign JSON files (README.md#campaign-files), built on
// boost::json::basic_parser (SAX). A file may hold a million recipients, so recipients are handed
// out one at a time as each "recipients" element ends and never collected: memory is constant in
// the recipient count. Bytes are pushed in with feed() in chunks split anywhere; finish() ends the
// input.
//
// Structural problems never stop the parse (only a JSON syntax error does), so one run reports
// every problem, each with its location:
//   "line 3 column 14"          JSON syntax error (column counts characters, from 1)
//   "file"                      the top level is not an object, or the file is empty
//   "priority"                  wrong type, unknown or duplicate top-level field
//   "accounts[2]"               an element of "accounts"
//   "recipients[17]"            a recipient with neither username nor user_id, or not an object
//   "recipients[17].user_id"    a field of a recipient (numeric id, bad format, unknown key, …)
//   "recipients[17].vars.name"  a variable whose value is an object or array
// Ids are never converted to numbers: a numeric user_id is reported from its token text.
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "core/campaign.hpp"
#include "core/campaign_validator.hpp"

namespace outreach {

/// Which part of the file a problem is about. A two-pass reader keeps the document and header
/// problems from its first pass and the recipient problems from its second, reporting each once.
enum class ProblemScope : unsigned char { document, header, recipient };

struct CampaignJsonEvents {
  /// Every problem, in file order.
  std::function<void(Problem&&, ProblemScope)> on_problem;
  /// Every element of "recipients", in order, as it ends. `ok` is false when the element had a
  /// structural problem (already reported): not an object, a bad or missing username/user_id, a
  /// bad variable. Username has its '@' stripped; vars hold text (numbers/booleans as written,
  /// null omitted). When empty, recipients are only counted and not checked at all (a fast
  /// header-only pass: no recipient problems are reported).
  std::function<void(std::size_t index, Recipient&& recipient, bool ok)> on_recipient;
};

inline constexpr std::size_t kMaxJsonStringBytes = std::size_t{1} << 20;  ///< per string value
inline constexpr std::size_t kMaxJsonKeyBytes = 1024;
inline constexpr std::size_t kMaxVarsPerRecipient = 1'000;

class CampaignJsonParser {
 public:
  explicit CampaignJsonParser(CampaignJsonEvents events);
  ~CampaignJsonParser();
  CampaignJsonParser(CampaignJsonParser const&) = delete;
  CampaignJsonParser& operator=(CampaignJsonParser const&) = delete;

  /// Parses the next piece of the file. Ignored after a syntax error or finish().
  void feed(std::string_view chunk);
  /// Ends the input (reports a truncated or empty file). Call once.
  void finish();

  /// Campaign-level fields read so far (complete after finish()); fields with problems keep
  /// their defaults.
  CampaignHeader const& header() const;
  HeaderFields const& fields() const;
  /// Elements of "recipients" seen so far (objects or not).
  std::size_t recipients_seen() const;
  /// True once a JSON syntax error (or a truncated file) was reported.
  bool syntax_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outreach
