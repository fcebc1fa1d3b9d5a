#pragma once
// Wake-ups from the CLI: commands that change the database (pause, resume, cancel, retry, suppress)
// send one datagram to the running daemon so it acts within a second, with no polling. The socket
// lives in state_dir, which only the service user can enter.
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"  // kControlSocketName, control_socket_path (checked when a config loads)

namespace boost::asio {
class io_context;
}

namespace outreach {

/// The daemon's end: receives datagrams and calls `on_message` with their text.
class ControlSocket {
 public:
  ControlSocket(boost::asio::io_context& io, std::string const& state_dir, std::function<void(std::string)> on_message);
  ~ControlSocket();
  ControlSocket(ControlSocket const&) = delete;
  ControlSocket& operator=(ControlSocket const&) = delete;
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// The CLI's end: true when a running daemon received the message, false when none is listening
/// (not an error: the change is in the database and a daemon started later reads it).
bool notify_daemon(std::string const& state_dir, std::string const& message);

}  // namespace outreach
