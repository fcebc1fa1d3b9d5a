#pragma once
// The campaign data model shared by validation (core), import (storage) and the daemon.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace outreach {

/// Template variables of one recipient, in file order. Small (a handful), so a vector beats a map.
using Vars = std::vector<std::pair<std::string, std::string>>;

/// Campaign-level fields of a campaign file (README.md#campaign-files), everything except the
/// recipients.
struct CampaignHeader {
  std::string name;
  std::vector<std::string> accounts;
  std::string message;                        ///< the template text, before rendering
  std::optional<std::string> recipients_csv;  ///< as written in the file (relative path)
  int priority = 0;
  std::optional<TimePoint> start_at;
  bool dry_run = false;
};

/// One recipient as it streams out of the file: at least one of username / user_id is set.
struct Recipient {
  std::string username;  ///< without the leading @; empty if only user_id was given
  std::string user_id;   ///< decimal digits; empty if only username was given
  Vars vars;
};

/// A recipient that passed validation, with its message rendered.
struct ValidRecipient {
  std::string username;
  std::string user_id;
  std::string text;  ///< the rendered message, 1..10,000 code points of valid UTF-8
};

/// One thing wrong with a campaign file, with where it is: "name", "recipients[3].user_id",
/// "spring.csv line 7", "line 12 column 4" (a JSON syntax error).
struct Problem {
  std::string location;
  std::string message;
};

/// "location: message" — the line format of rejected/<file>.error and `outreachd validate`.
std::string format_problem(Problem const& p);

}  // namespace outreach
