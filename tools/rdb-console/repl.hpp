#pragma once

#include "tools/rdb-console/console.hpp"

namespace rdb::console {

/// The interactive prompt: line editing, history (kept in ~/.rdb_console_history) and
/// completion of command names through libedit. A failed command prints its error and the
/// prompt goes on; `quit`, `exit` or end of input leave. Returns the process exit status.
int run_prompt(console& c);

}  // namespace rdb::console
