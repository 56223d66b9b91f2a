#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "actors/raft/types.hpp"
#include "storage/types.hpp"

namespace rdb {

/// What a leader holding a read lease lets its store's KV service read without asking it
/// (TiKV's local reader): the peer publishes it after every input, the service reads it on its
/// own thread.
///
/// A local read is linearizable when, at some moment between its start and its answer, the
/// grant was in force and the data it read was applied at least to the grant's commit index:
/// - no other leader exists before `until` (the lease, actors/region/peer_lease.cpp);
/// - the peer publishes its commit index before it answers the writes that index covers, so a
///   write answered before the read started is at or below `commit`.
/// The service checks the grant, reads, and checks that no revocation happened meanwhile: the
/// peer revokes before it sends anything that could end the lease (a leader transfer).
class lease_grant {
 public:
  using clock = std::chrono::steady_clock;

  struct terms {
    clock::time_point until;
    raft::log_index commit;
    /// The region's epoch when granted: a request for another epoch goes to the peer.
    storage::region_epoch epoch;
    /// Revocations so far; `still_valid` compares it.
    std::uint64_t revocations = 0;
  };

  /// The peer's side: the lease runs until `until` and the region has committed `commit`.
  void publish(clock::time_point until, raft::log_index commit, storage::region_epoch epoch);
  /// The peer's side: no local read from now on, until the next `publish`.
  void revoke();

  /// The terms in force at `now`, if any.
  std::optional<terms> current(clock::time_point now) const;
  /// Whether terms taken by `current` were still in force at `now`, with no revocation since.
  bool still_valid(const terms& t, clock::time_point now) const;

 private:
  mutable std::mutex mtx_;
  terms terms_;
};

/// The grants of one store's regions, by region: shared by its peers and its KV service.
class lease_grants {
 public:
  /// The grant of `region`, made on first use; a restarted peer takes over its predecessor's.
  std::shared_ptr<lease_grant> of(region_id region);
  /// The grant of `region`, or null if no peer of it has run here.
  std::shared_ptr<const lease_grant> find(region_id region) const;

 private:
  mutable std::mutex mtx_;
  std::unordered_map<region_id, std::shared_ptr<lease_grant>> grants_;
};

}  // namespace rdb
