// rdb-lincheck: decides whether a client history (one JSON operation per line, see the README,
// "Checking histories") is linearizable for a key-value store of independent registers.
//
//   rdb-lincheck [--max-states N] [FILE]     (no FILE or "-": standard input)
//
// Exit status: 0 linearizable; 1 not linearizable, or a key's search ran out of budget (a
// search that gives up is never a pass); 2 bad arguments or a malformed history. On failure it
// prints the failing key with the fewest operations and that key's history.
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/lincheck/checker.hpp"

namespace {

struct arguments {
  std::string file = "-";
  rdb::lincheck::check_options opts;
};

/// Parses argv into `args`; returns an error text, or nothing when the arguments are fine.
std::optional<std::string> parse(const std::vector<std::string_view>& argv, arguments& args) {
  bool have_file = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    auto a = argv[i];
    if (a == "--max-states") {
      if (i + 1 >= argv.size()) return "missing value after --max-states";
      auto v = argv[++i];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), args.opts.max_states);
      if (ec != std::errc{} || end != v.data() + v.size() || args.opts.max_states == 0)
        return "--max-states takes a positive integer, not \"" + std::string{v} + "\"";
      continue;
    }
    if (a.size() > 1 && a.front() == '-') return "unknown option " + std::string{a};
    if (have_file) return "more than one history file";
    args.file = std::string{a};
    have_file = true;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> argv_views(argv + 1, argv + argc);
  arguments args;
  if (auto err = parse(argv_views, args)) {
    std::fprintf(stderr, "rdb-lincheck: %s\nusage: rdb-lincheck [--max-states N] [FILE]\n",
                 err->c_str());
    return 2;
  }
  std::ifstream file;
  if (args.file != "-") {
    file.open(args.file);
    if (!file) {
      std::fprintf(stderr, "rdb-lincheck: cannot open %s\n", args.file.c_str());
      return 2;
    }
  }
  auto history = rdb::lincheck::read_history(args.file == "-" ? std::cin : file);
  if (!history) {
    std::fprintf(stderr, "rdb-lincheck: %s:%zu: %s\n", args.file.c_str(), history.error().line,
                 history.error().message.c_str());
    return 2;
  }
  auto r = rdb::lincheck::check(*history, args.opts);
  std::printf("rdb-lincheck: %zu operations, %zu keys, %llu states searched: ", r.operations,
              r.keys, static_cast<unsigned long long>(r.states));
  if (r.linearizable) {
    std::printf("linearizable\n");
    return 0;
  }
  std::printf("NOT linearizable (%zu keys failed)\n", r.failures.size());
  const auto& worst = r.failures.front();
  std::printf("key %s, %zu operations: %s\n", worst.key.c_str(), worst.ops.size(),
              worst.budget_exceeded ? "the search ran out of budget (--max-states)"
                                    : "no order of its operations explains the results");
  for (const auto& op : worst.ops)
    std::printf("%s\n", rdb::lincheck::to_json(op).c_str());
  return 1;
}
