// Runs the clause tests against the library with planted bugs. The bug is chosen by the
// RDB_RAFT_PLANTED_BUG environment variable (its number in `planted_bug_kind`); meson runs the
// scenario that should catch each bug and expects it to fail.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "actors/raft/planted_bug.hpp"

int main(int argc, char** argv) {
  if (const char* v = std::getenv("RDB_RAFT_PLANTED_BUG"))
    rdb::raft::planted_bug = static_cast<rdb::raft::planted_bug_kind>(std::stoi(v));
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
