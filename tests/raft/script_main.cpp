// Runs the raft interaction scripts: every `*.txt` under the directory given as the first
// argument (later arguments, if any, pick files by name). Each file starts from an empty cluster;
// each block's output is compared with its expectation. With RDB_REWRITE=1 the expectations are
// replaced by what the code printed, to be read and judged before committing.

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "actors/raft/planted_bug.hpp"
#include "tests/raft/script_env.hpp"
#include "tests/raft/script_parser.hpp"

namespace fs = std::filesystem;
using namespace rdb::raft::script;

namespace {

/// Where the runner is, for the abort handler: a broken raft invariant aborts the process, and
/// without this the report would not say which script line did it.
char current_location[512] = "";

void on_abort(int) {
  const char prefix[] = "aborted while running ";
  (void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  (void)!write(STDERR_FILENO, current_location, std::strlen(current_location));
  (void)!write(STDERR_FILENO, "\n", 1);
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

/// A line diff (longest common subsequence): outputs are at most a few hundred lines.
void print_diff(const std::string& expected, const std::string& actual) {
  auto a = split_lines(expected);
  auto b = split_lines(actual);
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      std::cout << "    " << a[i++] << '\n';
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      std::cout << "  - " << a[i++] << '\n';
    } else {
      std::cout << "  + " << b[j++] << '\n';
    }
  }
}

/// Failed commands, split by cause: the behaviour differs from the expectation, or the script
/// itself could not run (malformed, unknown command, missing file).
struct tally {
  int mismatches = 0;
  int errors = 0;
};

/// Runs one file and counts its failures.
tally run_file(const fs::path& path, bool rewrite) {
  script_file f;
  tally t;
  try {
    f = parse_file(path.string());
  } catch (const script_error& e) {
    std::cout << "FAIL " << path.string() << ": " << e.what() << '\n';
    ++t.errors;
    return t;
  }
  env e;
  std::vector<std::string> actual;
  for (const auto& b : f.blocks) {
    std::snprintf(current_location, sizeof(current_location), "%s:%zu (%s)", f.path.c_str(),
                  b.cmd.line, b.cmd.name.c_str());
    std::string out;
    try {
      out = e.run(b.cmd) + '\n';
    } catch (const script_error& err) {
      // A broken script is a failure even when rewriting: there is no output to bless.
      std::cout << "FAIL " << f.path << ':' << b.cmd.line << ": " << err.what() << '\n';
      ++t.errors;
      out = std::string{"script error: "} + err.what() + '\n';
    }
    actual.push_back(out);
    if (!rewrite && out != b.expected) {
      ++t.mismatches;
      std::cout << "FAIL " << f.path << ':' << b.cmd.line << ": output of '"
                << f.lines[b.cmd.line - 1] << "' differs (- expected, + actual):\n";
      print_diff(b.expected, out);
    }
  }
  if (rewrite) {
    std::ofstream(path) << rewritten(f, actual);
    std::cout << "rewrote " << path.string() << '\n';
  }
  bool ok = t.mismatches == 0 && t.errors == 0;
  std::cout << (ok ? "ok   " : "FAIL ") << path.string() << " (" << f.blocks.size()
            << " commands)\n";
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <testdata dir> [file.txt ...]\n";
    return 2;
  }
  std::signal(SIGABRT, on_abort);
  const char* rw = std::getenv("RDB_REWRITE");
  bool rewrite = rw != nullptr && std::string{rw} == "1";
#ifdef RDB_RAFT_PLANTED_BUGS
  // Built against the library with planted bugs: the scripts must fail, so their output is never
  // a candidate for the expectations.
  if (const char* v = std::getenv("RDB_RAFT_PLANTED_BUG"))
    rdb::raft::planted_bug = static_cast<rdb::raft::planted_bug_kind>(std::atoi(v));
  if (rewrite) {
    std::cerr << "refusing to rewrite expectations with planted bugs compiled in\n";
    return 2;
  }
#endif

  std::vector<fs::path> files;
  for (const auto& de : fs::directory_iterator(argv[1]))
    if (de.path().extension() == ".txt") files.push_back(de.path());
  std::sort(files.begin(), files.end());
  tally total;
  if (argc > 2) {
    std::vector<std::string> wanted(argv + 2, argv + argc);
    std::erase_if(files, [&](const fs::path& p) {
      return std::find(wanted.begin(), wanted.end(), p.filename().string()) == wanted.end();
    });
    if (files.size() != wanted.size()) {
      std::cout << "FAIL not every named script exists\n";
      ++total.errors;
    }
  }
  if (files.empty()) {
    std::cout << "FAIL no scripts found\n";
    ++total.errors;
  }
  for (const auto& p : files) {
    auto t = run_file(p, rewrite);
    total.mismatches += t.mismatches;
    total.errors += t.errors;
  }
  std::cout << files.size() << " scripts, " << total.mismatches << " mismatching and "
            << total.errors << " broken commands\n";
#ifdef RDB_RAFT_PLANTED_BUGS
  // Meson expects this run to fail. Only a mismatch shows that the scripts caught the bug; a
  // broken or missing script would fail too, so it must count as a pass that meson rejects.
  if (total.errors > 0) {
    std::cout << "broken scripts prove nothing about the planted bug\n";
    return 0;
  }
  return total.mismatches > 0 ? 1 : 0;
#else
  return total.mismatches == 0 && total.errors == 0 ? 0 : 1;
#endif
}
