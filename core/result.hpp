#pragma once
// Result<T>: a value or an Error carrying one human-readable sentence. Used where bad input is
// expected (parsing, validation): the caller gets a message to show, never an exception.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace outreach {

/// Deliberately not an aggregate: C++20 would otherwise let `Error` be constructed from a
/// std::string, which makes boost::system::result refuse to convert a plain value implicitly
/// (`Result<std::string> r = text;` would not compile). Build errors with make_error().
struct Error {
  Error() = default;
  std::string message;
  /// The system failed (a full disk, an I/O error, a busy database), not the input: the same
  /// request may well succeed later, so callers keep the input instead of rejecting it.
  bool environmental = false;
};

/// Thrown only when code calls `.value()` on an error result (a programming error or a start-up path).
class ErrorException : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_exception_from_error(Error const& e, boost::source_location const&) {
  throw ErrorException(e.message);
}

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

inline Error make_environment_error(std::string message) {
  Error e = make_error(std::move(message));
  e.environmental = true;
  return e;
}

}  // namespace outreach
