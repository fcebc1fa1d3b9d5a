#include "daemon/cli/cmd_check_config.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "config/config.hpp"
#include "core/duration.hpp"
#include "daemon/cli/cli.hpp"

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

// A word for a POSIX shell: as it is when it holds nothing the shell would read, else in single quotes.
std::string shell_word(std::string const& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._-+:@,=%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Outside the service (an operator's shell) no systemd credential exists, so each
// `{ credential = "…" }` would be one "needs $CREDENTIALS_DIRECTORY" error, eleven for the shipped
// example. They are one fact with one fix, so they are one sentence giving the command that checks
// the config as the service sees it (the shipped unit's User= and LoadCredential=; --config when
// the file is not the unit's, since $OUTREACHD_CONFIG does not reach the service either).
std::string outside_service_sentence(std::size_t count, std::string const& path) {
  std::string command =
      "sudo systemd-run --pipe --wait --quiet -p User=outreachd "
      "-p LoadCredential=outreachd:/etc/outreachd/credentials outreachd check-config";
  if (path != kDefaultConfigPath) {
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    command += " --config " + shell_word(ec ? path : absolute.lexically_normal().string());
  }
  if (count == 1)
    return "1 secret is a systemd credential ({ credential = \"…\" }), which exists only inside the service; "
           "check it as the service sees it: " + command;
  return std::to_string(count) +
         " secrets are systemd credentials ({ credential = \"…\" }), which exist only inside the service; "
         "check them as the service sees them: " + command;
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
                 "goes to stdout. Outside the service, { credential = \"NAME\" } secrets cannot be\n"
                 "read: they are summed up in one sentence giving the systemd-run command that\n"
                 "checks the config as the service sees it. Exit status: 0 valid, 1 problems found\n"
                 "or secrets not checked, 2 usage error.",
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
  const std::vector<std::size_t>& outside = load.outside_service_errors;
  for (std::size_t i = 0; i < load.errors.size(); ++i)
    if (!std::binary_search(outside.begin(), outside.end(), i))
      std::fprintf(stderr, "error: %s\n", load.errors[i].c_str());
  if (!load.config) {
    // Exit 1 even when the credentials are all that is left: they could not be checked.
    const std::size_t n = load.errors.size() - outside.size();
    if (outside.empty())
      std::fprintf(stderr, "outreachd check-config: %zu problem%s in %s\n", n, n == 1 ? "" : "s", path.c_str());
    else if (n == 0)
      std::fprintf(stderr, "outreachd check-config: no other problem in %s, but %s\n", path.c_str(),
                   outside_service_sentence(outside.size(), path).c_str());
    else
      std::fprintf(stderr, "outreachd check-config: %zu problem%s in %s, and %s\n", n, n == 1 ? "" : "s",
                   path.c_str(), outside_service_sentence(outside.size(), path).c_str());
    return kExitInvalid;
  }
  std::fputs(summary(path, *load.config).c_str(), stdout);
  return kExitOk;
}

}  // namespace outreach::cli
