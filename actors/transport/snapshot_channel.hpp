#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "actors/router/route_table.hpp"
#include "actors/transport/transport_interface.hpp"

/// The snapshot channel of the transport: snapshot files travel between stores in chunks, apart
/// from raft batches, so a large snapshot never waits in (or holds up) a store pair's batch
/// window, and heartbeats keep flowing while it streams.
///
/// Sending: one stream per snapshot, on a thread of its own (it reads the file), sends chunks
/// to the target store's transport with at most `window` unacknowledged; when the last is
/// acknowledged it tells the leader peer `(snapshot_status_atom, peer, true)`, on any error or
/// timeout `false`. Receiving: the transport hands chunks to its receiver (also on a thread of
/// its own: it writes the file), which stages them in `dir`, checks the whole file's checksum
/// against the descriptor, points the descriptor at its copy and only then hands the raft
/// message back to the transport, which delivers it like a received envelope (to the local peer
/// of the region, or to the supervisor, which may create it). A snapshot whose range overlaps
/// another region routed on this store is refused: installing it clears its range.
namespace rdb {

struct snapshot_channel_config {
  /// Where received files are staged (the store's snapshot directory).
  std::string dir;
  std::size_t chunk_bytes = std::size_t{1} << 20;
  /// Chunks in flight per stream.
  std::size_t window = 4;
  /// Streams one store sends at once; more are refused (the leader tries again later).
  std::size_t max_streams = 4;
  /// How long a chunk may wait for its acknowledgement before the stream fails.
  caf::timespan chunk_timeout = std::chrono::seconds{10};
  /// Bytes per second one stream sends at most (0: no limit), so snapshots leave disk and
  /// network to the store's raft traffic.
  std::uint64_t max_bytes_per_sec = 0;
  /// Streams and the receiver read and write files on threads of their own; false runs them
  /// on the scheduler (tests on the deterministic coordinator).
  bool detached = true;
};

/// The receiving end, one per store: `(snapshot_chunk_atom, snapshot_chunk)` -> true once
/// written (see above); an error of category "rdb" if the chunk does not continue its transfer,
/// the file does not check out, it is for another store, or its range overlaps another
/// region routed here (`routes`). Checked messages go to `deliver`.
using snapshot_receiver_actor =
    caf::typed_actor<caf::replies_to<snapshot_chunk_atom, snapshot_chunk>::with<bool>>;

snapshot_receiver_actor spawn_snapshot_receiver(caf::actor_system& sys, store_id self,
                                                std::shared_ptr<route_holder> routes,
                                                raft_sink_actor deliver,
                                                snapshot_channel_config cfg);

/// Starts streaming the file that `env`'s snapshot names to `inbox` (the transport of
/// `env.to.store`); `origin` (the leader peer) hears how it ended. Answers the stream's actor,
/// which quits when done.
caf::actor spawn_snapshot_stream(caf::actor_system& sys, store_id self, transport_inbox_actor inbox,
                                 raft_envelope env, caf::strong_actor_ptr origin,
                                 snapshot_channel_config cfg);

}  // namespace rdb
