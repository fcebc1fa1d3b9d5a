#pragma once
// `outreachd simulate [--listen HOST:PORT] [--scenario FILE] [--log FILE]` (README.md#command-line,
// docs/simulator.md): serves the four simulated provider APIs on one loopback port (see
// daemon/sim/simulator.hpp and docs/simulator.md). Prints exactly one line to stdout once it
// accepts connections:
//   simulator listening on http://127.0.0.1:PORT
// (with the real port when PORT is 0), then runs until SIGTERM or SIGINT and exits 0.
// Exit status: 1 for an unreadable or invalid scenario, an unwritable log or an address that
// cannot be bound; 2 for usage errors (including a non-loopback --listen address).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "daemon/cli/cli_args.hpp"

namespace outreach::cli {

CommandSpec const& simulate_spec();

/// A parsed --listen value. Only loopback addresses are accepted: the simulator has no auth of
/// its own worth the name, and its message log shows DM texts.
struct ListenAddress {
  std::string host;  ///< "127.0.0.1", "::1" … ("localhost" becomes "127.0.0.1")
  std::uint16_t port = 0;
};
Result<ListenAddress> parse_listen_address(std::string_view text);

/// `args` are the words after "simulate".
int cmd_simulate(std::vector<std::string> const& args);

}  // namespace outreach::cli
