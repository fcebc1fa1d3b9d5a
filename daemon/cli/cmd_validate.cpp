#include "daemon/cli/cmd_validate.hpp"

#include <cstdio>
#include <filesystem>

#include "daemon/runtime/campaign_intake.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/cli/cli_db.hpp"

namespace outreach::cli {

CommandSpec const& validate_spec() {
  static CommandSpec const spec{
      .name = "validate",
      .positionals = "FILE",
      .min_positionals = 1,
      .max_positionals = 1,
      .summary = "Check a campaign file without importing it.",
      .details = "Checks every field, every recipient and the rendered message of each, and that the\n"
                 "campaign's accounts are configured. recipients_csv is read relative to FILE and must\n"
                 "stay inside FILE's directory. Every problem is listed on stderr with its location.\n"
                 "Exit status: 0 valid, 1 invalid, 2 usage error.",
      .options = {kConfigOption},
  };
  return spec;
}

int cmd_validate(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(validate_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  auto config = load_config_for("validate", *parsed.args);
  if (!config) return kExitInvalid;
  AccountNames accounts;
  for (auto const& a : config->accounts) accounts.insert(a.name);

  const std::filesystem::path file = parsed.args->positionals.front();
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  ValidationReport report = validate_campaign_file(file, dir, accounts);
  if (!report.valid) {
    std::fputs(report.problems_text.c_str(), stderr);
    return kExitInvalid;
  }
  std::printf("%s: valid campaign \"%s\" with %zu recipients\n", file.string().c_str(), report.campaign.c_str(),
              report.recipients);
  return kExitOk;
}

}  // namespace outreach::cli
