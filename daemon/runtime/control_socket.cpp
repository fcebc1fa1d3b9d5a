#include "daemon/runtime/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <cstring>
#include <filesystem>

namespace outreach {

/// Answers are short (a config's problems); longer ones are cut rather than lost to EMSGSIZE.
constexpr std::size_t kMaxAnswerBytes = 60'000;

struct ControlSocket::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, std::string p, std::function<std::string(std::string const&)> cb)
      : socket(io), path(std::move(p)), on_message(std::move(cb)) {}

  void receive() {
    socket.async_receive_from(boost::asio::buffer(buffer), sender,
                              [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                if (ec == boost::asio::error::operation_aborted || !self->socket.is_open()) return;
                                if (!ec) self->answer(self->on_message(std::string(self->buffer.data(), n)));
                                self->receive();
                              });
  }

  void answer(std::string text) {
    // A sender that bound no address (the fire-and-forget wake-ups) cannot be answered.
    if (text.empty() || sender.size() <= sizeof(sa_family_t)) return;
    if (text.size() > kMaxAnswerBytes) text.resize(kMaxAnswerBytes);
    boost::system::error_code ignored;  // the asker may have given up; never block the loop on it
    socket.send_to(boost::asio::buffer(text), sender, MSG_DONTWAIT, ignored);
  }

  boost::asio::local::datagram_protocol::socket socket;
  boost::asio::local::datagram_protocol::endpoint sender;
  std::string path;
  std::function<std::string(std::string const&)> on_message;
  std::array<char, 512> buffer{};
};

ControlSocket::ControlSocket(boost::asio::io_context& io, std::string const& state_dir,
                             std::function<std::string(std::string const&)> on_message)
    : impl_(std::make_shared<Impl>(io, control_socket_path(state_dir), std::move(on_message))) {
  // A socket file left by a killed daemon would make bind fail; the single-instance lock, taken
  // before this, guarantees no live daemon owns it.
  std::error_code ignored;
  std::filesystem::remove(impl_->path, ignored);
  impl_->socket.open();
  impl_->socket.bind(boost::asio::local::datagram_protocol::endpoint(impl_->path));
  impl_->receive();
}

ControlSocket::~ControlSocket() { close(); }

void ControlSocket::close() {
  if (!impl_ || !impl_->socket.is_open()) return;
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
  std::error_code ignored_fs;
  std::filesystem::remove(impl_->path, ignored_fs);
}

namespace {

/// The daemon's control socket address; nullopt when the path does not fit (a loaded config
/// never yields one: config.cpp checks the length).
std::optional<sockaddr_un> daemon_address(std::string const& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return std::nullopt;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

bool notify_daemon(std::string const& state_dir, std::string const& message) {
  auto daemon = daemon_address(control_socket_path(state_dir));
  if (!daemon) return false;
  sockaddr_un addr = *daemon;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto sent = ::sendto(fd, message.data(), message.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr),
                             sizeof(addr));
  ::close(fd);
  return sent == static_cast<ssize_t>(message.size());
}

DaemonAnswer ask_daemon(std::string const& state_dir, std::string const& message, std::chrono::milliseconds timeout) {
  using Status = DaemonAnswer::Status;
  const std::string path = control_socket_path(state_dir);
  auto address = daemon_address(path);
  if (!address) return {Status::no_daemon, "the control socket path " + path + " is too long"};
  sockaddr_un daemon = *address;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {Status::no_daemon, std::string("cannot create a socket: ") + std::strerror(errno)};
  // Autobind: the kernel gives the socket a unique abstract address, so the daemon can answer
  // without this process creating a file in a directory it may not be able to write.
  sockaddr_un self{};
  self.sun_family = AF_UNIX;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof(sa_family_t)) != 0) {
    const int err = errno;
    ::close(fd);
    return {Status::no_daemon, std::string("cannot bind a socket: ") + std::strerror(err)};
  }
  if (::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&daemon), sizeof(daemon)) < 0) {
    const int err = errno;
    ::close(fd);
    if (err == ENOENT || err == ECONNREFUSED)
      return {Status::no_daemon, "no outreachd is running with state directory " + state_dir};
    return {Status::no_daemon, "cannot reach the daemon at " + path + ": " + std::strerror(err)};
  }
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) {
    ::close(fd);
    return {Status::no_answer, "the daemon did not answer within " + std::to_string(timeout.count() / 1000) + " s"};
  }
  std::string answer(kMaxAnswerBytes, '\0');
  const ssize_t n = ::recv(fd, answer.data(), answer.size(), 0);
  ::close(fd);
  if (n < 0) return {Status::no_answer, std::string("cannot read the daemon's answer: ") + std::strerror(errno)};
  answer.resize(static_cast<std::size_t>(n));
  return {Status::answered, std::move(answer)};
}

}  // namespace outreach
