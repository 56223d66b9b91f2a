#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/ids.hpp"
#include "storage/types.hpp"

/// Value types exchanged with the placement driver. Plain C++ (no CAF) so the pure cluster
/// state in pd/ works on the same types the PD actor sends; their CAF `inspect()` overloads are
/// in pd/inspect.hpp. Every type is default-constructible, copyable and comparable.
namespace rdb::pd {

/// A PD tick number. PD's notion of time: store liveness is counted in ticks, never read from
/// a clock inside the cluster state.
using tick_no = strong_id<struct tick_no_tag>;

// -- bootstrap ----------------------------------------------------------------

/// The initial layout of a cluster. Regions are [""; k1), [k1; k2), ..., [kn; +inf) for the
/// split keys k1 < k2 < ... < kn (non-empty, strictly ascending, each at most
/// `storage::max_key_size` bytes); each gets `replicas` voters on distinct stores, spread so
/// that every store carries as even a share as possible.
struct bootstrap_request {
  /// The cluster id every store writes into its store identity. Must not be none.
  cluster_id cluster;
  std::vector<std::string> split_keys;
  /// Replicas per region; at least 1 and at most the number of stores.
  std::uint32_t replicas = 3;
  /// Addresses of the stores that carry the initial regions. A known address keeps its store
  /// id; an unknown one is registered. No duplicates.
  std::vector<std::string> stores;

  bool operator==(const bootstrap_request&) const = default;
};

/// Whether the cluster has its initial layout, and under which cluster id.
struct bootstrap_status {
  bool bootstrapped = false;
  /// None until bootstrapped.
  cluster_id cluster;

  bool operator==(const bootstrap_status&) const = default;
};

// -- ids ----------------------------------------------------------------------

/// `count` consecutive ids starting at `first`, from the one cluster-wide allocator that hands
/// out region ids and peer ids alike. Never handed out again, not even after a PD restart.
struct id_range {
  std::uint64_t first = 0;
  std::uint64_t count = 0;

  /// The i-th id of the range as a region or peer id. Precondition: i < count.
  region_id region(std::uint64_t i) const { return region_id{first + i}; }
  peer_id peer(std::uint64_t i) const { return peer_id{first + i}; }

  bool operator==(const id_range&) const = default;
};

/// The ids a split of one region must use: the new (right-hand) region's id, and one new peer
/// id per peer of the parent, in the order of the parent's peer list.
struct split_ids {
  region_id new_region;
  std::vector<peer_id> new_peers;

  bool operator==(const split_ids&) const = default;
};

/// A split asked for by a person or a script (see split_region_atom).
struct split_region_request {
  region_id region;
  /// Where the right half starts; empty: at the middle of the region's data by size.
  std::string key;
  /// The epoch the caller saw; 0/0: whatever PD's current one is.
  storage::region_epoch epoch;

  bool operator==(const split_region_request&) const = default;
};

// -- stores -------------------------------------------------------------------

/// up: heard from within the liveness window. down: not heard from for `store_down_ticks` PD
/// ticks (becomes up again with its next heartbeat). tombstone: removed for good.
enum class store_state : std::uint8_t { up = 0, down = 1, tombstone = 2 };

/// The enumerator's name; a `std::string` so CAF prints it inside messages.
inline std::string to_string(store_state s) {
  switch (s) {
    case store_state::up:
      return "up";
    case store_state::down:
      return "down";
    case store_state::tombstone:
      return "tombstone";
  }
  return "unknown";
}

/// What a store reports about itself with every store heartbeat.
struct store_stats {
  store_id store;
  /// Bytes of the disk the store lives on, and how many of them are free.
  std::uint64_t capacity = 0;
  std::uint64_t available = 0;
  /// Bytes of user data the store holds (sum of its regions' approximate sizes).
  std::uint64_t used_size = 0;
  std::uint32_t region_count = 0;
  std::uint32_t leader_count = 0;
  /// Snapshots the store is sending and applying right now.
  std::uint32_t sending_snapshots = 0;
  std::uint32_t applying_snapshots = 0;

  bool operator==(const store_stats&) const = default;
};

/// A store as PD knows it. In `put_store` only `id`, `address` and `client_address` are read.
struct store_info {
  /// None in a first registration: PD allocates the id.
  store_id id;
  /// Where the store's node listens, "host:port". Unique among live stores.
  std::string address;
  /// Where the store serves the client KV service (`host:port`); empty if it serves none.
  std::string client_address;
  store_state state = store_state::up;
  /// The last heartbeat's figures; zero before the first.
  store_stats stats;
  /// The PD tick of the last heartbeat (or registration, or PD start).
  tick_no last_heartbeat;
  /// Being decommissioned: nothing is placed on it, its replicas move to other stores, and it
  /// becomes a tombstone once it holds none. Persisted.
  bool decommissioning = false;

  bool operator==(const store_info&) const = default;
};

// -- regions ------------------------------------------------------------------

/// What a region's leader reports, periodically and after every change of its meta.
struct region_heartbeat {
  /// The leader's current meta: range, epoch, peers.
  storage::region_meta region;
  /// The reporting leader's own peer id; must be one of `region.peers`.
  peer_id leader;
  /// Bytes of keys + values in the region, and its number of keys, as the store estimates them.
  std::uint64_t approximate_size = 0;
  std::uint64_t approximate_keys = 0;
  /// Peers not yet caught up (a learner waiting for its snapshot, a lagging follower).
  std::vector<storage::region_peer> pending_peers;
  /// Peers the leader has not heard from within its own liveness window.
  std::vector<storage::region_peer> down_peers;

  bool operator==(const region_heartbeat&) const = default;
};

/// A region as PD knows it: the newest meta any heartbeat reported, and what its leader said.
struct region_info {
  storage::region_meta meta;
  /// The last reported leader; `leader.id` is none before the first heartbeat.
  storage::region_peer leader;
  std::uint64_t approximate_size = 0;
  std::uint64_t approximate_keys = 0;
  std::vector<storage::region_peer> pending_peers;
  std::vector<storage::region_peer> down_peers;

  bool operator==(const region_info&) const = default;
};

/// PD's answer to a store heartbeat.
struct store_heartbeat_response {
  /// PD's view of the store.
  store_info store;
  /// Regions whose leader PD last heard on this store and that have a directive waiting: the
  /// store asks their leaders to report now, since directives ride the answers to region
  /// heartbeats and a quiet region reports seldom.
  std::vector<region_id> directives_waiting;

  bool operator==(const store_heartbeat_response&) const = default;
};

/// What PD wants a region's leader to do next. At most one per heartbeat response; the leader
/// carries it out only if its epoch still equals `epoch` (otherwise PD decides again on the
/// next heartbeat), so a directive computed against an old membership is never applied.
enum class directive_kind : std::uint8_t {
  /// Nothing to do.
  none = 0,
  /// Add `peer` (a new peer id on a store that has no replica yet) as a learner.
  add_learner = 1,
  /// Promote the learner `peer` to voter.
  promote_learner = 2,
  /// Remove `peer` from the group.
  remove_peer = 3,
  /// Transfer leadership to `peer`.
  transfer_leader = 4,
  /// Split the region at `split_key` (or, if empty, at the middle the leader finds by size)
  /// using the ids in `split`.
  split = 5,
};

/// The enumerator's name; a `std::string` so CAF prints it inside messages.
inline std::string to_string(directive_kind k) {
  switch (k) {
    case directive_kind::none:
      return "none";
    case directive_kind::add_learner:
      return "add_learner";
    case directive_kind::promote_learner:
      return "promote_learner";
    case directive_kind::remove_peer:
      return "remove_peer";
    case directive_kind::transfer_leader:
      return "transfer_leader";
    case directive_kind::split:
      return "split";
  }
  return "unknown";
}

struct directive {
  directive_kind kind = directive_kind::none;
  region_id region;
  /// The epoch this directive was computed against.
  storage::region_epoch epoch;
  /// The peer the membership or leadership step is about (unused for none and split).
  storage::region_peer peer;
  /// Split only.
  split_ids split;
  std::string split_key;

  bool operator==(const directive&) const = default;
};

/// PD's answer to an accepted region heartbeat.
struct region_heartbeat_response {
  /// The next step for this region; `kind == none` when there is nothing to do.
  directive next;

  bool operator==(const region_heartbeat_response&) const = default;
};

// -- operators ------------------------------------------------------------------

/// One membership or leadership step of an operator.
struct operator_step {
  /// add_learner, promote_learner, transfer_leader or remove_peer.
  directive_kind kind = directive_kind::none;
  /// The peer added, promoted or removed; for transfer_leader the peer to lead.
  storage::region_peer peer;

  bool operator==(const operator_step&) const = default;
};

/// running: steps left. finished: every step took effect. cancelled / timed_out: stopped by a
/// person or by its deadline (a learner it added is removed by the rollback that follows).
/// failed: a step can no longer happen (the region left PD's table, or its peer vanished).
enum class operator_status : std::uint8_t {
  running = 0,
  finished = 1,
  cancelled = 2,
  timed_out = 3,
  failed = 4
};

inline std::string to_string(operator_status s) {
  switch (s) {
    case operator_status::running:
      return "running";
    case operator_status::finished:
      return "finished";
    case operator_status::cancelled:
      return "cancelled";
    case operator_status::timed_out:
      return "timed_out";
    case operator_status::failed:
      return "failed";
  }
  return "unknown";
}

/// A multi-step change of one region's replicas, carried out one directive at a time, each step
/// confirmed by the region's reported meta before the next is handed out.
struct operator_info {
  /// Unique cluster-wide, never reused (from PD's id allocator): an operator a restarted PD
  /// forgot is not mistaken for a later one of the same region.
  std::uint64_t id = 0;
  region_id region;
  /// What it does: "move-peer", "add-peer", "remove-peer", "transfer-leader", "rollback".
  std::string kind;
  /// Who created it: "admin" or the scheduler's name ("replica-repair", "region-balance",
  /// "decommission").
  std::string origin;
  std::vector<operator_step> steps;
  /// Index of the first step that has not taken effect; `steps.size()` when finished.
  std::uint32_t current = 0;
  operator_status status = operator_status::running;
  /// The PD tick it was created at, and the tick it times out at.
  tick_no created;
  tick_no deadline;
  /// Ticks it has run: until now while running, until it stopped otherwise.
  std::uint64_t age_ticks = 0;
  /// Why it stopped, for a status other than running or finished.
  std::string reason;

  bool operator==(const operator_info&) const = default;
};

/// What a person or a script asks PD to do to a region's replicas (operator_atom).
enum class operator_request_kind : std::uint8_t {
  /// Move the replica on `store` to `target` (add a learner there, promote it, move leadership
  /// off `store` if it leads, remove the old replica).
  move_peer = 0,
  /// Add a replica on `target` (learner, then voter).
  add_peer = 1,
  /// Remove the replica on `store` (leadership first moves off it).
  remove_peer = 2,
  /// Move leadership to the voter on `target`.
  transfer_leader = 3,
};

struct operator_request {
  operator_request_kind kind = operator_request_kind::move_peer;
  region_id region;
  store_id store;
  store_id target;

  bool operator==(const operator_request&) const = default;
};

/// A scheduler's name and whether it runs.
struct scheduler_info {
  std::string name;
  bool enabled = false;

  bool operator==(const scheduler_info&) const = default;
};

}  // namespace rdb::pd
