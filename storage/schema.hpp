#pragma once
// The database schema as an ordered list of migrations; PRAGMA user_version records how many have
// been applied. Tables are internal; the four views of SPEC §5 are the stable interface.
#include <span>
#include <string_view>

namespace outreach {

/// migrations()[i] takes the schema from version i to version i + 1.
std::span<const std::string_view> migrations();

/// The schema version this build writes: migrations().size().
int current_schema_version();

}  // namespace outreach
