#pragma once
// The one entry point for reading a campaign file (README.md#campaign-files), used by the daemon's
// import and by `outreachd validate`. core/ does no I/O: the caller hands in byte sources for the
// JSON file and for the recipients_csv it names (the caller resolves that path and confines it to
// watch_dir).
//
// Two streaming passes over the JSON, so memory stays constant in the recipient count while JSON
// key order stays free ("message" may come after "recipients"):
//   1. the campaign-level fields and every document/header problem;
//   2. the inline recipients in order, then the CSV rows: each is checked and rendered, and valid
//      ones go to the sink in file order.
// The file is valid iff report.problems is empty. The sink is only called while no problem has
// been found; once one is, the caller must discard what the sink got (storage rolls back).
// Duplicate recipients are not collapsed here (storage does it with a unique index).
#include <cstddef>
#include <functional>
#include <string>

#include "core/campaign.hpp"
#include "core/campaign_validator.hpp"
#include "core/problem_list.hpp"
#include "core/result.hpp"

namespace outreach {

/// Fills up to `capacity` bytes into `buffer` and returns how many; 0 means the end.
using ByteSource = std::function<std::size_t(char* buffer, std::size_t capacity)>;

struct CampaignSources {
  std::function<ByteSource()> open_json;                                         ///< called once per pass
  std::function<Result<ByteSource>(std::string const& relative_path)> open_csv;  ///< resolves & confines the path
};

struct CampaignReport {
  CampaignHeader header;
  std::size_t recipients = 0;  ///< recipient entries read (inline + CSV data rows), valid or not
  ProblemList problems;
};

/// Reads and validates a whole campaign. `sink` may be empty (validate only).
CampaignReport read_campaign(CampaignSources const& sources, AccountNames const& configured_accounts,
                             std::function<void(ValidRecipient&&)> const& sink);

}  // namespace outreach
