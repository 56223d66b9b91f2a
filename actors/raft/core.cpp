#include "actors/raft/core.hpp"

#include <algorithm>
#include <limits>

#include "actors/raft/invariant.hpp"
#include "actors/raft/planted_bug.hpp"

namespace rdb::raft {

namespace {

bool is_vote_type(message_type t) {
  return t == message_type::vote || t == message_type::vote_resp || t == message_type::pre_vote ||
         t == message_type::pre_vote_resp;
}

}  // namespace

core::core(const config& cfg, log_storage& storage)
    : id_(cfg.id),
      log_(storage, cfg.max_committed_size_per_ready),
      trk_(cfg.max_inflight_msgs, cfg.max_inflight_bytes),
      max_uncommitted_size_(cfg.max_uncommitted_entries_size == 0
                                ? std::numeric_limits<std::uint64_t>::max()
                                : cfg.max_uncommitted_entries_size),
      max_msg_size_(cfg.max_size_per_msg),
      election_timeout_(cfg.election_tick),
      heartbeat_timeout_(cfg.heartbeat_tick),
      check_quorum_(cfg.check_quorum),
      pre_vote_(cfg.pre_vote),
      skip_bcast_commit_(cfg.skip_bcast_commit),
      disable_proposal_forwarding_(cfg.disable_proposal_forwarding),
      // Mixing in the id gives every node its own timeout sequence even under one shared seed.
      rng_(cfg.seed ^ (cfg.id.value() * 0x9e3779b97f4a7c15ULL)) {
  expects(cfg.validate().has_value(), "invalid raft config");
  auto st = storage.initial_state();
  expects(st.has_value(), "storage initial_state failed");
  trk_.reset_conf(st->conf, log_.last_index() + 1);
  is_learner_ = trk_.is_learner(id_);
  const auto& hs = st->hard;
  if (hs != raft::hard_state{}) {
    expects(hs.commit <= log_.last_index(), "persisted commit index beyond the log");
    log_.commit_to(hs.commit);
    term_ = hs.term;
    vote_ = hs.vote;
  }
  if (cfg.applied > log_.applied()) log_.applied_to(cfg.applied);
  become_follower(term_, node_id{});
  start_lease_ = check_quorum_ && cfg.refuse_votes_after_start;
}

// -- sending ------------------------------------------------------------------

void core::send(message m) {
  if (m.from.is_none()) m.from = id_;
  if (is_vote_type(m.type)) {
    expects(!m.term.is_none(), "vote messages carry an explicit term");
  } else if (m.type != message_type::propose && m.type != message_type::read_index) {
    // Forwarded proposals and reads stay term-less: they are local inputs at the leader.
    m.term = term_;
  }
  switch (m.type) {
    case message_type::vote_resp:
    case message_type::pre_vote_resp:
#ifdef RDB_RAFT_PLANTED_BUGS
      if (planted(planted_bug_kind::vote_before_persist) && m.to != id_) {
        msgs_.push_back(std::move(m));
        return;
      }
#endif
      [[fallthrough]];
    case message_type::append_resp:
      // A grant or an acknowledgement promises durable state (Figure 2: "respond after
      // persisting"), so it leaves only once the ready that holds that state is persisted.
      msgs_after_append_.push_back(std::move(m));
      return;
    default:
      expects(m.to != id_, "message to self outside the persisted path");
      msgs_.push_back(std::move(m));
  }
}

// -- dispatch -----------------------------------------------------------------

std::expected<void, error> core::step(message m) {
  if (m.term.is_none()) {
    // Local input; handled below.
  } else if (m.term > term_) {
    if (m.type == message_type::vote || m.type == message_type::pre_vote) {
      bool force = m.context == campaign_transfer_context;
      // Leader lease (thesis §4.2.3): while we hear from a live leader, a (pre)candidate that
      // merely lost contact with it must not disrupt the cluster.
      bool heard = !lead_.is_none() || start_lease_;
      bool in_lease = check_quorum_ && heard && election_elapsed_ < election_timeout_;
      if (!force && in_lease) return {};
    }
    if (m.type == message_type::pre_vote) {
      // A pre-vote never changes our term (thesis §9.6).
    } else if (m.type == message_type::pre_vote_resp && !m.reject) {
      // Pre-votes are requested for our next term; a grant says nothing about newer terms.
    } else if (m.type == message_type::append || m.type == message_type::heartbeat ||
               m.type == message_type::snapshot) {
      become_follower(m.term, m.from);
    } else {
      become_follower(m.term, node_id{});
    }
  } else if (m.term < term_) {
    if ((check_quorum_ || pre_vote_) &&
        (m.type == message_type::heartbeat || m.type == message_type::append)) {
      // A stale leader that we otherwise ignore would never learn our term; with pre-vote or
      // check quorum, a partitioned node may not have bumped the term of the others, so tell it.
      send(message{.type = message_type::append_resp, .to = m.from});
    } else if (m.type == message_type::pre_vote) {
      send(message{
          .type = message_type::pre_vote_resp, .to = m.from, .term = term_, .reject = true});
    }
    return {};
  }

  switch (m.type) {
    case message_type::hup:
      hup(pre_vote_ ? campaign_kind::pre_election : campaign_kind::election);
      return {};
    case message_type::vote:
    case message_type::pre_vote:
      handle_vote_request(m);
      return {};
    default:
      return step_by_role(m);
  }
}

std::expected<void, error> core::step_by_role(message& m) {
  switch (role_) {
    case raft::role::leader:
      return step_leader(m);
    case raft::role::candidate:
    case raft::role::pre_candidate:
      return step_candidate(m);
    case raft::role::follower:
      return step_follower(m);
  }
  return {};
}

void core::handle_vote_request(const message& m) {
  auto resp_type =
      m.type == message_type::vote ? message_type::vote_resp : message_type::pre_vote_resp;
  // One vote per term (§5.2): we may repeat a vote, or vote if we have neither voted nor follow
  // a leader in this term. A pre-vote for a future term is always possible.
  bool can_vote = vote_ == m.from || (vote_.is_none() && lead_.is_none()) ||
                  (m.type == message_type::pre_vote && m.term > term_);
  bool up_to_date = log_.is_up_to_date(m.index, m.log_term);
#ifdef RDB_RAFT_PLANTED_BUGS
  if (planted(planted_bug_kind::vote_ignores_log)) up_to_date = true;
#endif
  if (can_vote && up_to_date) {
    // The grant carries the request's term: for a pre-vote our own term did not move.
    send(message{.type = resp_type, .to = m.from, .term = m.term});
    if (m.type == message_type::vote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    send(message{.type = resp_type, .to = m.from, .term = term_, .reject = true});
  }
}

bool core::promotable() const {
  auto* pr = trk_.find(id_);
  return pr != nullptr && !pr->is_learner && !log_.has_pending_snapshot();
}

// -- membership ---------------------------------------------------------------

raft::conf_state core::apply_conf_change(const conf_change& cc) {
  // A new member is probed from the last entry rather than past it, so the probe leaves at
  // once instead of waiting for the next heartbeat.
  auto next = std::max(log_.last_index(), log_index{1});
  switch (cc.type) {
    case conf_change_type::add_voter:
      trk_.add_voter(cc.node_id, next);
      break;
    case conf_change_type::add_learner:
      trk_.add_learner(cc.node_id, next);
      break;
    case conf_change_type::remove_node:
      trk_.remove(cc.node_id);
      break;
  }
  switch_to_config();
  return trk_.conf();
}

void core::switch_to_config() {
  is_learner_ = trk_.is_learner(id_);
  bool member = trk_.find(id_) != nullptr;
  if (role_ != raft::role::leader) return;
  if (!member || is_learner_) {
    // A leader that is no longer a voter cannot keep counting itself toward quorums
    // (thesis §4.2.2): it steps down once the change that removed it is applied.
    become_follower(term_, node_id{});
    return;
  }
  if (trk_.voters().empty()) return;
  // A smaller quorum may already cover more entries.
  if (maybe_commit()) {
    bcast_append();
  } else {
    for (auto& [id, pr] : trk_.all())
      if (id != id_) maybe_send_append(id, false);
  }
  if (!lead_transferee_.is_none() && !trk_.is_voter(lead_transferee_)) abort_leader_transfer();
}

// -- observers ----------------------------------------------------------------

void core::reduce_uncommitted_size(std::uint64_t bytes) {
  uncommitted_size_ = bytes > uncommitted_size_ ? 0 : uncommitted_size_ - bytes;
}

raft::status core::status() const {
  raft::status s;
  s.id = id_;
  s.term = term_;
  s.vote = vote_;
  s.commit = log_.committed();
  s.applied = log_.applied();
  s.role = role_;
  s.leader = lead_;
  s.lead_transferee = lead_transferee_;
  s.conf = trk_.conf();
  if (role_ == raft::role::leader) {
    for (const auto& [id, pr] : trk_.all()) {
      s.progress.push_back(progress_status{
          .id = id,
          .match = pr.match,
          .next = pr.next,
          .state = pr.state,
          .pending_snapshot = pr.pending_snapshot,
          .recent_active = pr.recent_active,
          .paused = pr.is_paused(),
          .is_learner = pr.is_learner,
          .inflight = pr.inflights.count(),
      });
    }
  }
  return s;
}

}  // namespace rdb::raft
