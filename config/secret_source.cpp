#include "config/secret_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>

namespace outreach {
namespace {

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// Closes the descriptor on every return path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor const&) = delete;
  FileDescriptor& operator=(FileDescriptor const&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void trim_trailing_newlines(std::string& value) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
}

// `what` describes the file for messages ("secret file /x", "credential \"k\" (/run/...)").
// Messages carry the path and the OS reason only; the content never leaves this function except
// as the Secret.
Result<Secret> read_secret_file(std::string const& path, std::string const& what) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return make_error("cannot read " + what + ": " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error("cannot read " + what + ": " + errno_text(errno));
  // A FIFO or device would block or never end; a secret lives in a regular file.
  if (!S_ISREG(st.st_mode)) return make_error("cannot read " + what + ": it is not a regular file");
  if (st.st_size > static_cast<off_t>(kMaxSecretFileBytes))
    return make_error(what + " is larger than " + std::to_string(kMaxSecretFileBytes / 1024) +
                      " KiB; a secret file holds just the secret");

  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("cannot read " + what + ": " + errno_text(errno));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaxSecretFileBytes)
      return make_error(what + " is larger than " + std::to_string(kMaxSecretFileBytes / 1024) +
                        " KiB; a secret file holds just the secret");
  }
  trim_trailing_newlines(content);
  if (content.empty()) return make_error(what + " is empty");
  return Secret(std::move(content));
}

// A credential name is a file name inside $CREDENTIALS_DIRECTORY, never a path out of it.
bool valid_credential_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

std::string_view to_string(SecretSourceKind kind) {
  switch (kind) {
    case SecretSourceKind::env: return "env";
    case SecretSourceKind::file: return "file";
    case SecretSourceKind::credential: return "credential";
  }
  return "env";
}

SecretEnvironment SecretEnvironment::without_secrets() {
  SecretEnvironment env = from_process();
  env.resolve = false;
  return env;
}

SecretEnvironment SecretEnvironment::from_process() {
  SecretEnvironment env;
  env.getenv = [](std::string const& name) -> std::optional<std::string> {
    if (char const* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  };
  if (char const* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0')
    env.credentials_directory = dir;
  return env;
}

SecretEnvironment SecretEnvironment::from_map(std::map<std::string, std::string> vars) {
  SecretEnvironment env;
  if (auto it = vars.find("CREDENTIALS_DIRECTORY"); it != vars.end() && !it->second.empty())
    env.credentials_directory = it->second;
  env.getenv = [vars = std::move(vars)](std::string const& name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
  return env;
}

bool credential_outside_service(SecretRef const& ref, SecretEnvironment const& env) {
  return ref.kind == SecretSourceKind::credential && valid_credential_name(ref.name) && !env.credentials_directory;
}

Result<Secret> resolve_secret(SecretRef const& ref, SecretEnvironment const& env) {
  switch (ref.kind) {
    case SecretSourceKind::env: {
      if (ref.name.empty()) return make_error("names an empty environment variable");
      std::optional<std::string> value = env.getenv ? env.getenv(ref.name) : std::nullopt;
      if (!value) return make_error("environment variable " + ref.name + " is not set");
      if (value->empty()) return make_error("environment variable " + ref.name + " is empty");
      return Secret(std::move(*value));
    }
    case SecretSourceKind::file: {
      if (ref.name.empty()) return make_error("names an empty file path");
      return read_secret_file(ref.name, "secret file " + ref.name);
    }
    case SecretSourceKind::credential: {
      if (!valid_credential_name(ref.name))
        return make_error("credential name " + in_quotes(ref.name) +
                          " must be a plain file name inside $CREDENTIALS_DIRECTORY");
      if (credential_outside_service(ref, env))
        return make_error("credential " + in_quotes(ref.name) +
                          " needs $CREDENTIALS_DIRECTORY, which is not set (systemd sets it for LoadCredential=)");
      std::string path = *env.credentials_directory;
      if (path.back() != '/') path += '/';
      path += ref.name;
      return read_secret_file(path, "credential " + in_quotes(ref.name) + " (" + path + ")");
    }
  }
  return make_error("has an unknown secret source");
}

}  // namespace outreach
