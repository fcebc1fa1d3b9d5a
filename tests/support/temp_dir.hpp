#pragma once
// A fresh directory under $TMPDIR for one test, removed with everything in it afterwards. The one
// temp-dir helper of every test executable (storage's support.hpp adds the database path).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace outreach::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "outreachd-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;

  std::filesystem::path const& path() const { return path_; }
  /// The path as a string, for tests that build paths and messages from text.
  std::string str() const { return path_.string(); }
  /// Writes `content` to a file `name` inside the directory; returns the file's path.
  std::string write(std::string const& name, std::string const& content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace outreach::testing
