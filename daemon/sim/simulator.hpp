#pragma once
// The provider simulator: all four DM provider APIs (docs/providers.md) emulated as one plain
// function over plain structs, `ServerReply handle(HttpRequest const&)`. The HTTP transport
// (daemon/http/http_server.hpp) and the `simulate` command (daemon/cli/cmd_simulate.hpp) sit around
// it, so tests can drive the whole contract without a socket.
//
// Paths: /getxapi/..., /twitterapi_io/..., /tweetapi/..., /x_api/... (each provider's own paths
// after its prefix), plus GET /_sim/messages, /_sim/inbox and /_sim/stats. GetXAPI and x_api also
// serve each account's DM inbox: the DMs it accepted plus the scenario's scripted replies once due.
// Deterministic: time comes from the injected clock (message times, when replies fall due), fault
// rates from the scenario's seed. Not thread-safe: call from one thread
// (the server's io_context thread).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/http.hpp"
#include "core/providers/provider_kind.hpp"
#include "core/time.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/sim/simulator_scenario.hpp"

namespace outreach {

namespace sim_detail {
struct SimState;
}  // namespace sim_detail

/// One DM the simulator accepted (delivered). Never holds a token, key or cookie.
struct SimMessage {
  std::uint64_t seq = 0;  ///< 1, 2, 3 … in delivery order
  ProviderKind provider = ProviderKind::getxapi;
  std::string account;    ///< the scenario account's name (the sender), not its token
  std::string sender_id;
  std::string recipient_id;
  std::string recipient_username;
  std::string text;
  std::string message_id;
  TimePoint time;
};

/// The message as one compact JSON object (a JSON Lines line without the newline):
/// {"seq","provider","account","sender_id","recipient_id","recipient_username","text","message_id","time"}.
std::string to_json(SimMessage const& message);

using SimClock = std::function<TimePoint()>;
using SimMessageSink = std::function<void(SimMessage const&)>;

class Simulator {
 public:
  Simulator(Scenario scenario, SimClock clock);
  ~Simulator();
  Simulator(Simulator&&) noexcept;
  Simulator& operator=(Simulator&&) noexcept;
  Simulator(Simulator const&) = delete;
  Simulator& operator=(Simulator const&) = delete;

  /// Answers one request as the provider under the path prefix would. Never throws on bad input.
  ServerReply handle(HttpRequest const& request);

  /// Every DM accepted so far, in order (also served as GET /_sim/messages).
  std::vector<SimMessage> const& messages() const;

  /// Called once per accepted DM, right when it is accepted (the `--log` JSON Lines writer).
  void set_message_sink(SimMessageSink sink);

  /// Deliveries whose (recipient_id, text) had already been delivered: "no duplicates" means 0.
  std::uint64_t duplicate_deliveries() const;

  /// GET /_sim/stats as JSON text: requests per provider and endpoint, deliveries, faults fired.
  std::string stats_json() const;

 private:
  std::unique_ptr<sim_detail::SimState> state_;
};

}  // namespace outreach
