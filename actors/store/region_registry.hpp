#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/common/errc.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

namespace rdb {

/// The store supervisor's book of the region replicas it runs: their meta as spawned, and how
/// often each was restarted. Plain class; the supervisor actor keeps the actor handles.
///
/// Invariant: the ranges of the booked regions are pairwise disjoint, so a store never serves
/// one key from two regions. `admit` refuses a region that would break it.
class region_registry {
 public:
  explicit region_registry(store_id self) : self_(self) {}

  /// Why `meta` may not run on this store, if it may not: it lists no peer here, its range is
  /// empty or inverted, or it overlaps another booked region. A region already booked under the
  /// same id is not a refusal (check `contains` first).
  std::optional<request_error> check(const storage::region_meta& meta) const;

  /// Books `meta` (after a successful `check`).
  void add(const storage::region_meta& meta);

  /// Books a replica a leader's message created under peer id `as`: it has no range until its
  /// first snapshot, so it overlaps nothing (the snapshot channel refuses a snapshot whose
  /// range overlaps a routed region).
  void add_created(region_id region, peer_id as);

  /// The peer id a message created `region`'s replica under; none if the disk or PD's layout
  /// founded it.
  peer_id created_as(region_id region) const;

  /// Forgets a region (its replica left, or it failed too often).
  void remove(region_id region);

  bool contains(region_id region) const { return regions_.count(region) > 0; }
  const storage::region_meta* find(region_id region) const;
  std::size_t size() const { return regions_.size(); }
  std::vector<region_id> ids() const;

  /// Counts a restart of `region` and answers whether it is still within `budget`.
  bool note_restart(region_id region, int budget);

 private:
  struct entry {
    storage::region_meta meta;
    peer_id created_as;
    int restarts = 0;
  };

  store_id self_;
  std::map<region_id, entry> regions_;
};

}  // namespace rdb
