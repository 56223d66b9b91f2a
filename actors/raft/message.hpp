#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/types.hpp"

namespace rdb::raft {

/// Every input of the raft state machine is a message, local triggers included. The numbers are
/// pinned (they match etcd's raftpb.MessageType) so messages can be serialised.
enum class message_type : std::uint8_t {
  /// Local: start an election (pre-vote first if enabled).
  hup = 0,
  /// Local: the leader sends heartbeats.
  beat = 1,
  /// Local or forwarded by a follower: append `entries` as new proposals.
  propose = 2,
  /// Leader -> follower: `entries` follow (index, log_term); `commit` is the leader's commit.
  append = 3,
  /// Follower -> leader: `index` is the last matching index, or with `reject` the rejected
  /// index plus a hint (`reject_hint`, `log_term`) for fast back-off.
  append_resp = 4,
  /// Candidate -> voter: vote for me; (index, log_term) is my last entry (§5.4.1).
  vote = 5,
  vote_resp = 6,
  /// Leader -> follower: install `snapshot`.
  snapshot = 7,
  /// Leader -> follower: I am alive; `commit` is capped at what the follower has matched.
  heartbeat = 8,
  heartbeat_resp = 9,
  /// Local: the transport could not reach `from`.
  unreachable = 10,
  /// Local: a snapshot sent to `from` succeeded or (with `reject`) failed.
  snapshot_status = 11,
  /// Local: the leader checks that a quorum was recently active.
  check_quorum = 12,
  /// Local or forwarded: transfer leadership to `from` (the transferee).
  transfer_leader = 13,
  /// Leader -> transferee: campaign now, ignoring the election timeout and leases.
  timeout_now = 14,
  /// Local or forwarded: a linearizable read; `entries[0].data` carries the request context.
  read_index = 15,
  /// Leader -> forwarding follower: the read may be served once `index` is applied.
  read_index_resp = 16,
  /// Pre-candidate -> voter: would you vote for me at `term`? (Raft thesis §9.6)
  pre_vote = 17,
  pre_vote_resp = 18,
};

/// Name of a message type, for logs and test output.
std::string_view to_string(message_type t);

/// One raft message: a plain value that can be copied, compared, serialised and sent.
/// Fields that a type does not use stay zero or empty.
struct message {
  message_type type = message_type::hup;
  node_id to{};
  node_id from{};
  term_id term{};
  /// Term of the entry at `index` (append, vote), or the follower's hint term (append_resp).
  term_id log_term{};
  log_index index{};
  std::vector<entry> entries{};
  log_index commit{};
  raft::snapshot snapshot{};
  bool reject = false;
  log_index reject_hint{};
  /// Opaque bytes: read-index request context on heartbeats, the campaign kind on votes.
  std::string context{};

  bool operator==(const message&) const = default;
};

/// True for message types that only ever originate on the local node.
bool is_local_message(message_type t);

/// True for responses (append_resp, vote_resp, heartbeat_resp, ...).
bool is_response_message(message_type t);

/// A compact one-line rendering, e.g. `1->2 append t3 lt2 i5 c4 [t3/6 t3/7]`.
std::string to_string(const message& m);

/// Renders an entry as `t<term>/<index>` plus a short data summary.
std::string to_string(const entry& e);

}  // namespace rdb::raft
