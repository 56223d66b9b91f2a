// Replicas moving between real processes, directed by PD: moves of a leader's replica and back
// under a checked load, rebalancing onto a new store, repair after a store died, decommission
// with load running, and a move whose target died rolled back.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/store.hpp"
#include "tests/cluster/console_run.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/support/wait.hpp"
#include "tools/client/client.hpp"

namespace rdb::test {

namespace {

using json = nlohmann::json;

/// Switches PD's schedulers off (CAF 0.17 takes no `=false` flag): the test directs every
/// move. Nothing needs balancing or repair before: the layout is even, every store up.
void manual(const process_cluster& cluster) {
  auto run = run_console(cluster,
                         "scheduler balance-region off\n"
                         "scheduler replica-repair off\n"
                         "scheduler balance-leader off\n");
  REQUIRE_MESSAGE(run.status == 0, run.out);
}

/// The regions as PD lists them (`regions --json`).
json regions_of(const process_cluster& cluster) {
  auto run = run_console(cluster, "regions\n", "--json");
  REQUIRE_MESSAGE(run.status == 0, run.out);
  return json::parse(run.out.substr(0, run.out.find('\n')));
}

/// Replicas per store id, as PD's region table shows them.
std::map<std::uint64_t, std::size_t> replicas_per_store(const json& regions) {
  std::map<std::uint64_t, std::size_t> out;
  for (const auto& r : regions)
    for (const auto& p : r["peers"])
      ++out[p["store"].get<std::uint64_t>()];
  return out;
}

/// Whether every region has exactly `n` voters, no learner, and none on `store`.
bool settled(const json& regions, std::uint64_t store, std::size_t n) {
  for (const auto& r : regions) {
    if (r["peers"].size() != n) return false;
    for (const auto& p : r["peers"])
      if (p["learner"].get<bool>() || p["store"].get<std::uint64_t>() == store) return false;
  }
  return true;
}

std::string key_of(std::size_t i) {
  return std::string(1, static_cast<char>((i * 37) % 256)) + "moved" + std::to_string(i);
}

client::client client_of(const process_cluster& cluster) {
  client::options o;
  o.stores = cluster.client_addresses();
  o.deadline = std::chrono::seconds{30};
  return client::client{o};
}

void write_keys(const process_cluster& cluster, std::size_t n) {
  auto c = client_of(cluster);
  for (std::size_t i = 0; i < n; ++i) {
    auto ok = c.put(key_of(i), "v" + std::to_string(i));
    REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
  }
}

void check_keys(const process_cluster& cluster, std::size_t n) {
  auto c = client_of(cluster);
  for (std::size_t i = 0; i < n; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == "v" + std::to_string(i));
  }
}

/// Polls PD's region table until `done` holds, at most `bound`; the last table either way.
template <class Pred>
json wait_regions(const process_cluster& cluster, Pred done, std::chrono::seconds bound) {
  json regions;
  wait_until(
      [&] {
        regions = regions_of(cluster);
        return done(regions);
      },
      bound, std::chrono::milliseconds{500});
  return regions;
}

/// Key `i` of the first region, ["", "\x10").
std::string first_region_key(std::size_t i) {
  // "\x01" alone: a hex escape would swallow the letters after it.
  return std::string{"\x01"} + "big" + std::to_string(i);
}

/// A 4 KiB value naming its key.
std::string big_value(std::size_t i) {
  auto v = "value-" + std::to_string(i) + "-";
  v.resize(4096, 'x');
  return v;
}

/// Fills region 4 with `n` 4 KiB values.
void fill_first_region(const process_cluster& cluster, std::size_t n) {
  auto c = client_of(cluster);
  for (std::size_t i = 0; i < n; ++i) {
    auto ok = c.put(first_region_key(i), big_value(i));
    REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
  }
}

void check_first_region(const process_cluster& cluster, std::size_t n) {
  auto c = client_of(cluster);
  for (std::size_t i = 0; i < n; ++i) {
    auto got = c.get(first_region_key(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == big_value(i));
  }
}

/// Whether a snapshot is being received (staged) under the store directory `dir`.
bool receiving(const std::string& dir) {
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec))
    if (f.path().filename().string().starts_with("recv-")) return true;
  return false;
}

/// The state of region `id` in the kv environment of the store in `dir`, read while the store
/// runs; nullopt if it holds no record of it.
std::optional<storage::peer_state> region_state(const std::string& dir, std::uint64_t id) {
  storage::store_options opts;
  opts.read_only = true;
  auto st = storage::store::open(dir + "/store/kv", opts);
  if (!st) return std::nullopt;
  auto view = (*st)->read();
  if (!view) return std::nullopt;
  auto all = view->regions();
  if (!all) return std::nullopt;
  for (const auto& r : *all)
    if (r.region.id.value() == id) return r.state;
  return std::nullopt;
}

/// A region's entry in PD's table.
json region_entry(const process_cluster& cluster, std::uint64_t id) {
  for (const auto& r : regions_of(cluster))
    if (r["id"].get<std::uint64_t>() == id) return r;
  FAIL("PD has no region " << id);
  return {};
}

/// Logs compacted soon, so a new replica is caught up by snapshot, and snapshots slow enough
/// (2 MiB/s) that a test can act while one streams.
const std::vector<std::string> slow_snapshots{"--log-gc-ticks=2", "--log-gc-threshold=8",
                                              "--log-gc-count-limit=32",
                                              "--snapshot-max-bytes-per-sec=2097152"};

}  // namespace

TEST_CASE("move: a leader's replica moves to a new store and back under a checked load") {
  process_cluster cluster{3};
  manual(cluster);
  auto added = cluster.add_store();
  auto from = cluster.store_id(0);
  auto to = cluster.store_id(added);
  write_keys(cluster, 200);
  auto run = run_console(cluster,
                         "wait store " + to +
                             " up 20s\n"
                             "transfer-leader 4 " +
                             from +
                             "\n"
                             "load start 4\n"
                             "move 4 " +
                             from + " " + to +
                             "\n"
                             "assert replicas 4 3\n"
                             "move 8 " +
                             cluster.store_id(1) + " " + to +
                             "\n"
                             "move 4 " +
                             to + " " + from +
                             "\n"
                             "assert replicas 4 3\n"
                             "load stop\n"
                             "operators\n",
                         "--timeout=60s");
  CHECK_MESSAGE(run.status == 0, run.out);
  CHECK(run.has("region 4 move-peer (admin) finished"));
  CHECK(run.has("linearizable"));
  auto regions = regions_of(cluster);
  for (const auto& r : regions) {
    auto id = r["id"].get<std::uint64_t>();
    if (id != 4 && id != 8) continue;
    std::set<std::uint64_t> stores;
    for (const auto& p : r["peers"]) {
      CHECK_FALSE(p["learner"].get<bool>());
      stores.insert(p["store"].get<std::uint64_t>());
    }
    CHECK(stores.size() == 3);
    CHECK(stores.contains(std::stoull(id == 4 ? from : to)));
  }
  check_keys(cluster, 200);
}

TEST_CASE("move: a store added to three takes replicas until every store is within 1") {
  process_cluster cluster{3};
  write_keys(cluster, 200);
  auto added = cluster.add_store();
  auto id = std::stoull(cluster.store_id(added));
  auto balanced = [](const json& regions) {
    auto counts = replicas_per_store(regions);
    if (counts.size() != 4) return false;
    auto [lo, hi] = std::ranges::minmax_element(counts, {}, [](auto& e) { return e.second; });
    return hi->second - lo->second <= 1 && settled(regions, 0, 3);
  };
  auto start = std::chrono::steady_clock::now();
  auto regions = wait_regions(cluster, balanced, std::chrono::seconds{180});
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  REQUIRE_MESSAGE(balanced(regions), regions.dump());
  MESSAGE("balanced 16 regions over 4 stores in " << took.count() << " ms");
  CHECK(replicas_per_store(regions)[id] >= 11);
  check_keys(cluster, 200);
}

TEST_CASE("move: replicas of a store down past max-store-down-time are rebuilt elsewhere") {
  process_cluster cluster{4, {}, {"--max-store-down-time=3s"}};
  write_keys(cluster, 200);
  auto victim = std::stoull(cluster.store_id(3));
  cluster.kill_store(3);
  auto regions = wait_regions(
      cluster, [&](const json& r) { return settled(r, victim, 3); }, std::chrono::seconds{180});
  REQUIRE_MESSAGE(settled(regions, victim, 3), regions.dump());
  check_keys(cluster, 200);
}

TEST_CASE("move: a store decommissioned with load running ends a tombstone, nothing lost") {
  process_cluster cluster{4};
  write_keys(cluster, 200);
  auto leaving = cluster.store_id(0);
  auto run = run_console(cluster,
                         "load start 4\n"
                         "decommission " +
                             leaving +
                             "\n"
                             "wait store " +
                             leaving +
                             " tombstone 180s\n"
                             "load stop\n",
                         "--timeout=20s");
  CHECK_MESSAGE(run.status == 0, run.out);
  CHECK(run.has("linearizable"));
  auto regions = regions_of(cluster);
  CHECK_MESSAGE(settled(regions, std::stoull(leaving), 3), regions.dump());
  check_keys(cluster, 200);
}

TEST_CASE("move: a move whose target died times out and its learner is removed") {
  process_cluster cluster{3, {}, {"--operator-timeout=4s"}};
  manual(cluster);
  auto added = cluster.add_store();
  auto to = cluster.store_id(added);
  auto ready = run_console(cluster, "wait store " + to + " up 20s\n");
  REQUIRE_MESSAGE(ready.status == 0, ready.out);
  cluster.kill_store(added);
  auto run =
      run_console(cluster, "move 12 " + cluster.store_id(1) + " " + to + "\n", "--timeout=30s");
  CHECK(run.status == 1);
  CHECK_MESSAGE(run.has("timed_out"), run.out);
  auto regions = wait_regions(
      cluster, [&](const json& r) { return settled(r, std::stoull(to), 3); },
      std::chrono::seconds{30});
  CHECK_MESSAGE(settled(regions, std::stoull(to), 3), regions.dump());
  auto ops = run_console(cluster, "operators\n");
  CHECK_MESSAGE(ops.has("region 12 rollback (admin) finished"), ops.out);
}

TEST_CASE(
    "move: the target killed while its snapshot streams, then restarted: the move "
    "completes and the target holds every write") {
  process_cluster cluster{3, slow_snapshots};
  manual(cluster);
  auto added = cluster.add_store();
  auto to = cluster.store_id(added);
  constexpr std::size_t n = 2000;  // 8 MiB: about 4 s of snapshot
  fill_first_region(cluster, n);
  auto move = std::async(std::launch::async, [&] {
    return run_console(cluster, "move 4 " + cluster.store_id(1) + " " + to + "\n",
                       "--timeout=180s");
  });
  REQUIRE(
      wait_until([&] { return receiving(cluster.store_dir(added)); }, std::chrono::seconds{60}));
  cluster.kill_store(added);
  cluster.restart_store(added);
  auto run = move.get();
  CHECK_MESSAGE(run.status == 0, run.out);
  CHECK(run.has("region 4 move-peer (admin) finished"));
  auto r = region_entry(cluster, 4);
  CHECK(settled(json::array({r}), std::stoull(cluster.store_id(1)), 3));
  CHECK(region_state(cluster.store_dir(added), 4) == storage::peer_state::normal);
  check_first_region(cluster, n);
}

TEST_CASE(
    "move: a source killed before its replica is moved away destroys the replica when "
    "it comes back") {
  process_cluster cluster{3};
  manual(cluster);
  auto added = cluster.add_store();
  auto to = cluster.store_id(added);
  fill_first_region(cluster, 100);
  // Store 2 (index 2) holds a follower or the leader of region 4; move leadership off it first.
  auto from = cluster.store_id(2);
  auto lead = run_console(cluster, "transfer-leader 4 " + cluster.store_id(0) + "\n");
  REQUIRE_MESSAGE(lead.status == 0, lead.out);
  cluster.kill_store(2);
  auto run = run_console(cluster, "move 4 " + from + " " + to + "\n", "--timeout=60s");
  CHECK_MESSAGE(run.status == 0, run.out);
  REQUIRE(region_state(cluster.store_dir(2), 4) == storage::peer_state::normal);
  cluster.restart_store(2);
  CHECK(wait_until(
      [&] { return region_state(cluster.store_dir(2), 4) == storage::peer_state::tombstone; },
      std::chrono::seconds{60}, std::chrono::milliseconds{200}));
  check_first_region(cluster, 100);
}

TEST_CASE(
    "move: PD restarted in the middle of a move forgets the operator; replica repair "
    "removes what it left and the region ends with three voters") {
  process_cluster cluster{3, slow_snapshots};
  auto stop = run_console(cluster, "scheduler balance-region off\nscheduler balance-leader off\n");
  REQUIRE_MESSAGE(stop.status == 0, stop.out);
  auto added = cluster.add_store();
  auto to = std::stoull(cluster.store_id(added));
  constexpr std::size_t n = 2000;
  fill_first_region(cluster, n);
  auto move = std::async(std::launch::async, [&] {
    return run_console(cluster, "move 4 " + cluster.store_id(1) + " " + std::to_string(to) + "\n",
                       "--timeout=60s");
  });
  if (!wait_until([&] { return receiving(cluster.store_dir(added)); }, std::chrono::seconds{60}))
    FAIL("no snapshot reached the new store; the move said: " << move.get().out);
  cluster.kill_pd();
  cluster.restart_pd();
  // The console's move lost its PD: it fails, saying so; the region goes on without operator.
  auto run = move.get();
  CHECK(run.status == 1);
  auto regions = wait_regions(
      cluster,
      [&](const json& all) {
        for (const auto& r : all)
          if (r["id"].get<std::uint64_t>() == 4) return settled(json::array({r}), 0, 3);
        return false;
      },
      std::chrono::seconds{120});
  auto r = region_entry(cluster, 4);
  CHECK_MESSAGE(settled(json::array({r}), 0, 3), r.dump());
  check_first_region(cluster, n);
}

}  // namespace rdb::test
