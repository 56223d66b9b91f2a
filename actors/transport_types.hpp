#pragma once

#include <vector>

#include "actors/raft/message.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// Value types of the transport's messages (actors/transport_interface.hpp). Plain C++ so the
/// region peer's logic addresses raft messages without CAF.
namespace rdb {

/// One raft message of one region, addressed well enough to find the target replica on the
/// target store. Traffic of one region never reaches another: a region peer drops envelopes
/// whose region or target peer id is not its own.
struct raft_envelope {
  region_id region;
  /// Sender and receiver replicas (peer id + store id).
  storage::region_peer from;
  storage::region_peer to;
  /// The sender's epoch of the region, so a receiver can tell a stale sender from a newer one.
  storage::region_epoch epoch;
  raft::message msg;

  bool operator==(const raft_envelope&) const = default;
};

/// All envelopes one store sends another in one flush.
struct raft_batch {
  store_id from_store;
  store_id to_store;
  std::vector<raft_envelope> envelopes;

  bool operator==(const raft_batch&) const = default;
};

}  // namespace rdb
