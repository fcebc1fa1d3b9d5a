#pragma once
// The daemon's HTTP client: async HTTP/1.1 over Beast on the daemon's io_context, HTTPS with the
// system CA store (plus an optional CA file), keep-alive reuse per origin, and timeouts. It never
// throws once running: every failure comes back as an HttpExchange whose `transport` says how far the
// request got (the in-doubt rule, docs/send-rules.md#in-doubt-sends, depends on whether the request
// was fully written). Beast stays in http_client.cpp; this header only needs the awaitable type.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/time.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace outreach {

namespace detail {
struct HttpClientState;
}  // namespace detail

struct HttpClientOptions {
  Duration connect_timeout = std::chrono::seconds(10);  ///< resolve + TCP connect + TLS handshake
  Duration request_timeout = std::chrono::seconds(30);  ///< writing the request and reading the whole response
  std::size_t max_response_bytes = 1024 * 1024;         ///< response body limit
  std::size_t max_response_header_bytes = 64 * 1024;    ///< response header block limit
  /// A pooled connection idle for longer than this is closed instead of reused (see http_client.cpp).
  Duration max_idle = std::chrono::seconds(4);
  std::size_t max_idle_per_origin = 64;  ///< idle connections kept per scheme://host:port
  std::optional<std::string> ca_file;    ///< extra trusted CA certificates (PEM), e.g. a test CA
};

struct HttpExchange {
  Transport transport = Transport::failed_before_write;
  HttpResponse response;  ///< meaningful when transport == responded (status 0 otherwise)
  /// One sentence when transport != responded. Never contains request headers or bodies (secrets).
  std::string error;
  Duration latency{0};             ///< from send() to the outcome
  bool reused_connection = false;  ///< the request went over a pooled keep-alive connection
};

class HttpClient {
 public:
  /// Loads the system CA store and `ca_file`. A CA file that cannot be loaded does not throw: every
  /// HTTPS request then fails (failed_before_write) with that reason.
  explicit HttpClient(boost::asio::io_context& io, HttpClientOptions options = {});
  ~HttpClient();  ///< closes idle connections; requests in flight finish on their own
  HttpClient(HttpClient const&) = delete;
  HttpClient& operator=(HttpClient const&) = delete;

  /// Sends `request` to base_url's origin at base_url's path prefix + request.target.
  /// Never throws; base_url is copied (parsed once per distinct value and cached).
  boost::asio::awaitable<HttpExchange> send(std::string_view base_url, HttpRequest request);

  /// TCP connections opened so far (tests observe keep-alive reuse with it).
  std::size_t connections_opened() const;
  /// send() calls made and not yet completed: counted from the call (even before the awaitable is
  /// started) until the exchange is over or the awaitable is destroyed. A harness that drives a
  /// fake clock reads it to know whether I/O is still outstanding.
  std::size_t in_flight() const;
  /// Closes every pooled idle connection.
  void close_idle();

 private:
  std::shared_ptr<detail::HttpClientState> state_;
};

}  // namespace outreach
