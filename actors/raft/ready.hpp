#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/message.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// Roles a node moves between (§5.2, plus the pre-candidate of Raft thesis §9.6).
/// Numbers match etcd's StateType.
enum class role : std::uint8_t { follower = 0, candidate = 1, leader = 2, pre_candidate = 3 };

std::string_view to_string(raft::role r);

/// Volatile state worth telling the application about; never persisted.
struct soft_state {
  node_id leader{};
  raft::role role = raft::role::follower;

  bool operator==(const soft_state&) const = default;
};

/// A linearizable read request that may be served once the state machine has applied `index`.
struct read_state {
  log_index index{};
  std::string context{};

  bool operator==(const read_state&) const = default;
};

/// Everything the application must do after feeding inputs to a `raw_node`, in this order:
///   1. persist `snapshot` (if not empty), `entries` and `hard_state` (if set), synchronously
///      when `must_sync`;
///   2. send `messages` (allowed before step 1 finishes) and, only after step 1, send
///      `persisted_messages`;
///   3. apply `snapshot`, then `committed_entries`, calling `raw_node::apply_conf_change` for
///      entries of type `conf_change`;
///   4. call `raw_node::advance(rd)`.
/// At most one ready is outstanding: `has_ready()` stays false until it is advanced.
struct ready {
  /// Increases by one per ready; lets a batching writer acknowledge readys by number.
  std::uint64_t number = 0;

  /// Set when leader or role changed since the previous ready.
  std::optional<raft::soft_state> soft_state{};

  /// Set when term, vote or commit changed since the previous ready.
  std::optional<raft::hard_state> hard_state{};

  /// Reads that became servable; serve each once `read_state::index` is applied.
  std::vector<read_state> read_states{};

  /// Entries to append to stable storage (replacing any conflicting suffix).
  std::vector<entry> entries{};

  /// A snapshot to persist and apply; empty if none.
  raft::snapshot snapshot{};

  /// Committed entries to apply to the state machine, in order.
  std::vector<entry> committed_entries{};

  /// Messages that may be sent right away, before this ready is persisted (e.g. a leader's
  /// appends: Raft thesis §10.2.1 lets the leader write its log in parallel with replication).
  std::vector<message> messages{};

  /// Messages that may be sent only after this ready's entries and hard state are durable:
  /// vote grants and append acknowledgements promise durability (§5.1, Figure 2).
  std::vector<message> persisted_messages{};

  /// The hard state or entries must be fsynced before step 2 continues.
  bool must_sync = false;

  /// True if the ready holds nothing at all.
  bool empty() const;
};

}  // namespace rdb::raft
