#pragma once
// Where the tests find the built daemon and the source tree: $OUTREACHD_BIN and
// $OUTREACHD_SOURCE_DIR when set, else the paths CMake compiled in (tests/CMakeLists.txt), so a
// test case runs the same under ctest, on its own, or from a debugger.
#include <cstdlib>
#include <string>

namespace outreach::test {

inline std::string outreachd_bin() {
  if (char const* bin = std::getenv("OUTREACHD_BIN"); bin != nullptr && *bin != '\0') return bin;
  return OUTREACHD_TEST_BIN;
}

inline std::string source_dir() {
  if (char const* dir = std::getenv("OUTREACHD_SOURCE_DIR"); dir != nullptr && *dir != '\0') return dir;
  return OUTREACHD_TEST_SOURCE_DIR;
}

}  // namespace outreach::test
