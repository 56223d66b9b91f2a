#pragma once

#include <string>

#include "tests/cluster/process_cluster.hpp"

namespace rdb::test {

/// What one rdb-console run printed and how it ended.
struct console_run {
  int status = -1;
  /// Standard output and error, interleaved.
  std::string out;

  bool has(const std::string& text) const { return out.find(text) != std::string::npos; }
};

/// Runs `script` as a console script file (the binary named by RDB_CONSOLE) against the
/// cluster's PD, with `flags`.
console_run run_console(const process_cluster& cluster, const std::string& script,
                        const std::string& flags = "");

}  // namespace rdb::test
