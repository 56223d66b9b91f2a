#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "actors/raft/progress.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// Outcome of counting votes.
enum class vote_result : std::uint8_t { pending, won, lost };

/// Membership and the per-peer bookkeeping built on it: progress of every member (used by the
/// leader), votes (used by candidates), quorum arithmetic. Only voters count toward a quorum;
/// learners receive the log but never count (they have progress, never a vote).
class tracker {
 public:
  tracker(std::size_t max_inflight, std::uint64_t max_inflight_bytes);

  /// Replaces the membership; every member gets fresh progress with next = `next`.
  void reset_conf(const conf_state& cs, log_index next);

  conf_state conf() const;
  const std::vector<node_id>& voters() const { return voters_; }
  const std::vector<node_id>& learners() const { return learners_; }
  bool is_voter(node_id id) const;
  bool is_learner(node_id id) const;
  bool is_singleton() const { return voters_.size() == 1 && learners_.empty(); }
  std::size_t quorum() const { return voters_.size() / 2 + 1; }

  // -- membership changes (single-server changes, §4.1 of the Raft thesis) --

  /// Adds a voter, or promotes a learner. `next` is where replication to a new member starts.
  void add_voter(node_id id, log_index next);
  /// Adds a learner; ignored for an existing member.
  void add_learner(node_id id, log_index next);
  void remove(node_id id);

  // -- progress --

  progress* find(node_id id);
  const progress* find(node_id id) const;
  std::map<node_id, progress>& all() { return progress_; }
  const std::map<node_id, progress>& all() const { return progress_; }

  /// Fresh progress for every member after a term change: nothing is known to match except our
  /// own log (`self` matches up to `last`).
  void reset_progress(node_id self, log_index last);

  /// The largest index replicated on a quorum of voters (by match index).
  log_index committed() const;

  /// True if a quorum of voters was recently active (check quorum, §6.2 of the thesis).
  bool quorum_active() const;

  // -- votes --

  void reset_votes() { votes_.clear(); }
  void record_vote(node_id id, bool granted);
  vote_result tally_votes(std::size_t* granted = nullptr, std::size_t* rejected = nullptr) const;

  /// Counts `acks` (ids that confirmed) against the voters.
  bool has_quorum(const std::vector<node_id>& acks) const;

 private:
  progress make_progress(log_index next, bool learner) const;

  std::size_t max_inflight_;
  std::uint64_t max_inflight_bytes_;
  /// Sorted.
  std::vector<node_id> voters_;
  /// Sorted.
  std::vector<node_id> learners_;
  std::map<node_id, progress> progress_;
  std::map<node_id, bool> votes_;
};

}  // namespace rdb::raft
