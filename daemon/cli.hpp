#pragma once
// The command line (SPEC §1): one binary, one sub-command per operator action.
// Exit codes: 0 success, 1 invalid input or failed check, 2 usage error.

namespace outreach::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

int run(int argc, char** argv);

}  // namespace outreach::cli
