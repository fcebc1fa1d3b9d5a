// The Beast HTTP client (see http_client.hpp). Every Asio call completes with as_tuple, the whole
// exchange is wrapped in a catch-all, and the result records whether the request was fully written:
//   resolve / connect / TLS handshake / partial write failure -> failed_before_write
//   written, then the connection dropped or the response was unusable -> failed_after_write
//   written, then the request deadline passed -> timed_out_after_write
//
// Reusing keep-alive connections safely. A server may close an idle connection at any moment; if we
// write a request onto a connection it already closed, the write still succeeds locally and the read
// then sees EOF, which must be reported as failed_after_write (we cannot prove the server did not act
// on it), i.e. an in-doubt send for nothing. So before reusing a pooled connection we
//   1. drop it if it has been idle longer than `max_idle` (servers commonly close idle connections
//      after 5–75 s; a short cap keeps us clear of those deadlines — and a paced sender, whose sends
//      are further apart than that, simply gets a fresh connection per send), and
//   2. peek at the socket without blocking (recv MSG_PEEK|MSG_DONTWAIT): EOF means the server has
//      closed it, and any unread byte (e.g. a TLS close_notify alert or a stray response) means the
//      connection is not in a clean state; only "would block" (open and silent) passes.
// What remains is the round-trip-time race where the server closes just as we write; that case is
// reported as failed_after_write, as safety requires, never retried here.
#include "daemon/http/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <exception>
#include <optional>
#include <strings.h>
#include <sys/socket.h>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/base_url.hpp"

namespace outreach {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxCachedUrls = 256;  // base URLs come from the config: a handful in practice
constexpr std::size_t kMaxInterimResponses = 32;

using TlsStream = ssl::stream<beast::tcp_stream>;

/// One pooled connection: plain or TLS, with the read buffer that belongs to it.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<TlsStream> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since{};

  beast::tcp_stream& tcp() { return plain ? *plain : beast::get_lowest_layer(*tls); }
  void close() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

/// See the file comment: only an open, silent, clean connection may carry another request.
bool reusable(Connection& connection) {
  if (connection.buffer.size() != 0) return false;
  auto& socket = connection.tcp().socket();
  if (!socket.is_open()) return false;
  char byte = 0;
  auto const n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool is_timeout(error_code const& ec) { return ec == beast::error::timeout; }

std::string describe(error_code const& ec) {
  if (is_timeout(ec)) return "timed out";
  return ec.message();
}

std::chrono::milliseconds since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
}

}  // namespace

struct detail::HttpClientState {
  HttpClientState(asio::io_context& io_in, HttpClientOptions options_in) : io(io_in), options(std::move(options_in)) {}

  asio::io_context& io;
  HttpClientOptions options;
  // Set up on the first https:// connection, not at start: loading the system CA store costs
  // a noticeable moment (more under sanitizers), and a daemon whose providers are all reached
  // over plain HTTP (the simulator, a local proxy) never needs it.
  std::optional<ssl::context> tls;
  std::string tls_error;  // why HTTPS is unavailable, if it is
  bool tls_tried = false;

  ssl::context* tls_context() {
    if (!tls_tried) {
      tls_tried = true;
      set_up_tls();
    }
    return tls ? &*tls : nullptr;
  }

  void set_up_tls() {
    try {
      ssl::context context(ssl::context::tls_client);
      context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      context.set_verify_mode(ssl::verify_peer);
      error_code ec;
      context.set_default_verify_paths(ec);
      if (ec) {
        tls_error = "cannot load the system CA store: " + ec.message();
        return;
      }
      if (options.ca_file) {
        context.load_verify_file(*options.ca_file, ec);
        if (ec) {
          tls_error = "cannot load CA file " + *options.ca_file + ": " + ec.message();
          return;
        }
      }
      tls.emplace(std::move(context));
    } catch (std::exception const& e) {
      tls_error = std::string("cannot set up TLS: ") + e.what();
    }
  }
  std::unordered_map<std::string, BaseUrlResult> urls;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;  // by origin
  std::atomic<std::size_t> opened{0};
  std::atomic<std::size_t> in_flight{0};
  bool closed = false;

  BaseUrlResult const& lookup(std::string const& base_url) {
    auto it = urls.find(base_url);
    if (it != urls.end()) return it->second;
    if (urls.size() >= kMaxCachedUrls) urls.clear();
    return urls.emplace(base_url, parse_base_url(base_url)).first->second;
  }

  std::unique_ptr<Connection> take_idle(std::string const& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto& pool = it->second;
    auto const now = SteadyClock::now();
    while (!pool.empty()) {
      // Most recently used first: the likeliest to be alive and the furthest from any idle deadline.
      std::unique_ptr<Connection> connection = std::move(pool.back());
      pool.pop_back();
      if (now - connection->idle_since <= options.max_idle && reusable(*connection)) return connection;
      connection->close();
    }
    return nullptr;
  }

  void give_back(std::string const& origin, std::unique_ptr<Connection> connection) {
    auto& pool = idle[origin];
    if (closed || pool.size() >= options.max_idle_per_origin) {
      connection->close();
      return;
    }
    connection->tcp().expires_never();
    connection->idle_since = SteadyClock::now();
    pool.push_back(std::move(connection));
  }

  void close_idle() {
    for (auto& [origin, pool] : idle)
      for (auto& connection : pool) connection->close();
    idle.clear();
  }
};

namespace {

using State = detail::HttpClientState;

struct ConnectResult {
  std::unique_ptr<Connection> connection;
  std::string error;
};

asio::awaitable<ConnectResult> connect(std::shared_ptr<State> st, BaseUrl const& url) {
  auto const start = SteadyClock::now();
  auto const budget = st->options.connect_timeout;
  std::vector<tcp::endpoint> endpoints;
  error_code address_ec;
  auto const address = asio::ip::make_address(url.host, address_ec);
  if (!address_ec) {
    endpoints.emplace_back(address, url.port);
  } else {
    // getaddrinfo cannot be interrupted; a resolution slower than the whole connect budget is
    // reported as a timeout once it returns.
    tcp::resolver resolver(st->io);
    auto [ec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (ec) co_return ConnectResult{nullptr, "cannot resolve " + url.host + ": " + ec.message()};
    for (auto const& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) co_return ConnectResult{nullptr, "cannot resolve " + url.host + ": no addresses"};
  }
  auto const remaining = budget - since(start);
  if (remaining <= Duration::zero()) co_return ConnectResult{nullptr, "resolving " + url.host + " timed out"};

  auto connection = std::make_unique<Connection>();
  if (url.tls) {
    ssl::context* context = st->tls_context();
    if (context == nullptr) co_return ConnectResult{nullptr, st->tls_error};
    connection->tls.emplace(st->io, *context);
  } else {
    connection->plain.emplace(st->io);
  }
  auto& tcp_stream = connection->tcp();
  tcp_stream.expires_after(remaining);
  auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  (void)endpoint;
  if (connect_ec) co_return ConnectResult{nullptr, "cannot connect to " + url.origin + ": " + describe(connect_ec)};
  ++st->opened;
  error_code ignored;
  tcp_stream.socket().set_option(tcp::no_delay(true), ignored);

  if (url.tls) {
    auto& stream = *connection->tls;
    // SNI carries host names only (RFC 6066); for an IP literal the certificate's IP SAN is checked.
    if (address_ec && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
      co_return ConnectResult{nullptr, "cannot set the TLS server name for " + url.host};
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (handshake_ec) {
      connection->close();
      co_return ConnectResult{nullptr, "TLS handshake with " + url.origin + " failed: " + describe(handshake_ec)};
    }
  }
  tcp_stream.expires_never();
  co_return ConnectResult{std::move(connection), {}};
}

/// Builds the Beast request. Returns an error sentence instead if it cannot be sent as given.
std::string build(BaseUrl const& url, HttpRequest& in, http::request<http::string_body>& out) {
  http::verb const verb = http::string_to_verb(in.method);
  if (verb == http::verb::unknown) return "unsupported HTTP method";
  out.method(verb);
  out.target(url.join(in.target));
  out.version(11);
  bool has_host = false;
  bool has_agent = false;
  for (auto& [name, value] : in.headers) {
    // The client owns framing and connection management.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection")) continue;
    if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      return "invalid request header";  // never echo it: it may be a credential
    has_host = has_host || iequals(name, "host");
    has_agent = has_agent || iequals(name, "user-agent");
    out.insert(name, value);
  }
  if (!has_host) out.set(http::field::host, url.host_header);
  if (!has_agent) out.set(http::field::user_agent, "outreachd");
  out.body() = std::move(in.body);
  out.keep_alive(true);
  out.prepare_payload();
  return {};
}

template <class Stream>
asio::awaitable<void> exchange(std::shared_ptr<State> st, Stream& stream, Connection& connection,
                               http::request<http::string_body>& request, bool& written, HttpExchange& out,
                               bool& keep) {
  auto& tcp_stream = connection.tcp();
  tcp_stream.expires_after(st->options.request_timeout);
  auto [write_ec, write_n] = co_await http::async_write(stream, request, use_tuple);
  (void)write_n;
  if (write_ec) {
    out.transport = Transport::failed_before_write;
    out.error = is_timeout(write_ec) ? "timed out writing the request" : "writing the request failed: " + write_ec.message();
    co_return;
  }
  written = true;

  // RFC 9110 §15.2: a server may send interim 1xx responses (100 Continue, 103 Early Hints) before
  // the final one, and only the final one answers the request. Beast parses a 1xx as a complete
  // message with no body, so each one is read with its own parser and dropped.
  for (std::size_t interim = 0;; ++interim) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(st->options.max_response_bytes));
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(st->options.max_response_header_bytes, UINT32_MAX)));
    if (request.method() == http::verb::head) parser.skip(true);
    auto [read_ec, read_n] = co_await http::async_read(stream, connection.buffer, parser, use_tuple);
    (void)read_n;
    if (read_ec) {
      if (is_timeout(read_ec)) {
        out.transport = Transport::timed_out_after_write;
        out.error = "no complete response within " + std::to_string(st->options.request_timeout.count()) + " ms";
      } else if (read_ec == http::error::body_limit) {
        out.transport = Transport::failed_after_write;
        out.error = "response body larger than " + std::to_string(st->options.max_response_bytes) + " bytes";
        if (parser.is_header_done()) out.response.status = static_cast<int>(parser.get().result_int());
      } else if (read_ec == http::error::header_limit) {
        out.transport = Transport::failed_after_write;
        out.error = "response headers larger than " + std::to_string(st->options.max_response_header_bytes) + " bytes";
      } else if (read_ec == http::error::end_of_stream || read_ec == http::error::partial_message ||
                 read_ec == ssl::error::stream_truncated || read_ec == asio::error::connection_reset ||
                 read_ec == asio::error::eof) {
        out.transport = Transport::failed_after_write;
        out.error = "connection closed before a complete response";
      } else {
        out.transport = Transport::failed_after_write;
        out.error = "reading the response failed: " + read_ec.message();
      }
      co_return;
    }

    auto& res = parser.get();
    const unsigned status = res.result_int();
    if (status == 101) {
      // We never ask to upgrade; whatever follows on this connection is not an HTTP answer to us.
      out.transport = Transport::failed_after_write;
      out.error = "the server switched protocols (101), which the request did not ask for";
      co_return;
    }
    if (status / 100 == 1) {
      // The request timeout still bounds the whole exchange; this only stops a server that streams
      // interim responses fast from keeping us busy until then.
      if (interim == kMaxInterimResponses) {
        out.transport = Transport::failed_after_write;
        out.error = "more than " + std::to_string(kMaxInterimResponses) + " interim (1xx) responses and no final one";
        co_return;
      }
      continue;
    }
    out.transport = Transport::responded;
    out.response.status = static_cast<int>(status);
    for (auto const& field : res) out.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.response.body = std::move(res.body());
    keep = res.keep_alive() && res.version() >= 11;
    co_return;
  }
}

/// One send() counted in in_flight() for as long as it lives.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<State> st) : st_(std::move(st)) { ++st_->in_flight; }
  InFlight(InFlight&&) noexcept = default;
  InFlight& operator=(InFlight&&) = delete;
  ~InFlight() {
    if (st_) --st_->in_flight;
  }

 private:
  std::shared_ptr<State> st_;  // null once moved from
};

asio::awaitable<HttpExchange> send_impl(std::shared_ptr<State> st, InFlight counted, std::string base_url,
                                        HttpRequest request) {
  // Moved from the parameter (which lives until Asio frees the frame) into the body, so the count
  // drops as the body returns, before the caller resumes. An awaitable that is never started
  // still drops it when it is destroyed, through the parameter.
  InFlight const in_flight = std::move(counted);
  auto const start = SteadyClock::now();
  HttpExchange out;
  bool written = false;
  std::unique_ptr<Connection> connection;
  try {
    auto const& parsed = st->lookup(base_url);
    if (!parsed) {
      out.error = parsed.error().message;
      out.latency = since(start);
      co_return out;
    }
    BaseUrl const url = *parsed;  // a copy: the cache may be cleared while we wait
    if (url.tls && st->tls_context() == nullptr) {
      out.error = st->tls_error;
      out.latency = since(start);
      co_return out;
    }
    http::request<http::string_body> beast_request;
    if (auto problem = build(url, request, beast_request); !problem.empty()) {
      out.error = problem;
      out.latency = since(start);
      co_return out;
    }

    connection = st->take_idle(url.origin);
    out.reused_connection = connection != nullptr;
    if (!connection) {
      auto connected = co_await connect(st, url);
      if (!connected.connection) {
        out.error = std::move(connected.error);
        out.latency = since(start);
        co_return out;
      }
      connection = std::move(connected.connection);
    }

    bool keep = false;
    if (connection->tls)
      co_await exchange(st, *connection->tls, *connection, beast_request, written, out, keep);
    else
      co_await exchange(st, *connection->plain, *connection, beast_request, written, out, keep);
    if (keep && out.transport == Transport::responded)
      st->give_back(url.origin, std::move(connection));
    else
      connection->close();
  } catch (std::exception const&) {
    // Only allocation failure or a library invariant lands here; the transport still tells the truth.
    out = HttpExchange{};
    out.transport = written ? Transport::failed_after_write : Transport::failed_before_write;
    out.error = "internal error in the HTTP client";
    if (connection) connection->close();
  }
  out.latency = since(start);
  co_return out;
}

}  // namespace

HttpClient::HttpClient(asio::io_context& io, HttpClientOptions options)
    : state_(std::make_shared<detail::HttpClientState>(io, std::move(options))) {}

HttpClient::~HttpClient() {
  state_->closed = true;
  state_->close_idle();
}

asio::awaitable<HttpExchange> HttpClient::send(std::string_view base_url, HttpRequest request) {
  // Not a coroutine itself: base_url is copied before the caller's view can dangle, and the send
  // is counted from this call, before the awaitable has been started.
  return send_impl(state_, InFlight(state_), std::string(base_url), std::move(request));
}

std::size_t HttpClient::connections_opened() const { return state_->opened.load(); }

std::size_t HttpClient::in_flight() const { return state_->in_flight.load(); }

void HttpClient::close_idle() { state_->close_idle(); }

}  // namespace outreach
