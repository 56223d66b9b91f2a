// Replicas moving between real processes, directed by PD: moves of a leader's replica and back
// under a checked load, rebalancing onto a new store, repair after a store died, decommission
// with load running, and a move whose target died rolled back.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

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
  auto deadline = std::chrono::steady_clock::now() + bound;
  auto regions = regions_of(cluster);
  while (!done(regions) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
    regions = regions_of(cluster);
  }
  return regions;
}

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

}  // namespace rdb::test
