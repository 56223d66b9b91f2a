#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace rdb::test {

namespace {

struct run_result {
  int status = -1;
  std::string out;
};

/// Runs rdb-lincheck (the binary RDB_LINCHECK names) on a file holding `history`.
run_result lincheck(const std::string& history, const std::string& flags = {}) {
  temp_dir dir;
  auto path = dir.path() + "/history.jsonl";
  std::ofstream{path} << history;
  const char* binary = std::getenv("RDB_LINCHECK");
  REQUIRE(binary != nullptr);
  auto cmd = std::string{binary} + " " + flags + " " + path + " 2>&1";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p))
    r.out.append(buf.data(), n);
  int raw = ::pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

}  // namespace

TEST_CASE("rdb-lincheck: exit status and report") {
  const std::string put =
      R"({"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"})"
      "\n";
  auto good = lincheck(
      put +
      R"({"client":2,"op":"get","key":"k","result":"v1","invoke":30,"return":40,"outcome":"ok"})"
      "\n");
  CHECK(good.status == 0);
  CHECK(good.out.find("linearizable") != std::string::npos);

  auto stale = lincheck(
      put +
      R"({"client":2,"op":"get","key":"k","result":null,"invoke":30,"return":40,"outcome":"ok"})"
      "\n");
  CHECK(stale.status == 1);
  CHECK(stale.out.find("NOT linearizable") != std::string::npos);
  // The failing key's history is printed in the same format.
  CHECK(stale.out.find(R"("result":null)") != std::string::npos);

  auto malformed = lincheck(put + "{\"client\":2}\n");
  CHECK(malformed.status == 2);
  CHECK(malformed.out.find(":2:") != std::string::npos);

  CHECK(lincheck(put, "--max-states 0").status == 2);
  CHECK(lincheck(put, "--frobnicate").status == 2);
}

}  // namespace rdb::test
