#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include <caf/fwd.hpp>

#include "actors/region/region_peer_interface.hpp"
#include "actors/transport/transport_interface.hpp"

namespace rdb::test {

/// The peers of several in-process stores, for a transport test double that hands each raft
/// envelope straight to the target peer (no batching, no network). Stores can be cut off to
/// simulate a partition. Shared by the transports of all stores of one test.
class direct_network {
 public:
  void add(store_id store, region_id region, region_peer_actor peer);
  /// Forgets every peer of `store` (it was stopped).
  void remove_store(store_id store);
  /// Drops all traffic from and to `store` while `cut` is true.
  void isolate(store_id store, bool cut);

  /// The peer an envelope is for, if reachable.
  std::optional<region_peer_actor> route(const raft_envelope& env);

  std::uint64_t delivered() const;
  std::uint64_t dropped() const;

 private:
  mutable std::mutex mtx_;
  std::map<std::pair<store_id, region_id>, region_peer_actor> peers_;
  std::set<store_id> isolated_;
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
};

/// A transport for `store` that delivers through `net` one envelope at a time.
transport_actor spawn_direct_transport(caf::actor_system& sys, store_id store,
                                       std::shared_ptr<direct_network> net);

}  // namespace rdb::test
