#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "pd/types.hpp"

/// A cluster as PD sees it through heartbeats, without raft: every store answers store
/// heartbeats, every region's leader reports each round and carries out the directive it gets
/// the way a store does (only against its current epoch). Learners catch up one round after
/// they are added unless their store is stalled; dead stores send nothing and their replicas
/// are reported down.
namespace rdb::pd::test {

struct sim_region {
  storage::region_meta meta;
  peer_id leader;
  /// Learners added but not caught up yet.
  std::set<peer_id> pending;
  /// The size its leader reports.
  std::uint64_t size = 0;
  /// Something changed since its last report (a quiet leader reports only then, or when asked).
  bool changed = true;
};

class operator_sim {
 public:
  operator_sim(cluster_config cfg, std::size_t stores, std::size_t regions,
               std::uint32_t replicas = 3);

  cluster_state& pd() { return *cs_; }
  const std::map<region_id, sim_region>& regions() const { return regions_; }
  store_id store(std::size_t i) const { return stores_.at(i); }
  const std::vector<directive>& applied() const { return applied_; }

  /// Registers one more store ("s<n+1>"), which heartbeats from the next round on.
  store_id add_store();
  void kill(store_id s) { dead_.insert(s); }
  void revive(store_id s) { dead_.erase(s); }
  /// A stalled store's learners never catch up.
  void stall(store_id s) { stalled_.insert(s); }
  void set_size(region_id r, std::uint64_t bytes) { regions_.at(r).size = bytes; }
  /// Quiet regions (hibernating ones) report only after a change of theirs, or when their
  /// store's heartbeat answer says PD has a directive waiting for them.
  void set_quiet(bool quiet) { quiet_ = quiet; }
  /// Region heartbeats PD got so far.
  std::size_t reports() const { return reports_; }

  /// One round: store heartbeats, one report per region (carrying out the answer), a PD tick.
  void round();
  /// Rounds until `done()` holds; false if it did not within `limit` rounds.
  template <class Pred>
  bool run_until(Pred done, int limit = 500) {
    for (int i = 0; i < limit; ++i) {
      if (done()) return true;
      round();
    }
    return done();
  }

  /// Replicas (voters and learners) per live store.
  std::map<store_id, std::size_t> replica_counts() const;
  /// Whether no operator is running.
  bool idle() const;
  /// Fails the test if a region has two replicas on one store, or no voter.
  void check_placement() const;

  /// Carries out `d` on its region as that region's leader would.
  void apply(const directive& d);

 private:
  memory_meta_store ms_;
  std::unique_ptr<cluster_state> cs_;
  std::vector<store_id> stores_;
  std::map<region_id, sim_region> regions_;
  std::set<store_id> dead_;
  std::set<store_id> stalled_;
  std::vector<directive> applied_;
  bool quiet_ = false;
  std::size_t reports_ = 0;
};

}  // namespace rdb::pd::test
