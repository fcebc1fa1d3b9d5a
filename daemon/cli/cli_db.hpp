#pragma once
// How CLI commands find the database: --db FILE, else state_dir/outreachd.db from the config.
// CLI commands never take the daemon's lock and never run crash recovery
// (docs/send-rules.md#crash-recovery).
#include <optional>
#include <string>

#include "config/config.hpp"
#include "daemon/cli/cli_args.hpp"
#include "storage/database.hpp"

namespace outreach::cli {

struct OpenedDatabase {
  Database db;
  std::string state_dir;  ///< where the running daemon's control socket lives
};

/// Opens an existing database (never creates one: a typo must not yield an empty database).
/// Prints one sentence to stderr and returns nullopt on failure.
std::optional<OpenedDatabase> open_database_for(std::string_view command, ParsedArgs const& args);

/// Loads the config for a command, printing problems to stderr; nullopt when unusable.
std::optional<Config> load_config_for(std::string_view command, ParsedArgs const& args);

}  // namespace outreach::cli
