#include "daemon/cmd_check_config.hpp"

#include <algorithm>
#include <cstdio>

#include "config/config.hpp"
#include "core/duration.hpp"
#include "daemon/cli.hpp"

namespace outreach::cli {
namespace {

std::string padded(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// What an operator wants to see after a change: where things live and what each account may do.
// Never a secret: only names, URLs (which may not carry credentials) and numbers.
std::string summary(std::string const& path, Config const& c) {
  std::string out;
  auto row = [&](std::string_view label, std::string const& value) {
    out += padded(label, 11) + value + "\n";
  };
  row("config", path + " is valid");
  row("state_dir", c.state_dir);
  row("watch_dir", c.watch_dir);
  row("log_level", std::string(to_string(c.log_level)));
  row("pacing", format_duration(c.pacing.min) + " to " + format_duration(c.pacing.max) + " between sends");
  row("retry", "base " + format_duration(c.retry.backoff.base) + ", max " + format_duration(c.retry.backoff.max) +
                   ", " + std::to_string(c.retry.max_attempts) + " attempts");
  row("can_dm", "cached for " + format_duration(c.can_dm.cache_ttl));
  row("http", "connect " + format_duration(c.http.connect_timeout) + ", request " +
                  format_duration(c.http.request_timeout));

  if (c.providers.empty()) row("providers", "(none)");
  for (std::size_t i = 0; i < c.providers.size(); ++i) {
    ProviderConfig const& p = c.providers[i];
    row(i == 0 ? "providers" : "", padded(to_string(p.kind), 15) + p.base_url);
  }

  std::size_t name_width = 0;
  for (auto const& a : c.accounts) name_width = std::max(name_width, a.name.size());
  if (c.accounts.empty()) row("accounts", "(none)");
  for (std::size_t i = 0; i < c.accounts.size(); ++i) {
    AccountConfig const& a = c.accounts[i];
    row(i == 0 ? "accounts" : "", padded(a.name, name_width + 2) + padded(to_string(a.provider), 15) +
                                      padded(to_string(a.tier), 13) + "cap " + std::to_string(a.effective_cap) +
                                      " per 24h");
  }
  return out;
}

}  // namespace

CommandSpec const& check_config_spec() {
  static CommandSpec const spec{
      .name = "check-config",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Parse the config file, resolve its secrets and report every problem.",
      .details = "Problems go to stderr, one per line, naming the file, line and key. On success a\n"
                 "summary (directories, providers, accounts and their daily caps; never a secret)\n"
                 "goes to stdout. Exit status: 0 valid, 1 problems found, 2 usage error.",
      .options = {kConfigOption},
  };
  return spec;
}

int cmd_check_config(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(check_config_spec(), args);
  if (!parsed.args) return parsed.exit_code;

  const std::string path = config_path_from(*parsed.args);
  const ConfigLoad load = load_config_file(path, SecretEnvironment::from_process());
  for (auto const& w : load.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (auto const& e : load.errors) std::fprintf(stderr, "error: %s\n", e.c_str());
  if (!load.config) {
    const std::size_t n = load.errors.size();
    std::fprintf(stderr, "outreachd check-config: %zu problem%s in %s\n", n, n == 1 ? "" : "s", path.c_str());
    return kExitInvalid;
  }
  std::fputs(summary(path, *load.config).c_str(), stdout);
  return kExitOk;
}

}  // namespace outreach::cli
