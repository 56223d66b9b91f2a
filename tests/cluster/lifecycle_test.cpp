// The region lifecycle on real processes: a store that must be caught up by snapshots is
// killed with SIGKILL while they stream to it and again while it installs one, and a sender is
// killed mid-stream; restarted, the store completes them and its own kv environment holds every
// acknowledged write, whole.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "storage/store.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/support/wait.hpp"
#include "tools/client/client.hpp"

namespace rdb::test {

namespace {

/// Key `i`, spread over every initial region by its first byte.
std::string key_of(std::size_t i) {
  return std::string(1, static_cast<char>((i * 37) % 256)) + "key" + std::to_string(i);
}

/// A 4 KiB value that names its key.
std::string value_of(std::size_t i) {
  auto v = "value-" + std::to_string(i) + "-";
  v.resize(4096, 'x');
  return v;
}

/// Whether a snapshot is being received (staged) under the store directory `dir`.
bool receiving(const std::string& dir) {
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec))
    if (f.path().filename().string().starts_with("recv-")) return true;
  return false;
}

/// How many of keys [0, n) the kv environment of the store in `dir` holds with their values,
/// read while the store runs (LMDB readers may share a live environment).
std::size_t held(const std::string& dir, std::size_t n) {
  storage::store_options opts;
  opts.read_only = true;
  auto st = storage::store::open(dir + "/store/kv", opts);
  if (!st) return 0;
  auto view = (*st)->read();
  if (!view) return 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto v = view->get(key_of(i));
    if (v && *v == value_of(i)) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE(
    "lifecycle: a store killed while snapshots stream to it and while it installs one, and a "
    "sender killed mid-stream: restarted, it completes them and holds every write") {
  // Logs are compacted past a replica 32 entries behind; snapshots stream at 256 KiB/s, so
  // each of a region's (some 250 KiB) takes about a second.
  process_cluster cluster{3,
                          {"--log-gc-ticks=2", "--log-gc-threshold=8", "--log-gc-count-limit=32",
                           "--snapshot-max-bytes-per-sec=262144", "--log-level=info"}};
  client::options o;
  o.stores = cluster.client_addresses();
  o.deadline = std::chrono::seconds{30};
  client::client c{o};
  constexpr std::size_t keys = 1000;
  auto put = [&](std::size_t from, std::size_t to) {
    for (auto i = from; i < to; ++i) {
      auto ok = c.put(key_of(i), value_of(i));
      REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
    }
  };
  put(0, 50);
  cluster.kill_store(0);
  // Some 60 writes per region while store 0 is down: every leader compacts past it.
  put(50, keys);
  const auto& log = cluster.store_log(0);
  const std::string installing = "installing the snapshot";

  // Killed while the first snapshots stream in.
  cluster.restart_store(0);
  REQUIRE(wait_until([&] { return receiving(cluster.store_dir(0)); }, std::chrono::seconds{60}));
  cluster.kill_store(0);

  // A sender killed mid-stream: store 1 leads some of the regions whose snapshots are on
  // their way; its regions elect again and the new leaders send theirs.
  cluster.restart_store(0);
  REQUIRE(wait_until([&] { return receiving(cluster.store_dir(0)); }, std::chrono::seconds{60}));
  cluster.kill_store(1);
  cluster.restart_store(1);

  // Killed as soon as it starts installing one (before, during or after its kv commit).
  auto before = count_in_file(log, installing);
  cluster.kill_store(0);
  cluster.restart_store(0);
  REQUIRE(wait_until([&] { return count_in_file(log, installing) > before; },
                     std::chrono::seconds{60}));
  cluster.kill_store(0);

  // Restarted, it gets every snapshot it misses and holds every write, all of each region.
  cluster.restart_store(0);
  REQUIRE(wait_until([&] { return held(cluster.store_dir(0), keys) == keys; },
                     std::chrono::seconds{120}));
  auto installs = count_in_file(log, installing);
  CHECK(installs > before + 1);
  MESSAGE("store 0 began " << installs << " snapshot installs over four runs, " << before
                           << " of them before the last kill");
  // And it takes part: with store 1 gone, writes need its log.
  cluster.kill_store(1);
  put(keys, keys + 20);
}

}  // namespace rdb::test
