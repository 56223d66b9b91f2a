#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

/// A simulated cluster whose regions split and change membership while their reports reach
/// PD late, twice, out of order or not at all. The truth is what the stores hold; PD only ever
/// sees reports of some past truth.
class simulation {
 public:
  explicit simulation(std::uint64_t seed) : rng_(seed) {
    auto metas = take(cs_.bootstrap(make_layout({"m"}, 3, 4)));
    for (const auto& m : metas)
      truth_[m.id] = m;
  }

  void step() {
    auto pick = std::uniform_int_distribution<int>{0, 9}(rng_);
    if (pick < 3)
      split();
    else if (pick < 5)
      change_membership();
    else
      deliver();
    check_invariants();
  }

  /// Delivers what is in flight, then every region's current state once, reliably and in
  /// random order: afterwards PD must know exactly the truth.
  void settle() {
    while (!in_flight_.empty()) {
      deliver();
      check_invariants();
    }
    for (const auto& [id, meta] : truth_)
      in_flight_.push_back(meta);
    while (!in_flight_.empty()) {
      deliver(false);
      check_invariants();
    }
    auto regions = take(cs_.regions());
    check_coverage(regions);
    REQUIRE(regions.size() == truth_.size());
    for (const auto& r : regions)
      CHECK(r.meta == truth_.at(r.meta.id));
  }

  std::size_t regions() const { return truth_.size(); }

  /// Reports PD refused as stale.
  std::size_t stale() const { return stale_; }

 private:
  storage::region_meta& random_region() {
    auto it = truth_.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>{0, truth_.size() - 1}(rng_));
    return it->second;
  }

  /// A key strictly inside `m`'s range, if one turns up.
  std::optional<std::string> key_inside(const storage::region_meta& m) {
    std::uniform_int_distribution<int> len{1, 4};
    std::uniform_int_distribution<int> letter{'a', 'z'};
    for (int attempt = 0; attempt < 20; ++attempt) {
      std::string k(static_cast<std::size_t>(len(rng_)), 'a');
      for (auto& c : k)
        c = static_cast<char>(letter(rng_));
      if (m.start_key < k && before_end(k, m.end_key)) return k;
    }
    return std::nullopt;
  }

  void split() {
    auto& parent = random_region();
    auto key = key_inside(parent);
    if (!key) return;
    auto ids = cs_.ask_split(parent);
    // PD never knows a newer epoch than the truth, but it may not have heard of a new region
    // yet; a real leader would ask again after its next report.
    if (!ids) {
      CHECK(ids.error().code == errc::unknown_region);
      return;
    }
    auto child = parent;
    child.id = ids->new_region;
    child.start_key = *key;
    for (std::size_t i = 0; i < child.peers.size(); ++i)
      child.peers[i].id = ids->new_peers[i];
    parent.end_key = *key;
    ++parent.epoch.version;
    child.epoch.version = parent.epoch.version;
    truth_[child.id] = child;
    in_flight_.push_back(parent);
    in_flight_.push_back(child);
  }

  void change_membership() {
    auto& m = random_region();
    ++m.epoch.conf_ver;
    if (m.peers.size() > 3) {
      m.peers.pop_back();
    } else {
      auto ids = take(cs_.alloc_ids(1));
      m.peers.push_back({ids.peer(0), store_id{1}, storage::peer_role::learner});
    }
    in_flight_.push_back(m);
  }

  /// Delivers a random report in flight; a `lossy` delivery may also repeat or lose it.
  void deliver(bool lossy = true) {
    if (in_flight_.empty()) return;
    auto i = std::uniform_int_distribution<std::size_t>{0, in_flight_.size() - 1}(rng_);
    auto report = in_flight_[i];
    auto fate = lossy ? std::uniform_int_distribution<int>{0, 9}(rng_) : 1;
    if (fate > 0) in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
    if (fate == 9) return;
    auto r = cs_.on_region_heartbeat(heartbeat_of(report));
    if (!r) {
      ++stale_;
      CHECK(r.error().code == errc::stale_epoch);
      REQUIRE(r.error().current.has_value());
    }
  }

  void check_invariants() {
    auto regions = take(cs_.regions());
    for (std::size_t i = 1; i < regions.size(); ++i)
      CHECK_FALSE(before_end(regions[i].meta.start_key, regions[i - 1].meta.end_key));
    for (const auto& r : regions) {
      const auto& truth = truth_.at(r.meta.id);
      CHECK(r.meta.epoch.version <= truth.epoch.version);
      CHECK(r.meta.epoch.conf_ver <= truth.epoch.conf_ver);
      auto& seen = seen_[r.meta.id];
      CHECK(r.meta.epoch.version >= seen.version);
      CHECK(r.meta.epoch.conf_ver >= seen.conf_ver);
      seen = r.meta.epoch;
    }
  }

  std::mt19937_64 rng_;
  memory_meta_store ms_;
  cluster_state cs_ = take(cluster_state::open(ms_));
  std::map<region_id, storage::region_meta> truth_;
  std::vector<storage::region_meta> in_flight_;
  std::map<region_id, storage::region_epoch> seen_;
  std::size_t stale_ = 0;
};

}  // namespace

TEST_CASE("split simulation: late, lost, repeated reports never break the region table") {
  std::size_t stale = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    simulation sim{seed};
    for (int i = 0; i < 300; ++i)
      sim.step();
    sim.settle();
    CHECK(sim.regions() > 2);
    stale += sim.stale();
  }
  // The runs must have exercised the refusals, not only the happy path.
  CHECK(stale > 40);
}

}  // namespace rdb::pd::test
