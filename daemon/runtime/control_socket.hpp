#pragma once
// The CLI's line to the running daemon. Commands that change the database (pause, resume, cancel,
// retry, suppress) send one datagram so it acts within a second, with no polling; `outreachd
// reload` also waits for the daemon's answer, sent back to the address its socket bound. The
// socket lives in state_dir, which only the service user (and root) can enter.
#include <chrono>
#include <optional>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"  // kControlSocketName, control_socket_path (checked when a config loads)

namespace boost::asio {
class io_context;
}

namespace outreach {

/// The daemon's end: receives datagrams and calls `on_message` with their text; what it returns
/// (unless empty) goes back to the sender, when the sender bound an address to hear it.
class ControlSocket {
 public:
  ControlSocket(boost::asio::io_context& io, std::string const& state_dir,
                std::function<std::string(std::string const&)> on_message);
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

struct DaemonAnswer {
  enum class Status { no_daemon, no_answer, answered } status = Status::no_daemon;
  std::string text;  ///< the answer, when answered; else why not
};

/// Sends `message` from a socket bound to an abstract address of its own, and waits up to
/// `timeout` for the daemon's answer.
DaemonAnswer ask_daemon(std::string const& state_dir, std::string const& message, std::chrono::milliseconds timeout);

}  // namespace outreach
