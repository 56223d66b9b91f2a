// rdb-dump: prints what a store directory holds, without changing it (mdb_stat for rdb).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_engine.hpp"
#include "storage/store.hpp"
#include "tools/rdb-dump/key_text.hpp"
#include "tools/rdb-dump/store_printer.hpp"

using namespace rdb;
using namespace rdb::tools::dump;

namespace {

constexpr const char* usage_text =
    "usage: rdb-dump DIR                                  identity and every region\n"
    "       rdb-dump DIR --log REGION [--from I] [--to J]  one region's log entries\n"
    "       rdb-dump DIR --data [--start KEY] [--end KEY] [--limit N]\n"
    "                                                      data records in [start, end)\n"
    "Keys are text with \\xNN escapes for other bytes; an empty --end means +infinity.\n"
    "DIR is a node's store directory (the log from its raft/, data from its kv/, the summary\n"
    "of both) or one LMDB environment directory.\n"
    "The store is opened read-only. Exit status: 0 ok, 1 storage error, 2 bad arguments.\n";

int failed(const storage::error& e) {
  std::cerr << "rdb-dump: " << e << "\n";
  return 1;
}

int usage(const std::string& problem) {
  std::cerr << "rdb-dump: " << problem << "\n" << usage_text;
  return 2;
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct arguments {
  std::string dir;
  std::optional<std::uint64_t> log_region;
  bool data = false;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::string start;
  std::string end;
  std::uint64_t limit = 100;
};

/// Parses argv into `args`; returns an error text, or nothing when the arguments are fine.
std::optional<std::string> parse(const std::vector<std::string_view>& argv, arguments& args) {
  if (argv.empty()) return "missing store directory";
  args.dir = std::string{argv[0]};
  bool range_flags = false, log_flags = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    auto flag = argv[i];
    if (flag == "--data") {
      args.data = true;
      continue;
    }
    static constexpr std::string_view valued[] = {"--log",   "--from",  "--to",
                                                  "--limit", "--start", "--end"};
    if (std::ranges::find(valued, flag) == std::end(valued))
      return "unknown option " + std::string{flag};
    if (i + 1 >= argv.size()) return "missing value after " + std::string{flag};
    auto value = argv[++i];
    if (flag == "--log" || flag == "--from" || flag == "--to" || flag == "--limit") {
      auto n = number(value);
      if (!n) return std::string{flag} + " needs a number, got '" + std::string{value} + "'";
      if (flag == "--log") args.log_region = *n;
      if (flag == "--from") args.from = *n;
      if (flag == "--to") args.to = *n;
      if (flag == "--limit") args.limit = *n;
      log_flags |= flag == "--from" || flag == "--to";
      range_flags |= flag == "--limit";
    } else {
      auto key = unescape(value);
      if (!key) return "bad escape in " + std::string{flag} + " '" + std::string{value} + "'";
      (flag == "--start" ? args.start : args.end) = *key;
      range_flags = true;
    }
  }
  if (args.data && args.log_region) return "--log and --data exclude each other";
  if (log_flags && !args.log_region) return "--from/--to need --log";
  if (range_flags && !args.data) return "--start/--end/--limit need --data";
  if (args.log_region && *args.log_region == 0) return "region id 0 is reserved";
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> argv_views(argv + 1, argv + argc);
  if (!argv_views.empty() && (argv_views[0] == "-h" || argv_views[0] == "--help")) {
    std::cout << usage_text;
    return 0;
  }
  arguments args;
  if (auto problem = parse(argv_views, args)) return usage(*problem);
  // A node's store directory holds the raft log engine and the kv environment
  // (storage/engines.hpp); any other directory is one LMDB environment.
  bool node_dir = std::filesystem::is_directory(args.dir + "/raft") &&
                  std::filesystem::is_directory(args.dir + "/kv");
  storage::store_options opts;
  opts.read_only = true;
  if (node_dir && !args.data) {
    auto log = storage::log_engine::open(args.dir + "/raft", opts);
    if (!log) return failed(log.error());
    log_printer printer{**log, std::cout};
    auto ok = args.log_region ? printer.log(region_id{*args.log_region}, raft::log_index{args.from},
                                            raft::log_index{args.to})
                              : printer.summary();
    if (!ok) return failed(ok.error());
    if (args.log_region) return 0;
  }
  auto s = storage::store::open(node_dir ? args.dir + "/kv" : args.dir, opts);
  if (!s) return failed(s.error());
  store_printer printer{**s, std::cout};
  storage::result<void> ok;
  if (args.log_region) {
    ok = printer.log(region_id{*args.log_region}, raft::log_index{args.from},
                     raft::log_index{args.to});
  } else if (args.data) {
    ok = printer.data(args.start, args.end, static_cast<std::size_t>(args.limit));
  } else {
    ok = printer.summary();
  }
  if (!ok) return failed(ok.error());
  return 0;
}
