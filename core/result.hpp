#pragma once
// Result<T>: a value or an Error carrying one human-readable sentence. Used where bad input is
// expected (parsing, validation): the caller gets a message to show, never an exception.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace outreach {

struct Error {
  std::string message;
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

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace outreach
