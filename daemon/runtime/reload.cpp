#include "daemon/runtime/reload.hpp"

#include <spdlog/spdlog.h>

namespace outreach {

std::string ReloadOutcome::answer() const {
  std::string text = applied ? "ok" : "refused";
  for (auto const& line : lines) text += "\n" + line;
  return text;
}

ReloadPlan read_reload(std::string const& path, Config const& current, SecretEnvironment const& secrets) {
  ReloadPlan plan;
  spdlog::info("reloading {}", path);
  ConfigLoad load = load_config_file(path, secrets);
  for (auto const& w : load.warnings) {
    spdlog::warn("{}", w);
    plan.outcome.lines.push_back("warning: " + w);
  }
  if (!load.config) {
    for (auto const& e : load.errors) spdlog::error("{}", e);
    spdlog::error("reload failed; still running with the previous configuration");
    plan.outcome.lines = load.errors;
    plan.outcome.lines.push_back("the daemon keeps running with its previous configuration");
    return plan;
  }
  plan.outcome.applied = true;
  Config next = std::move(*load.config);
  if (next.state_dir != current.state_dir || next.watch_dir != current.watch_dir) {
    spdlog::warn("state_dir and watch_dir changes take effect at the next restart");
    plan.outcome.lines.push_back("warning: state_dir and watch_dir changes take effect at the next restart");
  }
  next.state_dir = current.state_dir;
  next.watch_dir = current.watch_dir;
  plan.config = std::move(next);
  return plan;
}

}  // namespace outreach
