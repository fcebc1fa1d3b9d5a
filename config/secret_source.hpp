#pragma once
// Where a secret comes from (README.md#config-reference, "Secrets"): `{ env = "VAR" }`,
// `{ file = "/path" }`, `{ credential = "NAME" }` ($CREDENTIALS_DIRECTORY/NAME, systemd
// LoadCredential=), or a plain string in the config file. The process environment is injected
// through SecretEnvironment so tests never read or change the real one.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace outreach {

struct SecretEnvironment {
  /// Looks up an environment variable; nullopt when it is not set.
  std::function<std::optional<std::string>(std::string const& name)> getenv;
  /// $CREDENTIALS_DIRECTORY as systemd sets it for LoadCredential=; nullopt when not set.
  std::optional<std::string> credentials_directory;
  /// False: secret references are checked for shape but not read, and load as empty Secrets. For
  /// CLI commands that need only paths and account names (status, pause, retry, validate …): an
  /// operator running them as the service user has no access to the daemon's credentials.
  bool resolve = true;

  /// The real process environment, read at call time.
  static SecretEnvironment from_process();
  /// from_process() with resolve = false.
  static SecretEnvironment without_secrets();
  /// A fixed set of variables (for tests and tools); CREDENTIALS_DIRECTORY is taken from `vars`.
  static SecretEnvironment from_map(std::map<std::string, std::string> vars);
};

enum class SecretSourceKind { env, file, credential };

std::string_view to_string(SecretSourceKind kind);

/// A reference to a secret kept outside the config file. `name` is the variable name, the file
/// path (already made absolute by the caller) or the credential name.
struct SecretRef {
  SecretSourceKind kind = SecretSourceKind::env;
  std::string name;
};

/// Files larger than this are refused: a secret is a line, not a document, so a huge file is the
/// wrong file.
inline constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

/// True when `ref` is a well-formed `{ credential = "NAME" }` that cannot be read only because
/// $CREDENTIALS_DIRECTORY is not set: the process runs outside the systemd service whose
/// LoadCredential= provides it (an operator's shell), so the secret is not wrong, just not
/// checkable here. resolve_secret reports it as an error all the same.
bool credential_outside_service(SecretRef const& ref, SecretEnvironment const& env);

/// Reads the secret. Trailing newlines (\n, \r\n) of files and credentials are trimmed. An unset
/// variable, a missing, unreadable or oversized file, or an empty value is an error whose message
/// names the variable or path and never contains any part of the value.
Result<Secret> resolve_secret(SecretRef const& ref, SecretEnvironment const& env);

}  // namespace outreach
