#include "daemon/cli/cmd_simulate.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include "daemon/cli/cli.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/sim/simulator.hpp"

namespace outreach::cli {
namespace {

constexpr std::string_view kDefaultListen = "127.0.0.1:8080";

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

int fail(int code, std::string const& message) {
  std::fprintf(stderr, "outreachd simulate: %s\n", message.c_str());
  return code;
}

}  // namespace

CommandSpec const& simulate_spec() {
  static CommandSpec const spec{
      .name = "simulate",
      .positionals = "",
      .min_positionals = 0,
      .max_positionals = 0,
      .summary = "Serve a local simulator of all four provider APIs (for demos and tests).",
      .details =
          "Serves getxapi, twitterapi_io, tweetapi and x_api under /getxapi, /twitterapi_io,\n"
          "/tweetapi and /x_api on one loopback port, plus GET /_sim/messages (every DM accepted)\n"
          "and GET /_sim/stats. Point a provider's base_url at e.g. http://127.0.0.1:8080/getxapi.\n"
          "Without --scenario it runs the built-in demo scenario (see --print-default-scenario and\n"
          "docs/simulator.md for its users, API keys and session tokens).\n"
          "Prints \"simulator listening on http://HOST:PORT\" to stdout when ready (PORT 0 picks a\n"
          "free port; the line shows the real one) and stops on SIGTERM or SIGINT.\n"
          "Exit status: 0 after a signal, 1 bad scenario/log/bind, 2 usage error.",
      .options =
          {
              {"listen", "HOST:PORT", "loopback address to serve on (default 127.0.0.1:8080)"},
              {"scenario", "FILE", "scenario JSON file (default: the built-in demo scenario)"},
              {"log", "FILE", "also append every accepted DM to FILE as JSON Lines (truncated at start)"},
              {"print-default-scenario", "", "print the built-in scenario as JSON and exit"},
              {"verbose", "", "one line per request on stderr (method, path, status; never the query)"},
              kConfigOption,
          },
  };
  return spec;
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return make_error("--listen must be HOST:PORT, e.g. 127.0.0.1:8080, but got \"" + std::string(text) + "\"");
  std::string host(text.substr(0, colon));
  const auto port_text = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) return make_error("--listen port must be 0 to 65535, but got \"" + std::string(port_text) + "\"");
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535 || port_text.size() > 5)
    return make_error("--listen port must be 0 to 65535, but got \"" + std::string(port_text) + "\"");
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return make_error("--listen host \"" + host + "\" is not an IP address");
  if (!address.is_loopback())
    return make_error("--listen host " + host + " is not a loopback address; the simulator only serves 127.0.0.1 or ::1");
  return ListenAddress{address.to_string(), static_cast<std::uint16_t>(port)};
}

int cmd_simulate(std::vector<std::string> const& args) {
  auto parsed = parse_command_line(simulate_spec(), args);
  if (!parsed.args) return parsed.exit_code;
  auto const& a = *parsed.args;

  if (a.flag("print-default-scenario")) {
    auto text = default_scenario_json();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  }

  auto listen = parse_listen_address(a.value("listen").value_or(std::string(kDefaultListen)));
  if (!listen) return fail(kExitUsage, listen.error().message + "; run \"outreachd simulate --help\" for usage");

  Scenario scenario;
  std::string scenario_name = "built-in demo scenario";
  if (auto file = a.value("scenario")) {
    auto loaded = load_scenario_file(*file);
    if (!loaded) return fail(kExitInvalid, loaded.error().message);
    scenario = std::move(*loaded);
    scenario_name = *file;
  } else {
    scenario = default_scenario();
  }
  const auto users = scenario.users.size();
  const auto accounts = scenario.accounts.size();
  const auto faults = scenario.faults.size();

  std::unique_ptr<std::FILE, FileCloser> log;
  if (auto path = a.value("log")) {
    log.reset(std::fopen(path->c_str(), "w"));
    if (!log) return fail(kExitInvalid, "--log file " + *path + " cannot be opened for writing");
  }

  Simulator simulator(std::move(scenario), [] {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  });
  if (log) {
    // One flushed line per DM, so a test can read the file while the simulator runs.
    simulator.set_message_sink([file = log.get()](SimMessage const& m) {
      const std::string line = to_json(m) + "\n";
      std::fwrite(line.data(), 1, line.size(), file);
      std::fflush(file);
    });
  }

  const bool verbose = a.flag("verbose");
  boost::asio::io_context io;
  std::optional<HttpServer> server;
  try {
    server.emplace(io, listen->host, listen->port, [&simulator, verbose](HttpRequest const& request) {
      ServerReply reply = simulator.handle(request);
      if (verbose) {
        const auto path = std::string_view(request.target).substr(0, request.target.find('?'));
        std::fprintf(stderr, "%s %.*s -> %d%s\n", request.method.c_str(), static_cast<int>(path.size()), path.data(),
                     reply.response.status,
                     reply.action == ServerReply::Action::drop_after_request ? " (dropped)"
                     : reply.action == ServerReply::Action::close_mid_body   ? " (cut mid-body)"
                                                                              : "");
      }
      return reply;
    });
  } catch (std::exception const& e) {
    return fail(kExitInvalid, "cannot listen on " + listen->host + ":" + std::to_string(listen->port) + ": " + e.what());
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](boost::system::error_code const& ec, int) {
    if (!ec) server->stop();
  });

  std::fprintf(stderr, "outreachd simulate: %s (%zu users, %zu accounts, %zu fault rules)\n", scenario_name.c_str(),
               users, accounts, faults);
  std::fprintf(stdout, "simulator listening on %s\n", server->base_url().c_str());
  std::fflush(stdout);

  io.run();
  std::fprintf(stderr, "outreachd simulate: stopped after accepting %zu DMs (%llu duplicates)\n",
               simulator.messages().size(), static_cast<unsigned long long>(simulator.duplicate_deliveries()));
  return kExitOk;
}

}  // namespace outreach::cli
