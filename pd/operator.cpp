#include "pd/operator.hpp"

#include <algorithm>
#include <string>

namespace rdb::pd {

namespace {

const storage::region_peer* find(const storage::region_meta& m, peer_id id) {
  auto it = std::ranges::find(m.peers, id, &storage::region_peer::id);
  return it == m.peers.end() ? nullptr : &*it;
}

bool is_voter(const storage::region_meta& m, peer_id id) {
  const auto* p = find(m, id);
  return p && p->role == storage::peer_role::voter;
}

bool taken(const operator_step& s, const region_info& r) {
  switch (s.kind) {
    case directive_kind::add_learner:
      return find(r.meta, s.peer.id) != nullptr;
    case directive_kind::promote_learner:
      return is_voter(r.meta, s.peer.id);
    case directive_kind::remove_peer:
      return find(r.meta, s.peer.id) == nullptr;
    case directive_kind::transfer_leader:
      return r.leader.id == s.peer.id;
    case directive_kind::none:
    case directive_kind::split:
      break;
  }
  return true;
}

directive make(directive_kind kind, const region_info& r, const storage::region_peer& peer) {
  directive d;
  d.kind = kind;
  d.region = r.meta.id;
  d.epoch = r.meta.epoch;
  d.peer = peer;
  return d;
}

directive fail_with(operator_info& op, std::string reason) {
  op.status = operator_status::failed;
  op.reason = std::move(reason);
  return directive{};
}

bool listed(const std::vector<storage::region_peer>& peers, peer_id id) {
  return std::ranges::find(peers, id, &storage::region_peer::id) != peers.end();
}

/// The voter to hand leadership to before `leaving` is removed: the voter this operator added,
/// else the first other voter its leader hears from and considers caught up (a leader refuses
/// to transfer to any other). Null when there is none.
const storage::region_peer* successor(const operator_info& op, const region_info& r,
                                      peer_id leaving) {
  auto fit = [&](peer_id id) {
    return id != leaving && is_voter(r.meta, id) && !listed(r.down_peers, id) &&
           !listed(r.pending_peers, id);
  };
  for (const auto& s : op.steps)
    if (s.kind == directive_kind::promote_learner && fit(s.peer.id)) return find(r.meta, s.peer.id);
  for (const auto& p : r.meta.peers)
    if (fit(p.id)) return &p;
  return nullptr;
}

std::string peer_text(const storage::region_peer& p) {
  return "peer " + std::to_string(p.id.value()) + " on store " + std::to_string(p.store.value());
}

}  // namespace

std::optional<storage::region_peer> peer_on(const storage::region_meta& m, store_id store) {
  auto it = std::ranges::find(m.peers, store, &storage::region_peer::store);
  if (it == m.peers.end()) return std::nullopt;
  return *it;
}

std::size_t voter_count(const storage::region_meta& m) {
  return static_cast<std::size_t>(
      std::ranges::count(m.peers, storage::peer_role::voter, &storage::region_peer::role));
}

std::vector<operator_step> move_steps(const storage::region_peer& from,
                                      const storage::region_peer& added) {
  auto out = add_steps(added);
  out.push_back(operator_step{directive_kind::remove_peer, from});
  return out;
}

std::vector<operator_step> add_steps(const storage::region_peer& added) {
  auto learner = added;
  learner.role = storage::peer_role::learner;
  auto voter = added;
  voter.role = storage::peer_role::voter;
  return {operator_step{directive_kind::add_learner, learner},
          operator_step{directive_kind::promote_learner, voter}};
}

std::vector<operator_step> remove_steps(const storage::region_peer& peer) {
  return {operator_step{directive_kind::remove_peer, peer}};
}

std::vector<operator_step> transfer_steps(const storage::region_peer& peer) {
  return {operator_step{directive_kind::transfer_leader, peer}};
}

directive advance(operator_info& op, const region_info& r) {
  if (op.status != operator_status::running) return directive{};
  while (op.current < op.steps.size() && taken(op.steps[op.current], r))
    ++op.current;
  if (op.current == op.steps.size()) {
    op.status = operator_status::finished;
    return directive{};
  }
  const auto& step = op.steps[op.current];
  const auto* peer = find(r.meta, step.peer.id);
  switch (step.kind) {
    case directive_kind::add_learner:
      if (auto other = peer_on(r.meta, step.peer.store))
        return fail_with(op, "store " + std::to_string(step.peer.store.value()) +
                                 " already holds " + peer_text(*other));
      return make(directive_kind::add_learner, r, step.peer);
    case directive_kind::promote_learner:
      if (!peer) return fail_with(op, "the learner " + peer_text(step.peer) + " is gone");
      // A learner still waiting for its snapshot would count toward the quorum at once and
      // commit nothing: it is promoted only once its leader lists it neither as pending nor
      // as down.
      if (listed(r.pending_peers, step.peer.id) || listed(r.down_peers, step.peer.id))
        return directive{};
      return make(directive_kind::promote_learner, r, *peer);
    case directive_kind::remove_peer:
      if (r.leader.id == step.peer.id) {
        const auto* next = successor(op, r, step.peer.id);
        // Waits (until the deadline) for another voter to catch up or come back.
        if (!next) return directive{};
        return make(directive_kind::transfer_leader, r, *next);
      }
      return make(directive_kind::remove_peer, r, *peer);
    case directive_kind::transfer_leader:
      if (!peer || peer->role != storage::peer_role::voter)
        return fail_with(op, peer_text(step.peer) + " is not a voter of the region");
      return make(directive_kind::transfer_leader, r, *peer);
    case directive_kind::none:
    case directive_kind::split:
      break;
  }
  return fail_with(op, "the operator has a step PD cannot carry out");
}

std::vector<operator_step> rollback_steps(const operator_info& op, const region_info& r) {
  std::vector<operator_step> out;
  for (const auto& s : op.steps) {
    if (s.kind != directive_kind::add_learner) continue;
    const auto* p = find(r.meta, s.peer.id);
    if (p && p->role == storage::peer_role::learner)
      out.push_back({directive_kind::remove_peer, *p});
  }
  return out;
}

}  // namespace rdb::pd
