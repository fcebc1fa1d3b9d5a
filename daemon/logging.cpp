#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace outreach {
namespace {

Result<spdlog::level::level_enum> parse_level(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return make_error("log_level \"" + std::string(level) + "\" is not one of trace, debug, info, warn, error");
}

}  // namespace

Result<void> init_logging(std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  auto logger = spdlog::stderr_color_mt("outreachd");
  // journald stamps every line itself; a terminal gets our own timestamp.
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  logger->set_pattern(journal ? "%l: %v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

Result<void> set_log_level(std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  spdlog::set_level(*parsed);
  return {};
}

}  // namespace outreach
