#include "tests/cluster/console_run.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace rdb::test {

console_run run_console(const process_cluster& cluster, const std::string& script,
                        const std::string& flags) {
  const char* binary = std::getenv("RDB_CONSOLE");
  REQUIRE_MESSAGE(binary != nullptr, "RDB_CONSOLE names the rdb-console binary");
  temp_dir dir;
  auto path = dir.path() + "/scenario.rdbs";
  std::ofstream{path} << script;
  auto command =
      std::string{binary} + " --pd=" + cluster.pd_address() + " " + flags + " -f " + path + " 2>&1";
  console_run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe))
    run.out.append(buf, n);
  int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return run;
}

}  // namespace rdb::test
