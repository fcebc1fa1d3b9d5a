#include "daemon/control_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <cstring>
#include <filesystem>

namespace outreach {

struct ControlSocket::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, std::string p, std::function<void(std::string)> cb)
      : socket(io), path(std::move(p)), on_message(std::move(cb)) {}

  void receive() {
    socket.async_receive(boost::asio::buffer(buffer),
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                           if (ec == boost::asio::error::operation_aborted || !self->socket.is_open()) return;
                           if (!ec) self->on_message(std::string(self->buffer.data(), n));
                           self->receive();
                         });
  }

  boost::asio::local::datagram_protocol::socket socket;
  std::string path;
  std::function<void(std::string)> on_message;
  std::array<char, 512> buffer{};
};

ControlSocket::ControlSocket(boost::asio::io_context& io, std::string const& state_dir,
                             std::function<void(std::string)> on_message)
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

bool notify_daemon(std::string const& state_dir, std::string const& message) {
  const std::string path = control_socket_path(state_dir);
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto sent = ::sendto(fd, message.data(), message.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr),
                             sizeof(addr));
  ::close(fd);
  return sent == static_cast<ssize_t>(message.size());
}

}  // namespace outreach
