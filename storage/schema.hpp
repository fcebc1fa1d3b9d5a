#pragma once
// The database schema as an ordered list of migrations; PRAGMA user_version records how many have
// been applied. Tables are internal; the four views of README.md#the-schema-stable-interface are
// the stable interface.
#include <span>
#include <string_view>

namespace outreach {

struct Migration {
  std::string_view sql;
  /// The step edits a table's CREATE text in sqlite_schema (PRAGMA writable_schema): the schema
  /// version cookie must then change so that SQLite reloads the schema on every connection.
  bool rewrites_schema_text = false;
};

/// migrations()[i] takes the schema from version i to version i + 1.
std::span<const Migration> migrations();

/// The schema version this build writes: migrations().size().
int current_schema_version();

}  // namespace outreach
