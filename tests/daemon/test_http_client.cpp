// The HTTP client against the in-process HttpServer on 127.0.0.1:0, on one io_context and one thread.
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/http/http_client.hpp"
#include "daemon/http/http_server.hpp"

using namespace outreach;
using namespace std::chrono_literals;

namespace {

/// Runs the io_context until `done()` holds, for at most 10 s (a hung client fails, never hangs).
template <class Predicate>
void run_until(boost::asio::io_context& io, Predicate done) {
  auto const deadline = std::chrono::steady_clock::now() + 10s;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  REQUIRE(done());
}

HttpExchange send(boost::asio::io_context& io, HttpClient& client, std::string const& base_url, HttpRequest request) {
  std::optional<HttpExchange> result;
  boost::asio::co_spawn(io, client.send(base_url, std::move(request)),
                        [&](std::exception_ptr failure, HttpExchange exchange) {
                          CHECK_FALSE(failure);  // every failure is reported in the exchange, never thrown
                          result = std::move(exchange);
                        });
  run_until(io, [&] { return result.has_value(); });
  return std::move(*result);
}

HttpRequest get(std::string target) {
  HttpRequest request;
  request.target = std::move(target);
  return request;
}

ServerReply reply(int status, std::string body, HttpHeaders headers = {}) {
  ServerReply out;
  out.response.status = status;
  out.response.headers = std::move(headers);
  out.response.body = std::move(body);
  return out;
}

HttpClientOptions fast_options() {
  HttpClientOptions options;
  options.connect_timeout = 2s;
  options.request_timeout = 200ms;
  return options;
}

/// A throwaway directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "outreachd-http-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
};

/// A loopback server that answers the first request of every connection with canned bytes, written
/// piece by piece with a short pause between pieces (so a client sees them arrive separately), then
/// keeps the connection open until the client closes it. For wire shapes HttpServer never produces.
class RawServer {
 public:
  RawServer(boost::asio::io_context& io, std::vector<std::string> pieces)
      : acceptor_(std::make_shared<boost::asio::ip::tcp::acceptor>(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0))) {
    boost::asio::co_spawn(io, serve(acceptor_, std::move(pieces), requests_), boost::asio::detached);
  }
  ~RawServer() {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
  RawServer(RawServer const&) = delete;
  RawServer& operator=(RawServer const&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(acceptor_->local_endpoint().port()); }
  int requests() const { return *requests_; }

 private:
  static boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                                            std::vector<std::string> pieces, std::shared_ptr<int> requests) {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    for (;;) {
      auto [accept_ec, socket] = co_await acceptor->async_accept(tuple);
      if (accept_ec) co_return;
      boost::asio::streambuf request;
      auto [read_ec, n] = co_await boost::asio::async_read_until(socket, request, "\r\n\r\n", tuple);
      (void)n;
      if (read_ec) continue;
      ++*requests;
      boost::asio::steady_timer pause(socket.get_executor());
      for (auto const& piece : pieces) {
        auto [write_ec, written] = co_await boost::asio::async_write(socket, boost::asio::buffer(piece), tuple);
        (void)written;
        if (write_ec) break;
        pause.expires_after(20ms);
        co_await pause.async_wait(tuple);
      }
      // Keep the connection until the client is done with it (a read sees its close).
      char byte = 0;
      co_await socket.async_read_some(boost::asio::buffer(&byte, 1), tuple);
    }
  }

  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<int> requests_ = std::make_shared<int>(0);
};

}  // namespace

TEST_CASE("http client: 200 with base_url path prefix, headers and body reach the server") {
  boost::asio::io_context io;
  std::optional<HttpRequest> seen;
  HttpServer server(io, "127.0.0.1", 0, [&](HttpRequest const& request) {
    seen = request;
    return reply(200, R"({"status":"success","data":{"message_id":"42"}})", {{"Content-Type", "application/json"}});
  });
  HttpClient client(io, fast_options());
  HttpRequest request;
  request.method = "POST";
  request.target = "/twitter/dm/send";
  request.headers = {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}};
  request.body = R"({"text":"hi"})";
  auto const exchange = send(io, client, server.base_url() + "/getxapi", request);
  CHECK(exchange.transport == Transport::responded);
  CHECK(exchange.error.empty());
  CHECK(exchange.response.status == 200);
  CHECK(exchange.response.body == R"({"status":"success","data":{"message_id":"42"}})");
  CHECK(find_header(exchange.response.headers, "content-type") == "application/json");
  REQUIRE(seen);
  CHECK(seen->method == "POST");
  CHECK(seen->target == "/getxapi/twitter/dm/send");
  CHECK(seen->body == R"({"text":"hi"})");
  CHECK(find_header(seen->headers, "authorization") == "Bearer k");
  CHECK(find_header(seen->headers, "host") == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("http client: 429 with Retry-After, 5xx and a malformed body are all plain responses") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) {
    if (request.target == "/limited") return reply(429, R"({"error":"rate"})", {{"Retry-After", "17"}});
    if (request.target == "/broken") return reply(503, "upstream down");
    return reply(200, "{not json");
  });
  HttpClient client(io, fast_options());
  auto const limited = send(io, client, server.base_url(), get("/limited"));
  CHECK(limited.transport == Transport::responded);
  CHECK(limited.response.status == 429);
  CHECK(find_header(limited.response.headers, "retry-after") == "17");
  auto const broken = send(io, client, server.base_url(), get("/broken"));
  CHECK(broken.transport == Transport::responded);
  CHECK(broken.response.status == 503);
  CHECK(broken.response.body == "upstream down");
  auto const malformed = send(io, client, server.base_url(), get("/x"));
  CHECK(malformed.transport == Transport::responded);
  CHECK(malformed.response.status == 200);
  CHECK(malformed.response.body == "{not json");
}

TEST_CASE("http client: a server slower than the request timeout is timed_out_after_write") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const&) {
    auto out = reply(200, "too late");
    out.delay = 10s;
    return out;
  });
  HttpClient client(io, fast_options());
  auto const exchange = send(io, client, server.base_url(), get("/slow"));
  CHECK(exchange.transport == Transport::timed_out_after_write);
  CHECK(exchange.error.find("no complete response") != std::string::npos);
  CHECK(server.handled_requests() == 1);  // the request really was delivered
}

TEST_CASE("http client: a connection closed mid-body or dropped after the request is failed_after_write") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) {
    auto out = reply(200, R"({"status":"success","data":{"message_id":"1"}})");
    out.action = request.target == "/drop" ? ServerReply::Action::drop_after_request : ServerReply::Action::close_mid_body;
    return out;
  });
  HttpClient client(io, fast_options());
  auto const mid_body = send(io, client, server.base_url(), get("/mid"));
  CHECK(mid_body.transport == Transport::failed_after_write);
  CHECK(mid_body.error == "connection closed before a complete response");
  auto const dropped = send(io, client, server.base_url(), get("/drop"));
  CHECK(dropped.transport == Transport::failed_after_write);
  CHECK(dropped.error == "connection closed before a complete response");
  CHECK(client.connections_opened() == 2);  // a broken connection is never pooled
}

TEST_CASE("http client: connection refused is failed_before_write") {
  boost::asio::io_context io;
  std::string base_url;
  {
    HttpServer closed(io, "127.0.0.1", 0, [](HttpRequest const&) { return reply(200, ""); });
    base_url = closed.base_url();
  }
  HttpClient client(io, fast_options());
  auto const exchange = send(io, client, base_url, get("/"));
  CHECK(exchange.transport == Transport::failed_before_write);
  CHECK(exchange.error.find("cannot connect to http://127.0.0.1:") == 0);
}

TEST_CASE("http client: a response over the size limit is refused as failed_after_write") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) {
    if (request.target == "/headers") return reply(200, "", {{"X-Huge", std::string(4000, 'h')}});
    return reply(200, std::string(request.target == "/big" ? 5000 : 1000, 'x'));
  });
  auto options = fast_options();
  options.max_response_bytes = 1000;
  options.max_response_header_bytes = 2000;
  HttpClient client(io, options);
  auto const exact = send(io, client, server.base_url(), get("/exact"));
  CHECK(exact.transport == Transport::responded);
  CHECK(exact.response.body.size() == 1000);
  auto const big = send(io, client, server.base_url(), get("/big"));
  CHECK(big.transport == Transport::failed_after_write);
  CHECK(big.error == "response body larger than 1000 bytes");
  auto const headers = send(io, client, server.base_url(), get("/headers"));
  CHECK(headers.transport == Transport::failed_after_write);
  CHECK(headers.error == "response headers larger than 2000 bytes");
}

TEST_CASE("http client: sequential requests reuse one keep-alive connection") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) { return reply(200, request.target); });
  HttpClient client(io, fast_options());
  for (int i = 0; i < 5; ++i) {
    auto const exchange = send(io, client, server.base_url() + "/p", get("/" + std::to_string(i)));
    CHECK(exchange.transport == Transport::responded);
    CHECK(exchange.response.body == "/p/" + std::to_string(i));
    CHECK(exchange.reused_connection == (i > 0));
  }
  CHECK(server.accepted_connections() == 1);
  CHECK(client.connections_opened() == 1);
  // Same origin through a different prefix: still the same pool.
  CHECK(send(io, client, server.base_url() + "/other", get("/")).reused_connection);
  CHECK(server.accepted_connections() == 1);
}

TEST_CASE("http client: a connection the server closed while idle is not reused") {
  boost::asio::io_context io;
  HttpServerOptions server_options;
  server_options.idle_timeout = 20ms;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const&) { return reply(200, "ok"); }, server_options);
  HttpClient client(io, fast_options());
  CHECK(send(io, client, server.base_url(), get("/")).transport == Transport::responded);
  // Wait (bounded) until the server has closed its side of the idle connection.
  run_until(io, [&] { return server.open_connections() == 0; });
  auto const second = send(io, client, server.base_url(), get("/"));
  CHECK(second.transport == Transport::responded);  // not a needless in-doubt failed_after_write
  CHECK_FALSE(second.reused_connection);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("http client: a connection idle longer than max_idle is not reused") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const&) { return reply(200, "ok"); });
  auto options = fast_options();
  options.max_idle = 0ms;
  HttpClient client(io, options);
  CHECK(send(io, client, server.base_url(), get("/")).transport == Transport::responded);
  // Any measurable idle time exceeds 0 ms once the clock ticks; wait (bounded) for that tick.
  auto const tick = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() == tick) {
  }
  CHECK_FALSE(send(io, client, server.base_url(), get("/")).reused_connection);
  CHECK(server.accepted_connections() == 2);
}

TEST_CASE("http client: Connection: close from the server is honoured") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const&) { return reply(200, "ok", {{"Connection", "close"}}); });
  HttpClient client(io, fast_options());
  CHECK(send(io, client, server.base_url(), get("/")).transport == Transport::responded);
  auto const second = send(io, client, server.base_url(), get("/"));
  CHECK(second.transport == Transport::responded);
  CHECK_FALSE(second.reused_connection);
  CHECK(server.accepted_connections() == 2);
}

TEST_CASE("http client: interim 1xx responses are skipped and the final response is the answer") {
  boost::asio::io_context io;
  std::string const body = R"({"status":"success","data":{"message_id":"42"}})";
  std::string const final_response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string const continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string const hints_103 = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
  HttpClient client(io, fast_options());
  auto post = [] {
    HttpRequest request;
    request.method = "POST";
    request.target = "/twitter/dm/send";
    request.body = R"({"text":"hi"})";
    return request;
  };
  auto check_final = [&](HttpExchange const& exchange) {
    CHECK(exchange.error == "");
    CHECK(exchange.transport == Transport::responded);
    CHECK(exchange.response.status == 200);
    CHECK(exchange.response.body == body);
    bool has_link = false;
    bool has_type = false;
    for (auto const& [name, value] : exchange.response.headers) {
      has_link = has_link || name == "Link";
      has_type = has_type || (name == "Content-Type" && value == "application/json");
    }
    CHECK_FALSE(has_link);  // the 103's headers are not the final response's
    CHECK(has_type);
  };

  SUBCASE("each response arrives on its own") {
    RawServer server(io, {continue_100, hints_103, final_response});
    check_final(send(io, client, server.base_url(), post()));
    CHECK(server.requests() == 1);
  }
  SUBCASE("all of them in one segment") {
    RawServer server(io, {continue_100 + hints_103 + continue_100 + final_response});
    check_final(send(io, client, server.base_url(), post()));
    CHECK(server.requests() == 1);
  }
}

TEST_CASE("http client: 101 Switching Protocols, never asked for, is a protocol error after the write") {
  boost::asio::io_context io;
  RawServer server(io, {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  HttpClient client(io, fast_options());
  auto const exchange = send(io, client, server.base_url(), get("/"));
  CHECK(exchange.transport == Transport::failed_after_write);
  CHECK(exchange.error == "the server switched protocols (101), which the request did not ask for");
}

TEST_CASE("http client: an endless stream of interim responses ends as failed_after_write") {
  boost::asio::io_context io;
  std::string flood;
  for (int i = 0; i < 40; ++i) flood += "HTTP/1.1 100 Continue\r\n\r\n";
  RawServer server(io, {flood});
  HttpClient client(io, fast_options());
  auto const exchange = send(io, client, server.base_url(), get("/"));
  CHECK(exchange.transport == Transport::failed_after_write);
  CHECK(exchange.error == "more than 32 interim (1xx) responses and no final one");
}

TEST_CASE("http client: 64 concurrent requests all complete") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) { return reply(200, request.target); });
  HttpClient client(io, fast_options());
  std::vector<std::optional<HttpExchange>> results(64);
  int done = 0;
  for (std::size_t i = 0; i < results.size(); ++i)
    boost::asio::co_spawn(io, client.send(server.base_url(), get("/" + std::to_string(i))),
                          [&, i](std::exception_ptr failure, HttpExchange exchange) {
                            CHECK_FALSE(failure);
                            results[i] = std::move(exchange);
                            ++done;
                          });
  run_until(io, [&] { return done == 64; });
  for (std::size_t i = 0; i < results.size(); ++i) {
    CHECK(results[i]->transport == Transport::responded);
    CHECK(results[i]->response.body == "/" + std::to_string(i));
  }
  CHECK(server.accepted_connections() == 64);
}

TEST_CASE("http client: bad input fails before anything is written") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const&) { return reply(200, "ok"); });
  HttpClient client(io, fast_options());
  auto const scheme = send(io, client, "ftp://127.0.0.1:21", get("/"));
  CHECK(scheme.transport == Transport::failed_before_write);
  CHECK(scheme.error.find("unsupported scheme") != std::string::npos);
  HttpRequest bad_method = get("/");
  bad_method.method = "BREW";
  CHECK(send(io, client, server.base_url(), bad_method).error == "unsupported HTTP method");
  HttpRequest injected = get("/");
  injected.headers = {{"Authorization", "Bearer secret\r\nX-Evil: 1"}};
  auto const header = send(io, client, server.base_url(), injected);
  CHECK(header.transport == Transport::failed_before_write);
  CHECK(header.error == "invalid request header");
  CHECK(server.handled_requests() == 0);
}

TEST_CASE("http client: the awaitable form") {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) { return reply(201, request.body); });
  HttpClient client(io, fast_options());
  std::optional<HttpExchange> result;
  std::string base_url = server.base_url();
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        HttpRequest request;
        request.method = "POST";
        request.body = "payload";
        result = co_await client.send(base_url, std::move(request));
      },
      [](std::exception_ptr) {});
  run_until(io, [&] { return result.has_value(); });
  CHECK(result->transport == Transport::responded);
  CHECK(result->response.status == 201);
  CHECK(result->response.body == "payload");
}

TEST_CASE("http client: in_flight counts a send from the call until it completes") {
  boost::asio::io_context io;
  HttpClient client(io, fast_options());
  std::optional<std::size_t> while_served;
  HttpServer server(io, "127.0.0.1", 0, [&](HttpRequest const&) {
    while_served = client.in_flight();
    return reply(200, "ok");
  });
  CHECK(client.in_flight() == 0);

  std::optional<HttpExchange> result;
  std::optional<std::size_t> at_completion;
  boost::asio::co_spawn(io, client.send(server.base_url(), get("/")), [&](std::exception_ptr failure, HttpExchange e) {
    CHECK_FALSE(failure);
    at_completion = client.in_flight();
    result = std::move(e);
  });
  CHECK(client.in_flight() == 1);  // counted before the io_context has run any of it
  run_until(io, [&] { return result.has_value(); });
  CHECK(result->transport == Transport::responded);
  CHECK(while_served == std::size_t{1});  // the server is answering: the request is out
  CHECK(at_completion == std::size_t{0});
  CHECK(client.in_flight() == 0);

  // A send that fails before any I/O is over as well.
  result.reset();
  boost::asio::co_spawn(io, client.send("ftp://127.0.0.1:21", get("/")), [&](std::exception_ptr, HttpExchange e) {
    result = std::move(e);
  });
  CHECK(client.in_flight() == 1);
  run_until(io, [&] { return result.has_value(); });
  CHECK(result->transport == Transport::failed_before_write);
  CHECK(client.in_flight() == 0);

  // An awaitable that is never started stops counting when it is destroyed.
  {
    auto never_awaited = client.send(server.base_url(), get("/"));
    CHECK(client.in_flight() == 1);
  }
  CHECK(client.in_flight() == 0);
  CHECK(server.handled_requests() == 1);
}

TEST_CASE("http client: TLS verifies the server against ca_file and fails without it") {
  TempDir dir;
  auto const p = [&](char const* name) { return (dir.path / name).string(); };
  {
    std::ofstream ext(p("server.ext"));
    ext << "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
  }
  std::string const quiet = " >/dev/null 2>&1";
  std::string const ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  REQUIRE(std::system(("openssl req -x509" + ec + " -keyout " + p("ca.key") + " -out " + p("ca.pem") +
                       " -days 2 -subj /CN=outreachd-test-ca -addext basicConstraints=critical,CA:TRUE" +
                       " -addext keyUsage=critical,keyCertSign,cRLSign" + quiet)
                          .c_str()) == 0);
  REQUIRE(std::system(("openssl req -new" + ec + " -keyout " + p("server.key") + " -out " + p("server.csr") +
                       " -subj /CN=localhost" + quiet)
                          .c_str()) == 0);
  REQUIRE(std::system(("openssl x509 -req -in " + p("server.csr") + " -CA " + p("ca.pem") + " -CAkey " + p("ca.key") +
                       " -CAcreateserial -out " + p("server.pem") + " -days 2 -extfile " + p("server.ext") + quiet)
                          .c_str()) == 0);

  boost::asio::io_context io;
  HttpServerOptions tls;
  tls.tls_cert_chain_file = p("server.pem");
  tls.tls_private_key_file = p("server.key");
  HttpServer server(io, "127.0.0.1", 0, [](HttpRequest const& request) { return reply(200, "secure " + request.target); }, tls);
  CHECK(server.base_url().rfind("https://127.0.0.1:", 0) == 0);
  std::string const by_name = "https://localhost:" + std::to_string(server.port()) + "/api";

  auto options = fast_options();
  options.ca_file = p("ca.pem");
  HttpClient trusting(io, options);
  auto const ok = send(io, trusting, by_name, get("/x"));
  CHECK(ok.transport == Transport::responded);
  CHECK(ok.error.empty());
  CHECK(ok.response.body == "secure /api/x");
  auto const again = send(io, trusting, by_name, get("/y"));
  CHECK(again.transport == Transport::responded);
  CHECK(again.reused_connection);

  // The certificate names localhost only: the same server reached by IP fails host name verification.
  auto const by_ip = send(io, trusting, server.base_url(), get("/x"));
  CHECK(by_ip.transport == Transport::failed_before_write);
  CHECK(by_ip.error.find("TLS handshake with") == 0);

  HttpClient system_store_only(io, fast_options());
  auto const untrusted = send(io, system_store_only, by_name, get("/x"));
  CHECK(untrusted.transport == Transport::failed_before_write);
  CHECK(untrusted.error.find("certificate verify failed") != std::string::npos);

  auto missing_options = fast_options();
  missing_options.ca_file = p("missing.pem");
  HttpClient missing_ca(io, missing_options);
  auto const missing = send(io, missing_ca, by_name, get("/x"));
  CHECK(missing.transport == Transport::failed_before_write);
  CHECK(missing.error.find("cannot load CA file") == 0);

  // Plain HTTP to the TLS port: the server answers 400-ish garbage or closes; never a crash, never "responded" 200.
  auto const plain = send(io, trusting, "http://127.0.0.1:" + std::to_string(server.port()), get("/x"));
  CHECK(plain.transport != Transport::responded);
  CHECK(server.handled_requests() == 2);
}
