#include "daemon/cli.hpp"

#include <cstdio>
#include <span>
#include <string_view>

namespace outreach::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: outreachd <command> [options]\n"
    "\n"
    "commands available in this build:\n"
    "  help       show this text\n"
    "  version    print the version\n"
    "\n"
    "Every command accepts --help.\n";

}  // namespace

int run(int argc, char** argv) {
  std::span<char*> args(argv, static_cast<std::size_t>(argc));
  if (args.size() < 2) {
    std::fputs(kUsage.data(), stderr);
    return kExitUsage;
  }
  const std::string_view command = args[1];
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage.data(), stdout);
    return kExitOk;
  }
  if (command == "version" || command == "--version") {
    std::puts("outreachd 0.1.0");
    return kExitOk;
  }
  std::fprintf(stderr, "outreachd: unknown command \"%.*s\"; run \"outreachd --help\" for the list\n",
               static_cast<int>(command.size()), command.data());
  return kExitUsage;
}

}  // namespace outreach::cli
