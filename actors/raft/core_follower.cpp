#include <algorithm>

#include "actors/raft/core.hpp"

// Followers: forwarding, AppendEntries (§5.3), heartbeats, InstallSnapshot (§7).

namespace rdb::raft {

std::expected<void, error> core::step_follower(message& m) {
  switch (m.type) {
    case message_type::propose:
      if (lead_.is_none() || disable_proposal_forwarding_)
        return std::unexpected{errc::proposal_dropped};
      m.to = lead_;
      send(std::move(m));
      return {};
    case message_type::append:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_append_entries(m);
      return {};
    case message_type::heartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_heartbeat(m);
      return {};
    case message_type::snapshot:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_snapshot(m);
      return {};
    case message_type::transfer_leader:
      if (lead_.is_none()) return std::unexpected{errc::proposal_dropped};
      m.to = lead_;
      send(std::move(m));
      return {};
    case message_type::timeout_now:
      // The leader chose us: campaign at once, skipping pre-vote, and let the vote requests
      // override the leases of the other followers.
      hup(campaign_kind::transfer);
      return {};
    case message_type::read_index:
      if (lead_.is_none()) return std::unexpected{errc::proposal_dropped};
      m.to = lead_;
      send(std::move(m));
      return {};
    case message_type::read_index_resp:
      if (m.entries.size() != 1) return {};
      read_states_.push_back(read_state{m.index, std::move(m.entries.front().data)});
      return {};
    default:
      return {};
  }
}

void core::handle_append_entries(message& m) {
  if (m.index < log_.committed()) {
    // Everything up to our commit index matches any leader's log (§5.4): just report it.
    send(message{.type = message_type::append_resp, .to = m.from, .index = log_.committed()});
    return;
  }
  if (auto last = log_.maybe_append(m.index, m.log_term, m.commit, std::move(m.entries))) {
    send(message{.type = message_type::append_resp, .to = m.from, .index = *last});
    return;
  }
  // Reject, with a hint for fast back-off: the last index at or below the probe whose term is
  // at most the leader's term there. The leader can then skip a whole conflicting term per
  // round trip instead of one entry.
  auto hint_index = std::min(m.index, log_.last_index());
  auto [hint, hint_term] = log_.find_conflict_by_term(hint_index, m.log_term);
  send(message{.type = message_type::append_resp,
               .to = m.from,
               .log_term = hint_term,
               .index = m.index,
               .reject = true,
               .reject_hint = hint});
}

void core::handle_heartbeat(const message& m) {
  log_.commit_to(m.commit);
  send(message{.type = message_type::heartbeat_resp, .to = m.from, .context = m.context});
}

void core::handle_snapshot(message& m) {
  if (restore(m.snapshot)) {
    send(message{.type = message_type::append_resp, .to = m.from, .index = log_.last_index()});
  } else {
    send(message{.type = message_type::append_resp, .to = m.from, .index = log_.committed()});
  }
}

bool core::restore(const snapshot& s) {
  // An old snapshot would roll back committed state.
  if (s.meta.index <= log_.committed()) return false;
  if (role_ != raft::role::follower) {
    // Only a leader of our term sends snapshots, and then we are its follower.
    become_follower(term_ + 1, node_id{});
    return false;
  }
  const auto& cs = s.meta.conf;
  bool member = std::find(cs.voters.begin(), cs.voters.end(), id_) != cs.voters.end() ||
                std::find(cs.learners.begin(), cs.learners.end(), id_) != cs.learners.end();
  if (!member) return false;
  // If our log already holds the snapshot's last entry, log matching says everything up to it
  // agrees: just move the commit index.
  if (log_.match_term(s.meta.index, s.meta.term)) {
    log_.commit_to(s.meta.index);
    return false;
  }
  log_.restore(s);
  trk_.reset_conf(cs, log_.last_index() + 1);
  is_learner_ = trk_.is_learner(id_);
  return true;
}

}  // namespace rdb::raft
