#pragma once
// Name → row lookups shared by the storage operations, with the "unknown …" errors the CLI shows.
// Internal to storage/*.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "storage/sqlite.hpp"

namespace outreach::detail {

struct AccountRow {
  std::int64_t id = 0;
  bool configured = false;
};
/// Any account ever configured; "unknown account 'x'" otherwise.
Result<AccountRow> find_account(sql::Connection& conn, std::string_view name);
/// An account in the current config; also an error for one that was removed from it.
Result<std::int64_t> configured_account_id(sql::Connection& conn, std::string_view name);

struct CampaignRow {
  std::int64_t id = 0;
  std::string control;  ///< active | paused | cancelled
};
/// "unknown campaign 'x'" when there is none.
Result<CampaignRow> find_campaign(sql::Connection& conn, std::string_view name);

/// Error text as stored: at most this many bytes, cut at a UTF-8 character boundary.
inline constexpr std::size_t kMaxStoredErrorBytes = 1000;
std::string clip_error_text(std::string_view text);

}  // namespace outreach::detail
