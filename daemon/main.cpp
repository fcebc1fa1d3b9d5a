// outreachd — entry point. Dispatches to the command implementations in daemon/cli_*.cpp.
#include <sys/prctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "daemon/cli/cli.hpp"

int main(int argc, char** argv) {
  // Before any config or secret is read: a core dump (or a same-user ptrace or /proc/PID/mem read)
  // would otherwise hold every key and session token in clear text. Non-dumpable also makes the
  // kernel give /proc/PID/* to root.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    std::fprintf(stderr, "outreachd: warning: cannot disable core dumps (prctl PR_SET_DUMPABLE): %s\n",
                 std::strerror(errno));
  // No setrlimit(RLIMIT_CORE) here: the unit's SystemCallFilter=~@resources would kill the process
  // for it; the unit's LimitCORE=0 sets the same limit from outside.
  return outreach::cli::run(argc, argv);
}
