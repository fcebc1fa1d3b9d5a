// The loopback HTTP server, driven with raw blocking sockets from the test thread while the server's
// io_context runs on a second thread: hostile bytes can be sent exactly as written.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http/http_server.hpp"

using namespace outreach;

namespace {

/// A server on 127.0.0.1:0 whose io_context runs on its own thread for the fixture's lifetime.
class RunningServer {
 public:
  explicit RunningServer(HttpHandler handler, HttpServerOptions options = {}) {
    server_.emplace(io_, "127.0.0.1", 0, std::move(handler), std::move(options));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningServer() {
    if (thread_.joinable()) shutdown();
  }
  RunningServer(RunningServer const&) = delete;
  RunningServer& operator=(RunningServer const&) = delete;

  /// Stops the server on its own thread and waits for the io_context to run dry.
  void shutdown() {
    boost::asio::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  HttpServer& server() { return *server_; }

 private:
  boost::asio::io_context io_;
  std::optional<HttpServer> server_;
  std::thread thread_;
};

/// A blocking loopback client socket with a 5 s receive timeout, so a broken server fails the test
/// instead of hanging it.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(RawSocket const&) = delete;
  RawSocket& operator=(RawSocket const&) = delete;

  bool connected() const { return connected_; }

  void send(std::string const& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto const n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early (e.g. 413 before the body): reading tells
      done += static_cast<std::size_t>(n);
    }
  }

  /// Reads one response: headers, then Content-Length bytes (or until EOF). Empty on EOF/timeout first.
  std::string read_response() {
    while (true) {
      auto const header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t length = 0;
        auto const key = lower(buffer_.substr(0, header_end)).find("content-length:");
        if (key != std::string::npos) length = std::stoul(buffer_.substr(key + 15));
        std::size_t const total = header_end + 4 + length;
        if (buffer_.size() >= total) {
          std::string out = buffer_.substr(0, total);
          buffer_.erase(0, total);
          return out;
        }
      }
      if (!fill()) {
        std::string out = std::move(buffer_);
        buffer_.clear();
        return out;
      }
    }
  }

  /// True when the server closed the connection (EOF or reset) with no further bytes; false on data
  /// or when the 5 s receive timeout passes with the connection still open.
  bool at_eof() { return buffer_.empty() && !fill() && buffer_.empty() && closed_; }

 private:
  static std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  bool fill() {
    char chunk[4096];
    auto const n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = n == 0 || errno == ECONNRESET;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

int status_of(std::string const& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(std::string const& response) {
  auto const end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

ServerReply text_reply(int status, std::string body) {
  ServerReply reply;
  reply.response.status = status;
  reply.response.headers = {{"Content-Type", "text/plain"}};
  reply.response.body = std::move(body);
  return reply;
}

/// Echoes what the handler saw: "METHOD TARGET|x-test header|body".
ServerReply echo(HttpRequest const& request) {
  auto const header = find_header(request.headers, "x-test");
  return text_reply(200, request.method + " " + request.target + "|" + std::string(header.value_or("-")) + "|" + request.body);
}

}  // namespace

TEST_CASE("http server: answers a GET with the handler's response and passes target, headers and body") {
  RunningServer running(echo);
  RawSocket socket(running.server().port());
  REQUIRE(socket.connected());
  socket.send("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: t\r\nX-Test: yes\r\n\r\n");
  auto const response = socket.read_response();
  CHECK(status_of(response) == 200);
  CHECK(body_of(response) == "GET /a/b?x=1&y=%20|yes|");
  CHECK(response.find("Content-Type: text/plain") != std::string::npos);
  CHECK(running.server().base_url() == "http://127.0.0.1:" + std::to_string(running.server().port()));
}

TEST_CASE("http server: keeps the connection alive across requests") {
  RunningServer running(echo);
  RawSocket socket(running.server().port());
  REQUIRE(socket.connected());
  socket.send("POST /one HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(body_of(socket.read_response()) == "POST /one|-|hello");
  socket.send("POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nbye");
  CHECK(body_of(socket.read_response()) == "POST /two|-|bye");
  // Two pipelined requests in one write are answered in order.
  socket.send("GET /3 HTTP/1.1\r\nHost: t\r\n\r\nGET /4 HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(body_of(socket.read_response()) == "GET /3|-|");
  CHECK(body_of(socket.read_response()) == "GET /4|-|");
  running.shutdown();
  CHECK(running.server().accepted_connections() == 1);
  CHECK(running.server().handled_requests() == 4);
}

TEST_CASE("http server: closes after answering a client that asked to close") {
  RunningServer running(echo);
  RawSocket socket(running.server().port());
  socket.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto const response = socket.read_response();
  CHECK(status_of(response) == 200);
  CHECK(response.find("Connection: close") != std::string::npos);
  CHECK(socket.at_eof());
}

TEST_CASE("http server: a handler's Connection: close header closes the connection after the response") {
  RunningServer running([](HttpRequest const&) {
    auto reply = text_reply(200, "bye");
    reply.response.headers.emplace_back("Connection", "close");
    reply.response.headers.emplace_back("Content-Length", "999");  // ignored: the server frames
    return reply;
  });
  RawSocket socket(running.server().port());
  socket.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto const response = socket.read_response();
  CHECK(body_of(response) == "bye");
  CHECK(socket.at_eof());
}

TEST_CASE("http server: hostile or malformed requests get 400 and never take the server down") {
  RunningServer running(echo);
  std::vector<std::string> const hostile = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nbad header line\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: t\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),  // a TLS ClientHello
      "GET /\x01\x02 HTTP/1.1\r\nHost: t\r\n\r\n",
  };
  for (auto const& request : hostile) {
    CAPTURE(request);
    RawSocket socket(running.server().port());
    REQUIRE(socket.connected());
    socket.send(request);
    auto const response = socket.read_response();
    CHECK(status_of(response) == 400);
    CHECK(socket.at_eof());
  }
  // A client that connects and leaves, or sends half a request and leaves, is no problem either.
  { RawSocket leaving(running.server().port()); }
  {
    RawSocket half(running.server().port());
    half.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  }
  RawSocket socket(running.server().port());
  socket.send("GET /still-alive HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(body_of(socket.read_response()) == "GET /still-alive|-|");
  running.shutdown();
  CHECK(running.server().handled_requests() == 1);
}

TEST_CASE("http server: request body and header limits answer 413 and 431") {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  options.max_header_bytes = 512;
  RunningServer running(echo, options);
  {
    RawSocket socket(running.server().port());
    socket.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
    CHECK(status_of(socket.read_response()) == 413);
  }
  {
    RawSocket socket(running.server().port());
    socket.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n" + std::string(16, 'x'));
    CHECK(status_of(socket.read_response()) == 200);
  }
  {
    RawSocket socket(running.server().port());
    socket.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'y') + "\r\n\r\n");
    CHECK(status_of(socket.read_response()) == 431);
  }
  {
    RawSocket socket(running.server().port());
    std::string chunked = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) chunked += "8\r\n12345678\r\n";
    chunked += "0\r\n\r\n";
    socket.send(chunked);
    CHECK(status_of(socket.read_response()) == 413);
  }
}

TEST_CASE("http server: a throwing handler yields 500 and the connection stays usable") {
  RunningServer running([](HttpRequest const& request) -> ServerReply {
    if (request.target == "/throw") throw std::runtime_error("boom");
    return text_reply(200, "ok");
  });
  RawSocket socket(running.server().port());
  socket.send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(status_of(socket.read_response()) == 500);
  socket.send("GET /fine HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(body_of(socket.read_response()) == "ok");
}

TEST_CASE("http server: an out-of-range status from the handler becomes 500") {
  RunningServer running([](HttpRequest const&) { return text_reply(7, "odd"); });
  RawSocket socket(running.server().port());
  socket.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(status_of(socket.read_response()) == 500);
}

TEST_CASE("http server: drop_after_request closes without a byte of response") {
  RunningServer running([](HttpRequest const&) {
    ServerReply reply;
    reply.action = ServerReply::Action::drop_after_request;
    return reply;
  });
  RawSocket socket(running.server().port());
  socket.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  CHECK(socket.read_response().empty());
  running.shutdown();
  CHECK(running.server().handled_requests() == 1);
}

TEST_CASE("http server: close_mid_body announces the whole body and sends only part of it") {
  RunningServer running([](HttpRequest const& request) {
    ServerReply reply = text_reply(200, request.target == "/empty" ? "" : "0123456789");
    reply.action = ServerReply::Action::close_mid_body;
    return reply;
  });
  {
    RawSocket socket(running.server().port());
    socket.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    auto const response = socket.read_response();
    CHECK(status_of(response) == 200);
    CHECK(response.find("Content-Length: 10") != std::string::npos);
    CHECK(body_of(response) == "01234");
  }
  {
    RawSocket socket(running.server().port());
    socket.send("GET /empty HTTP/1.1\r\nHost: t\r\n\r\n");
    auto const response = socket.read_response();
    CHECK(response.find("Content-Length: 2") != std::string::npos);
    CHECK(body_of(response).empty());
  }
}

TEST_CASE("http server: a delayed reply still arrives") {
  RunningServer running([](HttpRequest const&) {
    auto reply = text_reply(202, "late");
    reply.delay = std::chrono::milliseconds(20);
    return reply;
  });
  RawSocket socket(running.server().port());
  socket.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto const response = socket.read_response();
  CHECK(status_of(response) == 202);
  CHECK(body_of(response) == "late");
}

TEST_CASE("http server: serves 64 connections at once") {
  std::atomic<int> calls{0};
  RunningServer running([&](HttpRequest const& request) {
    ++calls;
    return text_reply(200, request.target);
  });
  std::vector<std::unique_ptr<RawSocket>> sockets;
  for (int i = 0; i < 64; ++i) {
    sockets.push_back(std::make_unique<RawSocket>(running.server().port()));
    REQUIRE(sockets.back()->connected());
  }
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < sockets.size(); ++i)
      sockets[i]->send("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    for (std::size_t i = 0; i < sockets.size(); ++i) CHECK(body_of(sockets[i]->read_response()) == "/" + std::to_string(i));
  }
  running.shutdown();
  CHECK(calls.load() == 128);
  CHECK(running.server().accepted_connections() == 64);
}

TEST_CASE("http server: stop closes open connections, including one waiting in a delay") {
  std::promise<void> slow_arrived;
  RunningServer running([&](HttpRequest const& request) {
    auto reply = text_reply(200, "fast");
    if (request.target == "/slow") {
      reply.delay = std::chrono::hours(1);
      slow_arrived.set_value();
    }
    return reply;
  });
  RawSocket idle(running.server().port());
  idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(body_of(idle.read_response()) == "fast");  // accepted and now idle
  RawSocket waiting(running.server().port());
  waiting.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(slow_arrived.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  // shutdown() returns only once the io_context has run dry, i.e. every session ended.
  running.shutdown();
  CHECK(waiting.read_response().empty());
  CHECK(idle.at_eof());
  RawSocket late(running.server().port());
  CHECK_FALSE(late.connected());
}

TEST_CASE("http server: a port that is taken is a start-up error") {
  boost::asio::io_context io;
  HttpServer first(io, "127.0.0.1", 0, echo);
  CHECK_THROWS(HttpServer(io, "127.0.0.1", first.port(), echo));
}
