#pragma once
// A small HTTP/1.1 server on loopback, used by tests and by the provider simulator. The header shows
// no Beast (Beast translation units cost ~30 s each): the server works on core/http.hpp's plain
// structs and runs on the caller's io_context.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http.hpp"
#include "core/time.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace outreach {

namespace detail {
struct HttpServerState;
}  // namespace detail

/// What the handler wants the server to do with one request.
struct ServerReply {
  HttpResponse response;  ///< Content-Length is set by the server; other headers are sent as given
  Duration delay{0};      ///< wait this long before answering (a slow server)
  enum class Action {
    respond,             ///< send `response` (keep-alive unless the client asked to close)
    drop_after_request,  ///< read the whole request, then close without answering
    close_mid_body,      ///< send the headers and half the body (Content-Length says all), then close
  } action = Action::respond;
};

/// Called once per request, on the io_context's thread. `HttpRequest::target` is path plus query.
/// An exception escaping the handler becomes a 500 answer.
using HttpHandler = std::function<ServerReply(HttpRequest const&)>;

struct HttpServerOptions {
  std::size_t max_body_bytes = 1024 * 1024;  ///< larger request bodies get 413
  std::size_t max_header_bytes = 8 * 1024;   ///< larger header blocks get 431
  Duration idle_timeout = std::chrono::seconds(60);  ///< an idle keep-alive connection is closed
  /// TLS (tests of the client's certificate checks): PEM files; both empty = plain HTTP.
  std::string tls_cert_chain_file;
  std::string tls_private_key_file;
};

class HttpServer {
 public:
  /// Binds and starts accepting at once. Throws (at start-up only) if the address cannot be bound.
  /// `port` 0 picks an ephemeral port; see port().
  HttpServer(boost::asio::io_context& io, std::string const& host, std::uint16_t port, HttpHandler handler,
             HttpServerOptions options = {});
  ~HttpServer();  ///< stops (closes the acceptor and every open connection)
  HttpServer(HttpServer const&) = delete;
  HttpServer& operator=(HttpServer const&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  ///< "http://127.0.0.1:PORT" ("https://…" with TLS; the bound host)

  /// Connections accepted so far (tests use it to observe keep-alive reuse).
  std::size_t accepted_connections() const;
  /// Requests handed to the handler so far.
  std::size_t handled_requests() const;
  /// Connections currently open (their sessions not yet finished). Call on the io_context's thread.
  std::size_t open_connections() const;

  /// Stops accepting and closes open connections. Idempotent; call on the io_context's thread.
  void stop();

 private:
  std::shared_ptr<detail::HttpServerState> state_;
};

}  // namespace outreach
