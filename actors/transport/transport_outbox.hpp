#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "actors/transport/transport_types.hpp"

namespace rdb {

/// Tuning of the batching and flow control of one store's transport.
struct outbox_config {
  /// A destination's queue is sent at once, without waiting for the flush, when it holds this
  /// many envelopes or bytes (measured here: 64-256 entries / 16-64 KiB per batch).
  std::size_t batch_envelopes = 256;
  std::size_t batch_bytes = 64 * 1024;
  /// Batches sent to one store and not yet acknowledged by its transport. CAF has no flow
  /// control: without a window a slow store only grows its mailbox.
  std::size_t window = 16;
  /// Delivered batches a receiver may owe before it acknowledges them by a message of its own;
  /// until then acknowledgements ride on its batches back. Taken as 1 to `window`: more could
  /// close the window for good on a one-way stream.
  std::size_t ack_every = 8;
  /// Envelopes held for one store while its window is full; beyond, new ones are dropped.
  /// Raft tolerates loss: a dropped append is resent after the follower's reject or a probe.
  std::size_t max_queued = 16 * 1024;
  /// How long a plain heartbeat (or response) waits for company: the heartbeats of one tick
  /// across all regions then leave as one batch per store. 0 sends them with the next flush.
  /// Well below an election timeout (10 ticks of 100 ms by default).
  std::chrono::nanoseconds beat_delay = std::chrono::milliseconds{10};
  /// How long a destination's window may stay full without a single acknowledgement before
  /// the batches in flight count as lost and the window opens again. Acknowledgements travel
  /// on the receiver's own batches, and those are lost when its handle to this store is a
  /// dead connection it has not noticed yet: without this the window would stay closed for
  /// good. Below an election timeout, so followers keep hearing their leader. 0: never.
  std::chrono::nanoseconds stall_timeout = std::chrono::milliseconds{300};
  /// Whether `partition_atom` may cut this store off from others (the node's
  /// `--allow-partitions`, for fault-injection scenarios; never in production).
  bool allow_partitions = false;
};

/// Counters of one transport, for tests and benchmarks.
struct transport_stats {
  std::uint64_t batches_sent = 0;
  std::uint64_t envelopes_sent = 0;
  /// Heartbeats and responses sent in compact form (not counted in `envelopes_sent`).
  std::uint64_t beats_sent = 0;
  std::uint64_t batches_received = 0;
  /// Acknowledgements sent alone, not carried by a batch of envelopes.
  std::uint64_t acks_alone = 0;
  std::uint64_t envelopes_delivered = 0;
  /// Envelopes addressed to this store's own peers, delivered without a batch.
  std::uint64_t local_delivered = 0;
  /// Dropped while the destination's window was full and its queue at `max_queued`.
  std::uint64_t dropped_full = 0;
  /// Dropped for a store this transport cannot reach.
  std::uint64_t dropped_unreachable = 0;
  /// Received envelopes dropped because no local peer of their region and peer id exists and
  /// no supervisor is connected to take them.
  std::uint64_t dropped_no_peer = 0;
  /// Received envelopes without a local peer of their region and peer id, handed to the store
  /// supervisor (it may create the replica they address).
  std::uint64_t to_supervisor = 0;
  /// Windows opened again because they stayed full for `stall_timeout` without an
  /// acknowledgement.
  std::uint64_t window_resets = 0;
  /// Envelopes and heartbeats dropped, sent or received, across a partition.
  std::uint64_t dropped_partitioned = 0;

  bool operator==(const transport_stats&) const = default;
};

/// The per-destination send side of a transport: queues envelopes per store, cuts them into
/// batches and keeps at most `window` batches per store unacknowledged. Plain class: the
/// transport actor feeds it and sends what it returns.
class transport_outbox {
 public:
  transport_outbox(store_id self, outbox_config cfg) : self_(self), cfg_(cfg) {}

  /// Makes `dest` reachable; a reconnect resets its window (batches in flight to the old
  /// handle may never be acknowledged).
  void connect(store_id dest);
  /// Makes `dest` unreachable and drops what was queued for it: its connection is gone.
  void disconnect(store_id dest);
  bool reachable(store_id dest) const { return dests_.count(dest) > 0; }

  enum class add_result : std::uint8_t {
    /// Queued; wait for the flush.
    queued,
    /// Queued, and the destination's queue is full enough to send now.
    send_now,
    /// A plain heartbeat queued in compact form: it may wait `beat_delay` for company.
    beat_queued,
    /// Dropped: the destination's window and queue are full.
    dropped,
    /// Dropped: the destination is unknown.
    unreachable,
  };

  /// Queues `env` for `env.to.store`.
  add_result add(raft_envelope env);

  /// The next batch for `dest` if it has queued envelopes and a free window slot.
  std::optional<raft_batch> take(store_id dest);

  /// Every batch the windows allow now, for all destinations.
  std::vector<raft_batch> take_all();

  /// `dest` acknowledged `count` batches: frees window slots.
  void on_ack(store_id dest, std::uint64_t count);

  /// Starts watching every destination whose window is full with envelopes waiting: true if
  /// there is one. Call `reopen_stalled` once `stall_timeout` has passed.
  bool watch_stalls();
  /// Opens the window of every watched destination that got no acknowledgement since
  /// `watch_stalls` and is still full: the stores whose window was reopened.
  std::vector<store_id> reopen_stalled();

  /// Envelopes queued for `dest`, and batches in flight to it.
  std::size_t queued(store_id dest) const;
  std::size_t in_flight(store_id dest) const;

  transport_stats& stats() { return stats_; }
  const transport_stats& stats() const { return stats_; }

  /// A rough wire size of an envelope: its payload bytes plus a fixed header.
  static std::size_t approximate_size(const raft_envelope& env);
  /// The same for a compact heartbeat.
  static constexpr std::size_t beat_size = 64;

 private:
  struct destination {
    std::deque<raft_envelope> queue;
    std::vector<raft_beat> beats;
    std::size_t queued_bytes = 0;
    std::size_t in_flight = 0;
    /// Full with envelopes waiting when the watch started, and no acknowledgement since.
    bool stalling = false;
  };

  bool window_full(const destination& d) const {
    return d.in_flight >= cfg_.window && (!d.queue.empty() || !d.beats.empty());
  }

  store_id self_;
  outbox_config cfg_;
  std::map<store_id, destination> dests_;
  transport_stats stats_;
};

}  // namespace rdb
