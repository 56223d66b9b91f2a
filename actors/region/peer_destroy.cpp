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
namespace rdb {

void peer::maybe_destroy() {
  if (destroy_ || removed_at_.is_none() || applied_ < removed_at_) return;
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
  kv.region_state = storage::region_local_state{m, storage::peer_state::tombstone};
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
