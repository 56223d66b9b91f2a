#include <algorithm>

#include "actors/raft/core.hpp"
#include "actors/raft/invariant.hpp"
#include "actors/raft/planted_bug.hpp"

// The leader: proposals, replication with per-follower flow control (§5.3), commitment
// (§5.4.2), ReadIndex (thesis §6.4), leadership transfer (thesis §3.10).

namespace rdb::raft {

std::expected<void, error> core::step_leader(message& m) {
  switch (m.type) {
    case message_type::beat:
      bcast_heartbeat();
      return {};
    case message_type::check_quorum:
      // Thesis §6.2: a leader that cannot reach a quorum within an election timeout steps
      // down, so clients stop waiting on it and its lease stops blocking elections.
      if (!trk_.quorum_active()) {
        become_follower(term_, node_id{});
        return {};
      }
      for (auto& [id, pr] : trk_.all())
        if (id != id_) pr.recent_active = false;
      return {};
    case message_type::propose:
      return handle_proposal(m);
    case message_type::read_index:
      handle_read_index(m);
      return {};
    default:
      break;
  }
  auto* pr = trk_.find(m.from);
  if (pr == nullptr) return {};
  switch (m.type) {
    case message_type::append_resp:
      handle_append_response(m, *pr);
      break;
    case message_type::heartbeat_resp:
      handle_heartbeat_response(m, *pr);
      break;
    case message_type::snapshot_status:
      if (pr->state != progress_state::snapshot) break;
      if (m.reject) pr->pending_snapshot = log_index{};
      // Success or not, probe from the snapshot on; wait for a heartbeat response first so a
      // failed snapshot is not retried in a tight loop.
      pr->become_probe();
      pr->msg_app_flow_paused = true;
      break;
    case message_type::unreachable:
      // Optimistic pipelining would keep sending into the void.
      if (pr->state == progress_state::replicate) pr->become_probe();
      break;
    case message_type::transfer_leader:
      handle_transfer_leader(m, *pr);
      break;
    default:
      break;
  }
  return {};
}

std::expected<void, error> core::handle_proposal(message& m) {
  // Forwarded proposals come off the wire: refuse malformed ones instead of trusting them.
  if (m.entries.empty()) return std::unexpected{errc::proposal_dropped};
  // A leader that removed itself stays leader until it applies the removal; it takes nothing
  // new meanwhile.
  if (trk_.find(id_) == nullptr) return std::unexpected{errc::proposal_dropped};
  // Thesis §3.10: new entries would only lengthen the transfer.
  if (!lead_transferee_.is_none()) return std::unexpected{errc::proposal_dropped};
  std::size_t conf_changes = 0;
  std::size_t conf_pos = 0;
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    if (m.entries[i].type == entry_type::conf_change) {
      ++conf_changes;
      conf_pos = i;
    }
  }
  if (conf_changes > 0) {
    // One change at a time (thesis §4.1), and only once an entry of this term is committed
    // (the fix to single-server changes: an uncommitted change of an earlier leader may be
    // lost, and a new change would then be computed from the wrong configuration).
    bool refused = conf_changes > 1 || pending_conf_index_ > log_.applied() ||
                   !committed_entry_in_current_term();
    if (refused) return std::unexpected{errc::proposal_dropped};
    pending_conf_index_ = log_.last_index() + (conf_pos + 1);
  }
  if (!append_entry(m.entries)) return std::unexpected{errc::proposal_dropped};
  bcast_append();
  return {};
}

bool core::increase_uncommitted_size(const std::vector<entry>& ents) {
  std::uint64_t s = 0;
  for (const auto& e : ents)
    s += e.data.size();
  // An empty tail always takes one proposal, however large, so progress is possible.
  if (uncommitted_size_ > 0 && s > 0 && uncommitted_size_ + s > max_uncommitted_size_) return false;
  uncommitted_size_ += s;
  return true;
}

bool core::append_entry(std::vector<entry>& ents) {
  auto li = log_.last_index();
  for (std::size_t i = 0; i < ents.size(); ++i) {
    ents[i].term = term_;
    ents[i].index = li + (i + 1);
  }
  if (!increase_uncommitted_size(ents)) return false;
  li = log_.append(std::move(ents));
  // The leader counts its own copy only once it is durable, like any follower's.
  send(message{.type = message_type::append_resp, .to = id_, .index = li});
  return true;
}

// -- replication --------------------------------------------------------------

bool core::maybe_send_append(node_id to, bool send_if_empty) {
  auto* pr = trk_.find(to);
  if (pr == nullptr || pr->is_paused()) return false;
  auto prev = pr->next - 1;
  auto prev_term = log_.term(prev);
  std::expected<std::vector<entry>, error> ents{std::vector<entry>{}};
  if (pr->state != progress_state::replicate || !pr->inflights.full())
    ents = log_.entries(pr->next, max_msg_size_);
  if (prev_term && ents && ents->empty() && !send_if_empty) return false;
  // The follower needs entries we compacted away: only a snapshot can catch it up (§7).
  if (!prev_term || !ents) return maybe_send_snapshot(to, *pr);
  std::uint64_t bytes = 0;
  for (const auto& e : *ents)
    bytes += entry_size(e);
  auto n = ents->size();
  send(message{.type = message_type::append,
               .to = to,
               .log_term = *prev_term,
               .index = prev,
               .entries = std::move(*ents),
               .commit = log_.committed()});
  pr->update_on_entries_send(n, bytes, prev + 1);
  pr->sent_commit = std::max(pr->sent_commit, log_.committed());
  return true;
}

bool core::maybe_send_snapshot(node_id to, progress& pr) {
  // A snapshot is expensive; do not send one to a node that seems to be down.
  if (!pr.recent_active) return false;
  auto snap = log_.snapshot();
  if (!snap) {
    if (snap.error() == errc::snapshot_temporarily_unavailable) return false;
    invariant_failed("storage snapshot failed");
  }
  expects(!snap->is_empty(), "need a non-empty snapshot");
  pr.become_snapshot(snap->meta.index);
  send(message{.type = message_type::snapshot, .to = to, .snapshot = std::move(*snap)});
  return true;
}

void core::bcast_append() {
  for (auto& [id, pr] : trk_.all())
    if (id != id_) send_append(id);
}

void core::bcast_heartbeat() {
  const auto* ctx = read_only_.last_pending_context();
  if (ctx == nullptr) {
    bcast_heartbeat_with_ctx(nullptr);
    return;
  }
  auto copy = *ctx;
  bcast_heartbeat_with_ctx(&copy);
}

void core::bcast_heartbeat_with_ctx(const std::string* ctx) {
  for (auto& [id, pr] : trk_.all())
    if (id != id_) send_heartbeat(id, ctx);
}

void core::send_heartbeat(node_id to, const std::string* ctx) {
  // A follower may not have the leader's committed entries yet; commit only what it matched,
  // or it would commit an index its log does not hold.
  auto commit = std::min(trk_.find(to)->match, log_.committed());
  message m{.type = message_type::heartbeat, .to = to, .commit = commit};
  if (ctx != nullptr) m.context = *ctx;
  send(std::move(m));
}

void core::send_timeout_now(node_id to) {
  send(message{.type = message_type::timeout_now, .to = to});
}

void core::handle_append_response(const message& m, progress& pr) {
  pr.recent_active = true;
  if (m.reject) {
    // Fast back-off: the follower says where its log may match ours (reject_hint) and the term
    // there; skip every entry of a term the follower does not have.
    auto next_probe = m.reject_hint;
    if (!m.log_term.is_none())
      next_probe = log_.find_conflict_by_term(m.reject_hint, m.log_term).first;
    if (pr.maybe_decr_to(m.index, next_probe)) {
      if (pr.state == progress_state::replicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  if (!pr.maybe_update(m.index) && !(pr.match == m.index && pr.state == progress_state::probe))
    return;
  switch (pr.state) {
    case progress_state::probe:
      pr.become_replicate();
      break;
    case progress_state::snapshot:
      if (pr.match + 1 >= log_.first_index()) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case progress_state::replicate:
      pr.inflights.free_le(m.index);
      break;
  }
  if (maybe_commit()) {
    release_pending_read_index_messages();
    if (announces_commit()) bcast_append();
  } else if (m.from != id_ && announces_commit() && pr.can_bump_commit(log_.committed())) {
    // The commit index moved while this follower was paused; tell it now rather than at the
    // next heartbeat.
    send_append(m.from);
  }
  if (m.from != id_) {
    // The window may have opened for several messages at once.
    while (maybe_send_append(m.from, false)) {
    }
    if (m.from == lead_transferee_ && pr.match == log_.last_index()) send_timeout_now(m.from);
  }
}

void core::handle_heartbeat_response(const message& m, progress& pr) {
  pr.recent_active = true;
  pr.msg_app_flow_paused = false;
  if (pr.match < log_.last_index() || pr.state == progress_state::probe) send_append(m.from);
  if (m.context.empty()) return;
  const auto* acks = read_only_.recv_ack(m.from, m.context);
  if (acks == nullptr || !trk_.has_quorum(*acks)) return;
  // A quorum still follows us: we were leader when these reads arrived, so their recorded
  // commit index is at least as new as any write acknowledged before them.
  for (auto& p : read_only_.advance(m.context))
    respond_to_read_index(p.req, p.index);
}

// -- commitment ---------------------------------------------------------------

bool core::maybe_commit() {
  return log_.maybe_commit(trk_.committed(), term_);
}

bool core::announces_commit() const {
  return !skip_bcast_commit_ || pending_conf_index_ > log_.applied();
}

bool core::committed_entry_in_current_term() const {
  return log_.term_or_zero(log_.committed()) == term_;
}

bool core::lease_read_possible() const {
  // CheckQuorum is what makes followers refuse votes while they hear from us (core.cpp). A
  // transferee campaigns past that refusal, and a membership change alters whose refusal counts.
  return role_ == role::leader && check_quorum_ && committed_entry_in_current_term() &&
         lead_transferee_.is_none() && pending_conf_index_ <= log_.applied();
}

// -- reads --------------------------------------------------------------------

void core::handle_read_index(message& m) {
  if (m.entries.size() != 1) return;
  if (trk_.is_singleton()) {
    respond_to_read_index(m, log_.committed());
    return;
  }
  // Thesis §6.4 step 1: until the leader commits an entry of its term, its commit index may
  // lag behind entries an earlier leader committed; a read served now could miss them.
  bool own_term_committed = committed_entry_in_current_term();
#ifdef RDB_RAFT_PLANTED_BUGS
  if (planted(planted_bug_kind::read_index_before_own_term_commit)) own_term_committed = true;
#endif
  if (!own_term_committed) {
    pending_read_index_messages_.push_back(std::move(m));
    return;
  }
  send_read_index_response(std::move(m));
}

void core::send_read_index_response(message m) {
  auto ctx = m.entries.front().data;
  read_only_.add_request(log_.committed(), std::move(m));
  const auto* acks = read_only_.recv_ack(id_, ctx);
  if (acks != nullptr && trk_.has_quorum(*acks)) {
    // The only voter is this leader (the rest are learners): it is its own quorum.
    for (auto& p : read_only_.advance(ctx))
      respond_to_read_index(p.req, p.index);
    return;
  }
  bcast_heartbeat_with_ctx(&ctx);
}

void core::release_pending_read_index_messages() {
  if (pending_read_index_messages_.empty() || !committed_entry_in_current_term()) return;
  auto msgs = std::move(pending_read_index_messages_);
  pending_read_index_messages_.clear();
  for (auto& m : msgs) {
    if (trk_.is_singleton())
      respond_to_read_index(m, log_.committed());
    else
      send_read_index_response(std::move(m));
  }
}

void core::respond_to_read_index(message& req, log_index index) {
  if (req.from.is_none() || req.from == id_) {
    read_states_.push_back(read_state{index, std::move(req.entries.front().data)});
    return;
  }
  send(message{.type = message_type::read_index_resp,
               .to = req.from,
               .index = index,
               .entries = std::move(req.entries)});
}

// -- leadership transfer ------------------------------------------------------

void core::handle_transfer_leader(const message& m, progress& pr) {
  if (pr.is_learner) return;
  auto transferee = m.from;
  if (!lead_transferee_.is_none()) {
    if (lead_transferee_ == transferee) return;
    abort_leader_transfer();
  }
  if (transferee == id_) return;
  // The transfer must finish within one election timeout or it is abandoned.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  // The target must hold our whole log before it campaigns, or it could not win (§5.4.1).
  if (pr.match == log_.last_index())
    send_timeout_now(transferee);
  else
    send_append(transferee);
}

}  // namespace rdb::raft
