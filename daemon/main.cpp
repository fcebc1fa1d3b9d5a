// outreachd — entry point. Dispatches to the command implementations in daemon/cli_*.cpp.
#include "daemon/cli.hpp"

int main(int argc, char** argv) { return outreach::cli::run(argc, argv); }
