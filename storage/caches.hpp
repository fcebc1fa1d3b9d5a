#pragma once
// Lookup caches (docs/send-rules.md#candm-check-and-cache): username → user id (a fact about X,
// shared by all accounts) and canDm per (account, user id) (the answer depends on who asks).
// Entries older than the TTL (can_dm.cache_ttl) are misses; prune_caches() deletes them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace outreach {

struct CachedUser {
  bool exists = false;  ///< false: the provider said there is no such user
  std::string user_id;  ///< set when exists
};

/// nullopt on a miss (never looked up, or older than `ttl`). Usernames match case-insensitively.
Result<std::optional<CachedUser>> cached_user(Database& db, std::string_view username, TimePoint now, Duration ttl);
/// Stores a lookup's answer; `user_id` nullopt records "no such user".
Result<void> cache_user(Database& db, std::string_view username, std::optional<std::string_view> user_id,
                        TimePoint now);

/// nullopt on a miss; otherwise whether `account` may DM `user_id`.
Result<std::optional<bool>> cached_can_dm(Database& db, std::string_view account, std::string_view user_id,
                                          TimePoint now, Duration ttl);
Result<void> cache_can_dm(Database& db, std::string_view account, std::string_view user_id, bool can_dm, TimePoint now);

/// Deletes entries older than `ttl`; returns how many.
Result<std::int64_t> prune_caches(Database& db, TimePoint now, Duration ttl);

}  // namespace outreach
