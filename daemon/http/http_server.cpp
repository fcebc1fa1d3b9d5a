// The loopback HTTP/1.1 server (tests, simulator). One coroutine per connection on the caller's
// io_context; every Asio call uses as_tuple so no exception escapes into io_context::run(), and each
// session is wrapped in a catch-all besides (a hostile request must never take the process down).
#include "daemon/http/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <strings.h>
#include <unordered_map>
#include <utility>

namespace outreach {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct ConnectionHandle {
  beast::tcp_stream* tcp = nullptr;
  asio::steady_timer* timer = nullptr;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_parse_error(error_code const& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_target).category()) return false;
  // These two mean the peer went away (before or during a request), not that it sent garbage.
  return ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct detail::HttpServerState {
  HttpServerState(asio::io_context& io_in, HttpHandler handler_in, HttpServerOptions options_in)
      : io(io_in), acceptor(io_in), handler(std::move(handler_in)), options(std::move(options_in)) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpHandler handler;
  HttpServerOptions options;
  std::optional<ssl::context> tls;
  std::string base_url;
  std::uint16_t port = 0;
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> handled{0};
  bool stopped = false;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, ConnectionHandle> connections;  // open sessions, for stop()
};

namespace {

using State = detail::HttpServerState;

/// Registers a session's socket and timer so stop() can close them; deregisters on every exit path.
class Registration {
 public:
  Registration(State& state, beast::tcp_stream& tcp, asio::steady_timer& timer) : state_(state), id_(state.next_id++) {
    state_.connections.emplace(id_, ConnectionHandle{&tcp, &timer});
  }
  ~Registration() { state_.connections.erase(id_); }
  Registration(Registration const&) = delete;
  Registration& operator=(Registration const&) = delete;

 private:
  State& state_;
  std::uint64_t id_;
};

HttpRequest to_plain(http::request<http::string_body>& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (auto const& field : req) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(req.body());
  return out;
}

http::response<http::string_body> to_beast(HttpResponse response, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(11);
  int status = response.status;
  if (status < 100 || status > 999) status = 500;
  res.result(static_cast<unsigned>(status));
  for (auto& [name, value] : response.headers) {
    // The server owns framing: a handler's own length/encoding headers could desynchronise the stream.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    if (iequals(name, "connection")) {
      if (iequals(value, "close")) keep_alive = false;
      continue;
    }
    res.insert(name, value);
  }
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> error_response(unsigned status, std::string_view text) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(status);
  res.set(http::field::content_type, "text/plain");
  res.body() = std::string(text) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

/// Closes after an error answer sent before the whole request was read. Closing a socket with unread
/// input makes the kernel send RST, which can destroy the answer before the client reads it; so send
/// FIN first and drain (bounded in bytes and time) until the client closes its side.
asio::awaitable<void> linger_close(beast::tcp_stream& tcp) {
  error_code ignored;
  tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcp.expires_after(std::chrono::seconds(2));
  std::array<char, 4096> sink{};
  std::size_t drained = 0;
  while (drained < 256 * 1024) {
    auto [ec, n] = co_await tcp.async_read_some(asio::buffer(sink), use_tuple);
    if (ec) break;
    drained += n;
  }
  tcp.close();
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<State> st, Stream& stream, beast::tcp_stream& tcp, asio::steady_timer& timer) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(st->options.max_body_bytes));
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(st->options.max_header_bytes, UINT32_MAX)));
    tcp.expires_after(st->options.idle_timeout);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    (void)read_n;
    if (st->stopped) co_return;
    if (read_ec) {
      if (!is_parse_error(read_ec)) co_return;  // peer closed, idle timeout, reset
      unsigned status = 400;
      std::string_view text = "bad request";
      if (read_ec == http::error::body_limit) {
        status = 413;
        text = "request body too large";
      } else if (read_ec == http::error::header_limit) {
        status = 431;
        text = "request header fields too large";
      }
      auto res = error_response(status, text);
      tcp.expires_after(st->options.idle_timeout);
      co_await http::async_write(stream, res, use_tuple);
      co_await linger_close(tcp);
      co_return;
    }

    auto req = parser.release();
    bool const keep_alive = req.keep_alive();
    HttpRequest plain = to_plain(req);
    ++st->handled;
    ServerReply reply;
    try {
      reply = st->handler(plain);
    } catch (...) {
      reply = ServerReply{};
      reply.response.status = 500;
      reply.response.body = "handler failed\n";
    }

    if (reply.delay > Duration::zero()) {
      tcp.expires_never();
      timer.expires_after(reply.delay);
      co_await timer.async_wait(use_tuple);
      if (st->stopped) co_return;
    }

    if (reply.action == ServerReply::Action::drop_after_request) {
      tcp.close();
      co_return;
    }

    auto res = to_beast(std::move(reply.response), keep_alive);
    tcp.expires_after(st->options.idle_timeout);

    if (reply.action == ServerReply::Action::close_mid_body) {
      // Announce the whole body (at least 2 bytes, so that half of it is never a complete message),
      // send the first half, then close.
      std::string body = std::move(res.body());
      res.body().clear();
      res.content_length(std::max<std::size_t>(body.size(), 2));
      http::response_serializer<http::string_body> serializer{res};
      auto [header_ec, header_n] = co_await http::async_write_header(stream, serializer, use_tuple);
      (void)header_n;
      if (!header_ec && body.size() >= 2) {
        co_await asio::async_write(stream, asio::buffer(body.data(), body.size() / 2), use_tuple);
      }
      tcp.close();
      co_return;
    }

    auto [write_ec, write_n] = co_await http::async_write(stream, res, use_tuple);
    (void)write_n;
    if (write_ec || !res.keep_alive() || st->stopped) {
      error_code ignored;
      tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
      tcp.close();
      co_return;
    }
  }
}

asio::awaitable<void> session(std::shared_ptr<State> st, tcp::socket socket) {
  try {
    asio::steady_timer timer(st->io);
    if (st->tls) {
      ssl::stream<beast::tcp_stream> stream(std::move(socket), *st->tls);
      auto& tcp = beast::get_lowest_layer(stream);
      Registration registration(*st, tcp, timer);
      tcp.expires_after(st->options.idle_timeout);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
      if (ec || st->stopped) co_return;
      co_await serve(st, stream, tcp, timer);
    } else {
      beast::tcp_stream stream(std::move(socket));
      Registration registration(*st, stream, timer);
      co_await serve(st, stream, stream, timer);
    }
  } catch (...) {
    // Only allocation failures or a Beast invariant can land here; the connection is dropped.
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> st) {
  asio::steady_timer backoff(st->io);
  while (!st->stopped) {
    auto [ec, socket] = co_await st->acceptor.async_accept(use_tuple);
    if (st->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: pause instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    ++st->accepted;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(st->io, session(st, std::move(socket)), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, std::string const& host, std::uint16_t port, HttpHandler handler,
                       HttpServerOptions options)
    : state_(std::make_shared<detail::HttpServerState>(io, std::move(handler), std::move(options))) {
  auto& st = *state_;
  auto const address = asio::ip::make_address(host == "localhost" ? std::string("127.0.0.1") : host);
  tcp::endpoint const endpoint(address, port);
  st.acceptor.open(endpoint.protocol());
  st.acceptor.set_option(tcp::acceptor::reuse_address(true));
  st.acceptor.bind(endpoint);
  st.acceptor.listen(asio::socket_base::max_listen_connections);
  st.port = st.acceptor.local_endpoint().port();

  bool const with_tls = !st.options.tls_cert_chain_file.empty() || !st.options.tls_private_key_file.empty();
  if (with_tls) {
    st.tls.emplace(ssl::context::tls_server);
    st.tls->use_certificate_chain_file(st.options.tls_cert_chain_file);
    st.tls->use_private_key_file(st.options.tls_private_key_file, ssl::context::pem);
  }
  std::string const shown_host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  st.base_url = std::string(with_tls ? "https" : "http") + "://" + shown_host + ":" + std::to_string(st.port);

  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return state_->port; }
std::string HttpServer::base_url() const { return state_->base_url; }
std::size_t HttpServer::accepted_connections() const { return state_->accepted.load(); }
std::size_t HttpServer::handled_requests() const { return state_->handled.load(); }
std::size_t HttpServer::open_connections() const { return state_->connections.size(); }

void HttpServer::stop() {
  auto& st = *state_;
  if (st.stopped) return;
  st.stopped = true;
  error_code ignored;
  st.acceptor.close(ignored);
  // Closing only cancels: the sessions' completion handlers run later and deregister themselves.
  for (auto& [id, handle] : st.connections) {
    handle.timer->cancel();
    handle.tcp->close();
  }
}

}  // namespace outreach
