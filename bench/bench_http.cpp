// bench_http: request rate of the daemon's HTTP client against the provider simulator on loopback,
// sequential (one connection, one request at a time) and concurrent (64 keep-alive connections),
// each printed beside `wrk` against the same endpoint in the same run, as a ratio.
//
// The simulator (getxapi dialect, POST /getxapi/twitter/dm/send with the API key and a session
// token, i.e. the real send path) runs behind HttpServer on its own thread and io_context; the
// client runs on the main thread with its own io_context, like the daemon's single event loop.
// wrk runs with one thread (-t1) so both sides drive the server from one core.
//
// Usage: bench_http [seconds per phase, default 3]
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "daemon/http/http_client.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/sim/simulator.hpp"

using namespace outreach;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char const* kApiKey = "bench-getxapi-key";
constexpr char const* kSession = "bench-getxapi-session";
constexpr char const* kRecipientId = "1000000000000000001";
constexpr int kConcurrency = 64;

std::string scenario_json() {
  return std::string(R"({"seed": 1,
    "users": [{"username": "bench_target", "id": ")") +
         kRecipientId + R"("}],
    "accounts": [{"name": "bench", "provider": "getxapi", "token": ")" +
         kSession + R"(", "user_id": "1858475867762270001", "daily_cap": 1000000000000}],
    "providers": {"getxapi": {"api_keys": [")" +
         kApiKey + R"("]}}})";
}

std::string send_body() {
  return std::string(R"({"auth_token":")") + kSession + R"(","recipient_id":")" + kRecipientId +
         R"(","text":"Hello from the benchmark"})";
}

HttpRequest send_request() {
  HttpRequest request;
  request.method = "POST";
  request.target = "/twitter/dm/send";
  request.headers = {{"Authorization", std::string("Bearer ") + kApiKey}, {"Content-Type", "application/json"}};
  request.body = send_body();
  return request;
}

/// The simulator behind an HttpServer, on its own thread.
class SimulatorServer {
 public:
  SimulatorServer() {
    auto scenario = parse_scenario(scenario_json());
    if (!scenario) throw std::runtime_error("bench scenario: " + scenario.error().message);
    simulator_.emplace(*scenario, [] { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); });
    server_.emplace(io_, "127.0.0.1", 0, [this](HttpRequest const& request) { return simulator_->handle(request); });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SimulatorServer() {
    boost::asio::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  SimulatorServer(SimulatorServer const&) = delete;
  SimulatorServer& operator=(SimulatorServer const&) = delete;

  std::string base_url() const { return server_->base_url() + "/getxapi"; }
  std::size_t accepted_connections() const { return server_->accepted_connections(); }

 private:
  boost::asio::io_context io_;
  std::optional<Simulator> simulator_;
  std::optional<HttpServer> server_;
  std::thread thread_;
};

struct Tally {
  std::uint64_t ok = 0;      // 200 with the simulator's success body
  std::uint64_t other = 0;   // anything else (would mean the benchmark measures an error path)
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

/// `workers` coroutines each send one request at a time until `duration` has passed.
Tally run_client(std::string const& base_url, int workers, std::chrono::duration<double> duration) {
  boost::asio::io_context io;
  HttpClientOptions options;
  options.request_timeout = std::chrono::seconds(10);
  HttpClient client(io, options);
  Tally tally;
  auto const request = send_request();
  auto const start = Clock::now();
  auto const deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  auto worker = [&]() -> boost::asio::awaitable<void> {
    while (Clock::now() < deadline) {
      HttpExchange exchange = co_await client.send(base_url, request);
      bool const good = exchange.transport == Transport::responded && exchange.response.status == 200 &&
                        exchange.response.body.find("\"success\"") != std::string::npos;
      if (good) {
        ++tally.ok;
      } else {
        ++tally.other;
        if (tally.other == 1)
          std::fprintf(stderr, "unexpected answer: transport %d, status %d, %s%s\n", static_cast<int>(exchange.transport),
                       exchange.response.status, exchange.error.c_str(), exchange.response.body.substr(0, 200).c_str());
      }
    }
  };
  for (int i = 0; i < workers; ++i) boost::asio::co_spawn(io, worker(), boost::asio::detached);
  io.run();
  tally.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return tally;
}

struct WrkResult {
  double rate = 0;
  std::uint64_t non_2xx = 0;
  std::uint64_t socket_errors = 0;
  bool ran = false;
};

/// Runs wrk with one thread against `url`; parses "Requests/sec:" and the error lines.
WrkResult run_wrk(std::string const& url, std::string const& script, int connections, int seconds) {
  WrkResult result;
  std::string const command = "wrk -t1 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) + "s -s " +
                              script + " " + url + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 512> line{};
  while (std::fgets(line.data(), static_cast<int>(line.size()), pipe)) {
    std::string const text(line.data());
    double value = 0;
    unsigned long long count = 0;
    if (std::sscanf(text.c_str(), " Requests/sec: %lf", &value) == 1) {
      result.rate = value;
      result.ran = true;
    }
    if (std::sscanf(text.c_str(), " Non-2xx or 3xx responses: %llu", &count) == 1) result.non_2xx = count;
    if (text.find("Socket errors:") != std::string::npos) result.socket_errors = 1;
  }
  ::pclose(pipe);
  return result;
}

void print_row(char const* name, Tally const& client, WrkResult const& wrk) {
  std::printf("%-28s %12.0f %12.0f %8.2f   (client: %llu ok, %llu other; wrk: %llu non-2xx%s)\n", name, client.rate(),
              wrk.rate, wrk.rate > 0 ? client.rate() / wrk.rate : 0.0, static_cast<unsigned long long>(client.ok),
              static_cast<unsigned long long>(client.other), static_cast<unsigned long long>(wrk.non_2xx),
              wrk.socket_errors ? ", socket errors" : "");
}

}  // namespace

int main(int argc, char** argv) {
  int const seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  SimulatorServer sim;
  std::string const url = sim.base_url();
  std::string const endpoint = url + "/twitter/dm/send";

  auto const script = std::filesystem::temp_directory_path() / ("bench_http_" + std::to_string(::getpid()) + ".lua");
  {
    std::ofstream lua(script);
    lua << "wrk.method = \"POST\"\n"
        << "wrk.body = '" << send_body() << "'\n"
        << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        << "wrk.headers[\"Authorization\"] = \"Bearer " << kApiKey << "\"\n";
  }

  std::printf("bench_http: POST %s (outreachd simulator, getxapi send), %d s per phase\n", endpoint.c_str(), seconds);
  run_client(url, 1, std::chrono::milliseconds(300));  // warm-up: first connection, allocator, caches
  auto const seq_client = run_client(url, 1, std::chrono::seconds(seconds));
  auto const seq_wrk = run_wrk(endpoint, script.string(), 1, seconds);
  auto const con_client = run_client(url, kConcurrency, std::chrono::seconds(seconds));
  auto const con_wrk = run_wrk(endpoint, script.string(), kConcurrency, seconds);
  std::filesystem::remove(script);

  std::printf("%-28s %12s %12s %8s\n", "phase", "client req/s", "wrk req/s", "ratio");
  print_row("sequential (1 connection)", seq_client, seq_wrk);
  print_row("concurrent (64 connections)", con_client, con_wrk);
  std::printf("server accepted %zu connections in all\n", sim.accepted_connections());
  if (!seq_wrk.ran || !con_wrk.ran) std::printf("note: wrk did not run (is it installed?)\n");
  return (seq_client.other + con_client.other) == 0 ? 0 : 1;
}
