#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "pd/failure.hpp"
#include "pd/types.hpp"

namespace rdb::pd {

/// One atomic change of PD's persisted state: everything in it becomes durable together or
/// not at all. The cluster state applies a change to memory only after it is committed, so
/// memory never runs ahead of disk.
struct change_set {
  /// The layout the cluster was bootstrapped with (carries the cluster id).
  std::optional<bootstrap_request> bootstrap;
  /// The new high-water mark of the id allocator.
  std::optional<std::uint64_t> id_high_water;
  /// Stores to insert or replace. Only id, address and whether the store is a tombstone are
  /// durable; liveness and heartbeat figures are not.
  std::vector<store_info> stores;
  /// Regions to insert or replace: meta, leader and approximate size are durable.
  std::vector<region_info> regions;
  std::vector<region_id> removed_regions;

  bool empty() const {
    return !bootstrap && !id_high_water && stores.empty() && regions.empty() &&
           removed_regions.empty();
  }
};

/// Everything a PD restart reads back.
struct persisted_state {
  std::optional<bootstrap_request> bootstrap;
  std::uint64_t id_high_water = 0;
  /// Ordered by id.
  std::vector<store_info> stores;
  /// Ordered by id.
  std::vector<region_info> regions;

  bool operator==(const persisted_state&) const = default;
};

/// The part of a store record that survives a restart: a store comes back up (or tombstoned)
/// with no figures, and the restarted PD waits a full liveness window for its heartbeat.
inline store_info durable_part(store_info s) {
  if (s.state != store_state::tombstone) s.state = store_state::up;
  s.stats = store_stats{};
  s.stats.store = s.id;
  s.last_heartbeat = tick_no{};
  return s;
}

/// The part of a region record that survives a restart: pending and down peers are only
/// meaningful until the next heartbeat.
inline region_info durable_part(region_info r) {
  r.pending_peers.clear();
  r.down_peers.clear();
  return r;
}

/// Where PD state lives between restarts. Used by one thread at a time (the PD actor).
class meta_store {
 public:
  virtual ~meta_store() = default;

  /// Reads the whole persisted state. A record that fails verification is `storage_corrupt`
  /// (naming the database and key); an I/O failure is `storage_failure`.
  virtual result<persisted_state> load() = 0;

  /// Makes `changes` durable atomically; on failure (`storage_failure`) nothing of it is.
  virtual result<void> commit(const change_set& changes) = 0;
};

}  // namespace rdb::pd
