#pragma once
// Campaign validation rules (README.md#campaign-files) that do not depend on the file format: the
// campaign-level checks, the identity rules for one recipient (shared by the JSON and CSV readers),
// and rendering one recipient's message. Problems are collected, never thrown, so one run reports
// all of them.
#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/campaign.hpp"
#include "core/problem_list.hpp"
#include "core/result.hpp"
#include "core/template.hpp"

namespace outreach {

/// Names of the accounts in the config; std::less<> so string_views look up without copying.
using AccountNames = std::set<std::string, std::less<>>;

inline constexpr std::size_t kMaxCampaignNameLength = 128;
inline constexpr std::size_t kMaxUsernameLength = 15;
inline constexpr std::size_t kMaxUserIdDigits = 20;

/// What became of one campaign-level field while the file was parsed. Lets validation say
/// "is required" only for a field really missing, and nothing more about one already rejected.
enum class FieldState : unsigned char {
  absent,    ///< not in the file (or null where null means "not given")
  present,   ///< present with the right type; the value is in CampaignHeader
  rejected,  ///< present, but the parser already reported a problem with it
};

struct HeaderFields {
  FieldState name = FieldState::absent;
  FieldState accounts = FieldState::absent;
  FieldState message = FieldState::absent;
  FieldState recipients = FieldState::absent;  ///< the inline "recipients" array
  FieldState recipients_csv = FieldState::absent;
};

/// "@alice" -> "alice": strips one leading '@'; the rest must be 1..15 of [A-Za-z0-9_].
/// The error sentence quotes the text and starts with "username".
Result<std::string> normalize_username(std::string_view text);

/// An X user id: 1..20 decimal digits, kept as text (ids exceed the 2^53 a double holds exactly).
/// The error sentence quotes the text and starts with "user_id".
Result<std::string> check_user_id(std::string_view text);

/// [A-Za-z0-9._-]{1,128}
bool is_valid_campaign_name(std::string_view name);

/// `text` in double quotes for a problem message: at most 40 characters (then "…"), with
/// control characters and invalid UTF-8 shown as \xNN so a hostile file cannot forge lines.
std::string quote_for_problem(std::string_view text);

/// Campaign-level checks: name, accounts (non-empty, no duplicates, all configured), message
/// (required, non-empty, compiles), and that recipients and/or recipients_csv is given. Adds one
/// problem per finding. Returns the compiled template when the message is usable, so recipients
/// can still be checked even if other header fields are wrong.
std::optional<MessageTemplate> validate_header(CampaignHeader const& header, HeaderFields const& fields,
                                               AccountNames const& configured_accounts, ProblemList& problems);

/// Where a recipient is in the campaign: "recipients[17]" or "spring.csv line 42". Built as a
/// string only when there is a problem to report (a million recipients pass through here).
struct RecipientLocation {
  std::string_view csv_file;  ///< empty for an inline JSON recipient
  std::size_t position = 0;   ///< JSON: index in "recipients"; CSV: 1-based line
  std::string to_string() const;
};

/// Renders the message for a recipient whose username / user_id already passed the identity rules.
/// On success moves the identity into the result; otherwise returns nullopt after adding one
/// problem per variable holding a control character other than newline and tab (located at
/// "recipients[3].vars.name", or at the CSV line naming the column) and one for the rendering
/// (naming every missing variable, bad UTF-8 or the length).
std::optional<ValidRecipient> validate_recipient(MessageTemplate const& message, Recipient&& recipient,
                                                 RecipientLocation const& where, ProblemList& problems);

}  // namespace outreach
