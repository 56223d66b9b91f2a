#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/config.hpp"
#include "actors/raft/errors.hpp"
#include "actors/raft/log_storage.hpp"
#include "actors/raft/message.hpp"
#include "actors/raft/raft_log.hpp"
#include "actors/raft/read_only.hpp"
#include "actors/raft/ready.hpp"
#include "actors/raft/rng.hpp"
#include "actors/raft/status.hpp"
#include "actors/raft/tracker.hpp"

namespace rdb::raft {

/// Vote requests sent on behalf of a leader transfer carry this context: they bypass leases.
inline constexpr std::string_view campaign_transfer_context = "transfer";

/// The Raft protocol of one node: a pure state machine driven by `step` and `tick`, producing
/// messages and log changes that `raw_node` packs into readys. The implementation is split by
/// concern: core.cpp (dispatch, terms, membership), core_election.cpp (timers, roles,
/// elections), core_leader.cpp (replication, commit, reads, transfer), core_follower.cpp
/// (appends, heartbeats, snapshots).
class core {
 public:
  core(const config& cfg, log_storage& storage);

  // -- inputs --

  /// Handles any message, local or remote (etcd's Step).
  std::expected<void, error> step(message m);
  void tick();
  raft::conf_state apply_conf_change(const conf_change& cc);

  // -- outputs, drained by raw_node --

  /// Messages that may be sent immediately.
  std::vector<message>& msgs() { return msgs_; }
  /// Messages that may be sent (or, to self, delivered) only once the log and hard state
  /// written so far are durable.
  std::vector<message>& msgs_after_append() { return msgs_after_append_; }
  std::vector<read_state>& read_states() { return read_states_; }
  /// Committed entries handed to the application leave the uncommitted-size budget.
  void reduce_uncommitted_size(std::uint64_t bytes);

  // -- observers --

  raft_log& log() { return log_; }
  const raft_log& log() const { return log_; }
  node_id id() const { return id_; }
  term_id term() const { return term_; }
  node_id leader() const { return lead_; }
  raft::role role() const { return role_; }
  raft::soft_state soft_state() const { return {lead_, role_}; }
  raft::hard_state hard_state() const { return {term_, vote_, log_.committed()}; }
  raft::status status() const;
  const tracker& trk() const { return trk_; }
  /// See `raw_node::lease_read_possible`.
  bool lease_read_possible() const;

 private:
  enum class campaign_kind : std::uint8_t { pre_election, election, transfer };

  // -- core.cpp: sending and dispatch --

  void send(message m);
  std::expected<void, error> step_by_role(message& m);
  void handle_vote_request(const message& m);
  bool promotable() const;
  void switch_to_config();

  // -- core_election.cpp --

  void tick_election();
  void tick_heartbeat();
  bool past_election_timeout() const;
  void reset_randomized_election_timeout();
  void reset(term_id t);
  void become_follower(term_id t, node_id lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void hup(campaign_kind kind);
  void campaign(campaign_kind kind);
  vote_result poll(node_id from, bool granted);
  bool has_unapplied_conf_changes() const;
  std::expected<void, error> step_candidate(message& m);

  // -- core_leader.cpp --

  std::expected<void, error> step_leader(message& m);
  std::expected<void, error> handle_proposal(message& m);
  void handle_append_response(const message& m, progress& pr);
  void handle_heartbeat_response(const message& m, progress& pr);
  void handle_transfer_leader(const message& m, progress& pr);
  bool append_entry(std::vector<entry>& ents);
  bool maybe_send_append(node_id to, bool send_if_empty);
  void send_append(node_id to) { maybe_send_append(to, true); }
  bool maybe_send_snapshot(node_id to, progress& pr);
  void bcast_append();
  void bcast_heartbeat();
  void bcast_heartbeat_with_ctx(const std::string* ctx);
  void send_heartbeat(node_id to, const std::string* ctx);
  void send_timeout_now(node_id to);
  void abort_leader_transfer() { lead_transferee_ = node_id{}; }
  bool maybe_commit();
  /// Whether a new commit index is sent to followers at once (see config::skip_bcast_commit).
  bool announces_commit() const;
  bool committed_entry_in_current_term() const;
  void handle_read_index(message& m);
  void send_read_index_response(message m);
  void release_pending_read_index_messages();
  void respond_to_read_index(message& req, log_index index);
  bool increase_uncommitted_size(const std::vector<entry>& ents);

  // -- core_follower.cpp --

  std::expected<void, error> step_follower(message& m);
  void handle_append_entries(message& m);
  void handle_heartbeat(const message& m);
  void handle_snapshot(message& m);
  bool restore(const snapshot& s);

  // -- state --

  node_id id_;
  /// Persistent (Figure 2): latest term seen, vote in that term.
  term_id term_;
  node_id vote_;
  raft_log log_;
  tracker trk_;
  raft::role role_ = raft::role::follower;
  bool is_learner_ = false;
  node_id lead_;
  /// Set while leadership is being handed over; proposals are refused meanwhile.
  node_id lead_transferee_;
  /// Index of the latest conf change proposed by this leader; another one is accepted only
  /// once this one is applied (one change at a time).
  log_index pending_conf_index_;
  std::uint64_t uncommitted_size_ = 0;
  std::uint64_t max_uncommitted_size_;
  std::uint64_t max_msg_size_;
  read_only read_only_;
  /// Reads that arrived before this leader committed an entry of its term.
  std::vector<message> pending_read_index_messages_;
  std::vector<read_state> read_states_;
  std::vector<message> msgs_;
  std::vector<message> msgs_after_append_;

  int election_elapsed_ = 0;
  /// Votes are refused as if a leader had been heard at start (config::refuse_votes_after_start)
  /// until the first election timeout has passed.
  bool start_lease_ = false;
  int heartbeat_elapsed_ = 0;
  int election_timeout_;
  int heartbeat_timeout_;
  int randomized_election_timeout_ = 0;
  bool check_quorum_;
  bool pre_vote_;
  bool skip_bcast_commit_;
  bool disable_proposal_forwarding_;
  rng rng_;
};

}  // namespace rdb::raft
