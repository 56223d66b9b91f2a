#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/raft/message.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// Value types of the transport's messages (actors/transport/transport_interface.hpp). Plain C++ so
/// the region peer's logic addresses raft messages without CAF.
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

/// A plain heartbeat or heartbeat response (no read context) in compact form: what is left of
/// its envelope once the batch names both stores. A heartbeat round of every region between two
/// stores then travels as one list in one batch, a few dozen bytes per region.
struct raft_beat {
  region_id region;
  peer_id from;
  storage::peer_role from_role = storage::peer_role::voter;
  peer_id to;
  storage::peer_role to_role = storage::peer_role::voter;
  storage::region_epoch epoch;
  raft::term_id term;
  /// Unused by responses.
  raft::log_index commit;
  bool response = false;

  bool operator==(const raft_beat&) const = default;
};

/// The compact form of `env` if it is a plain heartbeat or response that `expand_beat` restores
/// exactly; nothing otherwise (read-index heartbeats carry a context and stay envelopes).
std::optional<raft_beat> compact_beat(const raft_envelope& env);

/// The envelope `beat` stands for, sent by store `from` to store `to`.
raft_envelope expand_beat(const raft_beat& beat, store_id from, store_id to);

/// One piece of a snapshot file on its way to another store's transport (the snapshot
/// channel, actors/transport/snapshot_channel.hpp). A transfer is named by the sending store
/// and the region: a chunk at offset 0 starts it anew.
struct snapshot_chunk {
  store_id from_store;
  region_id region;
  std::uint64_t offset = 0;
  std::string data;
  /// On the last chunk only: the raft message to deliver once the file is whole and checked.
  bool last = false;
  raft_envelope env;

  bool operator==(const snapshot_chunk&) const = default;
};

/// All envelopes one store sends another in one flush.
struct raft_batch {
  store_id from_store;
  store_id to_store;
  std::vector<raft_envelope> envelopes;
  /// Plain heartbeats and responses, coalesced (see `raft_beat`).
  std::vector<raft_beat> beats;
  /// Batches of `to_store` that `from_store` has delivered since its last acknowledgement to
  /// it. A batch with neither envelopes nor beats is an acknowledgement alone.
  std::uint64_t acks = 0;

  bool operator==(const raft_batch&) const = default;
};

}  // namespace rdb
