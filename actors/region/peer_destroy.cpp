#include <algorithm>

#include "actors/region/peer.hpp"

/// A replica leaving its region (see peer.hpp).
///
/// A conf change that removes this replica's own peer id is applied like any other; once that
/// apply is written and nothing else of the replica is in flight, the replica writes its
/// tombstone to the kv environment in one commit: the data of its range deleted (regions on one
/// store never overlap, so no other region covers it), its apply state and client sessions
/// dropped, and its region state kept as `tombstone` with the meta that no longer lists it. Then
/// its log goes (the log engine forgets the region). Then the actor stops; the supervisor
/// forgets the region, and the router no longer routes to it, so later raft messages for this
/// peer id are dropped by the transport. A store opening a tombstone never starts it
/// (peer::open refuses it); one that crashed between the two commits destroys the leftover log
/// when it starts (actors/store/supervisor.cpp).
///
/// A replica removed while its store was away never applies its removal: its group goes on
/// without it. Its store's heartbeat agent sees PD list the region under a newer membership
/// without this peer id, and the replica is destroyed the same way, once what it has in flight
/// is written (`on_removed_elsewhere`); its tombstone records PD's membership.
namespace rdb {

bool peer::on_removed_elsewhere(const storage::region_meta& current) {
  if (!initialized() || current.id != meta().id || current.epoch.conf_ver <= meta().epoch.conf_ver)
    return false;
  for (const auto& p : current.peers)
    if (p.id == self_.id) return false;
  removed_by_ = current;
  maybe_destroy();
  return true;
}

storage::region_meta peer::tombstone_meta() const {
  if (!removed_by_) return meta();
  // The store creates a replica only for a membership newer than its tombstone's: PD's, unless
  // that already lists the store again under a new peer id, which must be let in.
  bool back = std::any_of(removed_by_->peers.begin(), removed_by_->peers.end(),
                          [&](const storage::region_peer& p) { return p.store == self_.store; });
  return back ? meta() : *removed_by_;
}

void peer::maybe_destroy() {
  bool removed = removed_by_ || (!removed_at_.is_none() && applied_ >= removed_at_);
  if (destroy_ || !removed) return;
  if (!outstanding_.empty() || !applying_.empty() || install_) return;
  destroy_ = destroying{++last_ready_, false};
  const auto& m = meta();
  write_task kv;
  kv.region = m.id;
  kv.ready_number = destroy_->number;
  kv.stage = write_stage::apply;
  kv.ops.push_back(data_op{data_op_kind::delete_range, m.start_key, m.end_key});
  kv.destroy = true;
  kv.has_region_state = true;
  kv.region_state = storage::region_local_state{tombstone_meta(), storage::peer_state::tombstone};
  kv.urgent = true;
  output_.tasks.push_back(std::move(kv));
  // Nobody is answered by this replica any more: writes it held may have been committed.
  auto err = make_request_error(errc::region_not_found, m.id, "this replica left the region");
  err.maybe_applied = true;
  for (auto& p : proposals_.take_after(raft::log_index{}))
    fail(p.token, err);
  for (auto& [tag, r] : reads_)
    fail(r.token, err);
  reads_.clear();
}

void peer::on_destroy_persisted(const persisted& ack) {
  auto& d = *destroy_;
  if (ack.ready_number < d.number) return;
  if (ack.stage == write_stage::apply && !d.kv_done) {
    d.kv_done = true;
    write_task log;
    log.region = meta().id;
    log.ready_number = d.number;
    log.stage = write_stage::log;
    log.destroy = true;
    log.urgent = true;
    output_.tasks.push_back(std::move(log));
    return;
  }
  if (ack.stage == write_stage::log && d.kv_done) output_.destroyed = true;
}

}  // namespace rdb
