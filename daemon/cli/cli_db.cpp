#include "daemon/cli/cli_db.hpp"

#include <cstdio>
#include <filesystem>

namespace outreach::cli {

std::optional<Config> load_config_for(std::string_view command, ParsedArgs const& args) {
  const std::string path = config_path_from(args);
  ConfigLoad load = load_config_file(path, SecretEnvironment::without_secrets());
  if (!load.config) {
    for (auto const& e : load.errors)
      std::fprintf(stderr, "outreachd %.*s: %s\n", static_cast<int>(command.size()), command.data(), e.c_str());
    return std::nullopt;
  }
  return std::move(load.config);
}

std::optional<OpenedDatabase> open_database_for(std::string_view command, ParsedArgs const& args) {
  std::string path;
  std::string state_dir;
  if (auto db = args.value("db")) {
    path = *db;
    state_dir = std::filesystem::path(path).parent_path().string();
    if (state_dir.empty()) state_dir = ".";
  } else {
    auto config = load_config_for(command, args);
    if (!config) return std::nullopt;
    state_dir = config->state_dir;
    path = database_path(state_dir);
  }
  OpenOptions options;
  options.create = false;
  auto db = Database::open(path, options);
  if (!db) {
    std::fprintf(stderr, "outreachd %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 db.error().message.c_str());
    return std::nullopt;
  }
  return OpenedDatabase{std::move(*db), state_dir};
}

}  // namespace outreach::cli
