#include <limits>

#include "actors/raft/core.hpp"
#include "actors/raft/invariant.hpp"

// Timers, role transitions and elections (§5.2, thesis §9.6 for pre-vote).

namespace rdb::raft {

// -- timers -------------------------------------------------------------------

void core::tick() {
  if (role_ == raft::role::leader)
    tick_heartbeat();
  else
    tick_election();
}

void core::tick_election() {
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) start_lease_ = false;
  if (promotable() && past_election_timeout()) {
    election_elapsed_ = 0;
    (void)step(message{.type = message_type::hup, .from = id_});
  }
}

void core::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) (void)step(message{.type = message_type::check_quorum, .from = id_});
    // A transfer that did not finish within an election timeout is abandoned, so proposals
    // are accepted again (thesis §3.10).
    if (role_ == raft::role::leader && !lead_transferee_.is_none()) abort_leader_transfer();
  }
  if (role_ != raft::role::leader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    (void)step(message{.type = message_type::beat, .from = id_});
  }
}

bool core::past_election_timeout() const {
  return election_elapsed_ >= randomized_election_timeout_;
}

void core::reset_randomized_election_timeout() {
  // Randomized in [election, 2 * election) so split votes resolve quickly (§5.2).
  randomized_election_timeout_ =
      election_timeout_ +
      static_cast<int>(rng_.below(static_cast<std::uint64_t>(election_timeout_)));
}

// -- roles --------------------------------------------------------------------

void core::reset(term_id t) {
  if (term_ != t) {
    term_ = t;
    vote_ = node_id{};
  }
  lead_ = node_id{};
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  trk_.reset_votes();
  trk_.reset_progress(id_, log_.last_index());
  pending_conf_index_ = log_index{};
  uncommitted_size_ = 0;
  read_only_.clear();
  pending_read_index_messages_.clear();
}

void core::become_follower(term_id t, node_id lead) {
  reset(t);
  lead_ = lead;
  role_ = raft::role::follower;
}

void core::become_pre_candidate() {
  expects(role_ != raft::role::leader, "leader cannot become pre-candidate");
  // Campaigning itself, it stopped waiting for the leader it may have known before its start.
  start_lease_ = false;
  // Neither the term nor the vote changes: a pre-election is only a poll.
  trk_.reset_votes();
  lead_ = node_id{};
  role_ = raft::role::pre_candidate;
}

void core::become_candidate() {
  expects(role_ != raft::role::leader, "leader cannot become candidate");
  start_lease_ = false;
  reset(term_ + 1);
  vote_ = id_;
  role_ = raft::role::candidate;
}

void core::become_leader() {
  expects(role_ != raft::role::follower, "follower cannot become leader directly");
  reset(term_);
  lead_ = id_;
  role_ = raft::role::leader;
  auto* self = trk_.find(id_);
  self->become_replicate();
  self->recent_active = true;
  // An empty entry of the new term lets the leader commit everything before it (§5.4.2: only
  // entries of the current term commit by counting) and find out what is committed (§8).
  std::vector<entry> empty(1);
  expects(append_entry(empty), "appending the leader's empty entry failed");
  // No membership change until that entry is applied: a change proposed earlier could race
  // with a change of the previous leader that this one has not seen committed.
  pending_conf_index_ = log_.last_index();
}

// -- elections ----------------------------------------------------------------

bool core::has_unapplied_conf_changes() const {
  if (log_.applied() >= log_.committed()) return false;
  auto ents = log_.slice(log_.applied() + 1, log_.committed() + 1,
                         std::numeric_limits<std::uint64_t>::max());
  if (!ents) return false;
  for (const auto& e : *ents)
    if (e.type == entry_type::conf_change) return true;
  return false;
}

void core::hup(campaign_kind kind) {
  if (role_ == raft::role::leader) return;
  // Learners and removed nodes never campaign; neither does a node that is still installing a
  // snapshot or has a committed membership change not yet applied (it might not be a voter).
  if (!promotable() || has_unapplied_conf_changes()) return;
  campaign(kind);
}

void core::campaign(campaign_kind kind) {
  message_type vote_type;
  term_id t;
  if (kind == campaign_kind::pre_election) {
    become_pre_candidate();
    vote_type = message_type::pre_vote;
    // Pre-votes ask about the term we would campaign in, without moving to it.
    t = term_ + 1;
  } else {
    become_candidate();
    vote_type = message_type::vote;
    t = term_;
  }
  auto resp_type =
      vote_type == message_type::vote ? message_type::vote_resp : message_type::pre_vote_resp;
  auto last_index = log_.last_index();
  auto last_term = log_.last_term();
  for (auto id : trk_.voters()) {
    if (id == id_) {
      // Our own vote counts once it is durable: it arrives through the persisted path.
      send(message{.type = resp_type, .to = id_, .term = t});
      continue;
    }
    message m{.type = vote_type, .to = id, .term = t, .log_term = last_term, .index = last_index};
    if (kind == campaign_kind::transfer) m.context = campaign_transfer_context;
    send(std::move(m));
  }
}

vote_result core::poll(node_id from, bool granted) {
  trk_.record_vote(from, granted);
  return trk_.tally_votes();
}

std::expected<void, error> core::step_candidate(message& m) {
  auto my_resp =
      role_ == raft::role::pre_candidate ? message_type::pre_vote_resp : message_type::vote_resp;
  switch (m.type) {
    case message_type::propose:
    case message_type::read_index:
      return std::unexpected{errc::proposal_dropped};
    case message_type::append:
      // A leader exists in this term (§5.2): it must have won, so we lose.
      become_follower(m.term, m.from);
      handle_append_entries(m);
      return {};
    case message_type::heartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      return {};
    case message_type::snapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      return {};
    default:
      break;
  }
  if (m.type != my_resp) return {};
  switch (poll(m.from, !m.reject)) {
    case vote_result::won:
      if (role_ == raft::role::pre_candidate) {
        campaign(campaign_kind::election);
      } else {
        become_leader();
        bcast_append();
      }
      break;
    case vote_result::lost:
      // A lost pre-vote leaves the term alone; a lost vote keeps the term it moved to.
      become_follower(term_, node_id{});
      break;
    case vote_result::pending:
      break;
  }
  return {};
}

}  // namespace rdb::raft
