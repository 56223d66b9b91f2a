// Splits on real processes: regions that grow past `region-split-size` are split by their
// stores' split checkers, with ids from PD, while clients keep writing; every write stays
// readable across the splits.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/store.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/support/wait.hpp"
#include "tools/client/client.hpp"

namespace rdb::test {

namespace {

std::string key_of(std::size_t i) {
  return std::string(1, static_cast<char>((i * 37) % 256)) + "key" + std::to_string(i);
}

std::string value_of(std::size_t i) {
  auto v = "value-" + std::to_string(i) + "-";
  v.resize(2048, 'v');
  return v;
}

/// Children store `i` started when it applied a split (one log line each).
std::size_t children_started(const process_cluster& cluster, std::size_t i) {
  return count_in_file(cluster.store_log(i), "started, split off region");
}

client::client client_of(const process_cluster& cluster, std::vector<std::size_t> stores) {
  client::options o;
  for (auto i : stores)
    o.stores.push_back(cluster.client_address(i));
  o.deadline = std::chrono::seconds{30};
  return client::client{o};
}

/// Writes keys [from, to), each acknowledged.
void write(client::client& c, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    auto ok = c.put(key_of(i), value_of(i));
    REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
  }
}

/// Every key of [0, n) reads its value.
void check_all(client::client& c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == value_of(i));
  }
}

/// How many initialized regions the kv environment of the store in `dir` holds, read while the
/// store runs (LMDB readers may share a live environment).
std::size_t regions_on_disk(const std::string& dir) {
  storage::store_options opts;
  opts.read_only = true;
  auto st = storage::store::open(dir + "/store/kv", opts);
  if (!st) return 0;
  auto view = (*st)->read();
  if (!view) return 0;
  auto all = view->regions();
  if (!all) return 0;
  return static_cast<std::size_t>(std::ranges::count_if(
      *all, [](const auto& r) { return r.state == storage::peer_state::normal; }));
}

/// The regions of the store in `dir` that hold more than `max` keys (counted by walking their
/// ranges), each described with its approximate count, read while the store runs.
std::vector<std::string> regions_with_more_keys(const std::string& dir, std::size_t max) {
  storage::store_options opts;
  opts.read_only = true;
  auto st = storage::store::open(dir + "/store/kv", opts);
  if (!st) return {"cannot open the store: " + st.error().message};
  auto view = (*st)->read();
  if (!view) return {"cannot read the store: " + view.error().message};
  auto all = view->regions();
  if (!all) return {"cannot read the regions: " + all.error().message};
  std::vector<std::string> out;
  for (const auto& r : *all) {
    if (r.state != storage::peer_state::normal) continue;
    std::size_t keys = 0;
    auto walked = view->for_each(r.region.start_key, r.region.end_key,
                                 [&](std::string_view, std::string_view) { return ++keys > 0; });
    auto usage = view->approximate_usage(r.region.id);
    if (!walked || !usage || keys > max)
      out.push_back("region " + std::to_string(r.region.id.value()) + ": " + std::to_string(keys) +
                    " keys, approximately " + std::to_string(usage ? usage->keys : 0));
  }
  return out;
}

const std::vector<std::string> split_flags{"--region-split-size=65536",
                                           "--split-check-interval=200ms", "--log-level=info"};

}  // namespace

TEST_CASE("split: regions past the split size split under writes; every write stays readable") {
  process_cluster cluster{3, split_flags};
  auto c = client_of(cluster, {0, 1, 2});
  // About 2 MiB over 16 regions: each grows past 64 KiB, most of them several times over.
  constexpr std::size_t keys = 1000;
  std::size_t written = 0;
  auto splits = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < cluster.stores(); ++i)
      n += count_in_file(cluster.store_log(i), "started, split off region");
    return n;
  };
  for (; written < keys; ++written) {
    auto ok = c.put(key_of(written), value_of(written));
    REQUIRE_MESSAGE(ok.has_value(), "put " << written << ": " << ok.error().detail);
  }
  // Each split starts the child on all three stores.
  REQUIRE(wait_until([&] { return splits() >= 3 * 16; }, std::chrono::seconds{60}));
  MESSAGE("children started on the stores: " << splits());
  for (std::size_t i = 0; i < keys; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == value_of(i));
  }
  // And the halves take writes.
  for (std::size_t i = 0; i < 50; ++i)
    REQUIRE(c.put(key_of(i), "again").has_value());
  CHECK(**c.get(key_of(7)) == "again");
}

TEST_CASE("split: regions with more keys than region-split-keys split by count") {
  process_cluster cluster{
      3, {"--region-split-keys=40", "--split-check-interval=200ms", "--log-level=info"}};
  auto c = client_of(cluster, {0, 1, 2});
  // 1,200 small records over 16 regions, 64 to 80 in each: far below the split size, but every
  // region holds more than 40 keys until it has split.
  constexpr std::size_t keys = 1200;
  for (std::size_t i = 0; i < keys; ++i) {
    auto ok = c.put(key_of(i), std::to_string(i));
    REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
  }
  // The halves land at 32 to 40 keys; a count off by a few from the proportional estimate
  // (the child takes keys in proportion to bytes) still leaves every region below 48.
  std::vector<std::string> crowded;
  bool settled = wait_until(
      [&] {
        crowded = regions_with_more_keys(cluster.store_dir(0), 48);
        return crowded.empty();
      },
      std::chrono::seconds{60});
  for (const auto& r : crowded)
    MESSAGE(r);
  REQUIRE(settled);
  MESSAGE("regions on store 0: " << regions_on_disk(cluster.store_dir(0)));
  CHECK(regions_on_disk(cluster.store_dir(0)) >= 32);
  for (std::size_t i = 0; i < keys; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == std::to_string(i));
  }
}

}  // namespace rdb::test

namespace rdb::test {

TEST_CASE(
    "split: a store killed before the splits applies them at restart; killed all at once "
    "after them, the cluster comes back split") {
  process_cluster cluster{3, split_flags};
  auto c = client_of(cluster, {0, 1, 2});
  write(c, 0, 100);
  cluster.kill_store(2);
  // The other two split while store 2 is down.
  auto rest = client_of(cluster, {0, 1});
  write(rest, 100, 1000);
  REQUIRE(wait_until([&] { return children_started(cluster, 0) >= 16; }, std::chrono::seconds{60}));
  cluster.restart_store(2);
  // Store 2 splits its replicas as it catches up, from the log or by snapshots, until it holds
  // as many regions as store 0.
  REQUIRE(wait_until(
      [&] {
        auto on_0 = regions_on_disk(cluster.store_dir(0));
        return on_0 > 16 && regions_on_disk(cluster.store_dir(2)) == on_0;
      },
      std::chrono::seconds{60}));
  // Its replicas of the halves serve: without store 0 the halves have a quorum only with it.
  cluster.kill_store(0);
  auto without_0 = client_of(cluster, {1, 2});
  check_all(without_0, 1000);
  cluster.restart_store(0);
  // Everything killed at once after the splits: every store starts the halves from disk.
  for (std::size_t i = 0; i < cluster.stores(); ++i)
    cluster.kill_store(i);
  for (std::size_t i = 0; i < cluster.stores(); ++i)
    cluster.restart_store(i);
  auto again = client_of(cluster, {0, 1, 2});
  check_all(again, 1000);
  write(again, 1000, 1100);
  check_all(again, 1100);
}

TEST_CASE(
    "split: a store killed again and again while regions split under writes loses "
    "nothing and keeps up") {
  process_cluster cluster{3, split_flags};
  auto c = client_of(cluster, {0, 1, 2});
  std::size_t written = 0;
  // Store 1 is killed every 150 writes, at whatever point of a split it is, and restarted.
  for (int round = 0; round < 6; ++round) {
    write(c, written, written + 150);
    written += 150;
    cluster.kill_store(1);
    write(c, written, written + 20);
    written += 20;
    cluster.restart_store(1);
  }
  MESSAGE("children started on store 0: " << children_started(cluster, 0));
  CHECK(children_started(cluster, 0) >= 16);
  // Store 1 catches up with every split it missed, from its log or by snapshots.
  REQUIRE(wait_until(
      [&] {
        auto on_0 = regions_on_disk(cluster.store_dir(0));
        return on_0 > 16 && regions_on_disk(cluster.store_dir(1)) == on_0;
      },
      std::chrono::seconds{60}));
  check_all(c, written);
  // Store 1 caught up: with store 2 gone, every half still has a quorum.
  cluster.kill_store(2);
  auto without_2 = client_of(cluster, {0, 1});
  check_all(without_2, written);
}

}  // namespace rdb::test
