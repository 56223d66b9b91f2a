#include <algorithm>
#include <tuple>
#include <utility>

#include "actors/region/little_endian.hpp"
#include "actors/region/peer.hpp"

/// The ready cycle and the apply step of `peer` (see peer.hpp).
namespace rdb {

namespace {

/// The read-index round a context names (see `start_read_round`); 0 names none.
std::uint64_t decode_tag(const std::string& ctx) {
  return ctx.size() == sizeof(std::uint64_t) ? little_endian::load<std::uint64_t>(ctx) : 0;
}

/// Whether the answer to a command needs its apply. Puts and deletes need only their entry
/// committed: a committed entry is durable on a quorum's logs, so every replica applies it,
/// also after a crash (a restarted replica replays its log from the durable applied index, and
/// the log is never compacted past it). A command whose answer reports what its apply found
/// (a compare-and-swap) waits for the apply batch to be durable, as membership changes do.
bool answered_on_commit(command_kind kind) {
  switch (kind) {
    case command_kind::put:
    case command_kind::del:
    case command_kind::compact_log:
      return true;
    case command_kind::cas:
    case command_kind::change_peer:
    case command_kind::split:
      return false;
  }
  return false;
}

}  // namespace

void peer::maybe_handle_ready() {
  // A replica being destroyed writes nothing more of its log.
  if (destroy_ || !raw_.has_ready()) return;
  if (outstanding_.empty())
    take_ready();
  else
    output_.ready_deferred = true;
}

void peer::take_deferred_ready() {
  // A ready applies committed entries on top of the meta as of the readies before it, which
  // only `raft_storage` holds once they are durable: while a membership change is being
  // written, the next ready waits for it (its acknowledgement asks for the ready again).
  if (destroy_) return;
  bool meta_in_flight =
      std::any_of(outstanding_.begin(), outstanding_.end(),
                  [](const outstanding& o) { return o.summary.has_region_state; });
  if (!meta_in_flight && raw_.has_ready()) take_ready();
}

void peer::take_ready() {
  auto rd = raw_.ready();
  send(std::move(rd.messages));
  if (!rd.snapshot.is_empty()) {
    install_snapshot(rd);
    return;
  }
  for (const auto& rs : rd.read_states)
    end_read_round(decode_tag(rs.context), rs.index);
  outstanding out;
  out.number = rd.number;
  last_ready_ = rd.number;
  out.persisted_messages = std::move(rd.persisted_messages);
  write_task task;
  task.region = meta().id;
  task.ready_number = rd.number;
  // Proposals made since the last ready appear among its entries: bind them to their index.
  for (const auto& e : rd.entries) {
    if (e.data.empty()) continue;
    if (e.type == raft::entry_type::normal) {
      auto origin = command_codec::decode_origin(e.data);
      if (origin && origin->first == self_.id) proposals_.bind(origin->second, e.index, e.term);
    } else if (auto cc = raft::conf_change::decode(e.data)) {
      auto cmd = command_codec::decode(cc->context);
      if (cmd && cmd->proposer == self_.id) proposals_.bind(cmd->tag, e.index, e.term);
    }
  }
  for (auto& p : proposals_.take_unbound())
    fail(p.token, make_not_leader(meta().id, leader()));
  // After binding: proposals committed in this very ready are answered (writes now, membership
  // changes once their apply is written), even if leadership was lost meanwhile.
  if (rd.soft_state) {
    auto committed = rd.committed_entries.empty() ? handed_out_ : rd.committed_entries.back().index;
    handle_soft_state(*rd.soft_state, committed);
  }
  note_lease_marks(rd.entries);
  if (rd.hard_state) {
    task.has_hard_state = true;
    task.hard_state = *rd.hard_state;
  }
  task.entries = std::move(rd.entries);
  apply_committed(rd.committed_entries, task, out);
  // A committed entry this replica cannot apply: nothing of the ready is written, and the
  // actor stops the replica.
  if (output_.fatal) return;
  out.apply.number = rd.number;
  out.apply.task = split_apply_half(task);
  // What raft_storage::on_persisted needs: the log half (its entries are cached once durable)
  // with the apply and region state, but not the data changes.
  out.summary = task;
  out.summary.has_apply_state = out.apply.task.has_apply_state;
  out.summary.apply_state = out.apply.task.apply_state;
  out.summary.has_region_state = out.apply.task.has_region_state;
  out.summary.region_state = out.apply.task.region_state;
  bool write_free = outstanding_.empty() && needs_no_log_write(task);
  outstanding_.push_back(std::move(out));
  if (write_free)
    on_log_persisted();
  else
    output_.tasks.push_back(std::move(task));
  // Reads whose index was already applied need not wait for this ready.
  serve_reads();
}

bool peer::needs_no_log_write(const write_task& task) const {
  // A new commit index alone need not be durable before its entries are applied: they are
  // durable in the log already (every earlier ready is), and a replica that restarts takes
  // its commit index to be at least its applied index (raft_storage::open). Term and vote
  // must be on disk before anything this ready sends.
  if (!task.entries.empty()) return false;
  if (!task.has_hard_state) return true;
  const auto& durable = storage_->hard_state();
  return task.hard_state.term == durable.term && task.hard_state.vote == durable.vote;
}

void peer::handle_soft_state(const raft::soft_state& ss, raft::log_index committed) {
  suspend_lease();
  if (ss.role == raft::role::leader && !is_leader_now_) leading_since_ = now_;
  is_leader_now_ = ss.role == raft::role::leader;
  if (ss.leader != leader_id_) {
    leader_id_ = ss.leader;
    output_.leader_changed = true;
    note_activity();
  }
  if (ss.role != raft::role::leader) {
    // Whatever was pending beyond `committed` may still commit under the new leader, but this
    // replica will not learn the outcome for sure: the client retries (with its sequence
    // number for dedup).
    auto e = make_not_leader(meta().id, leader());
    for (auto& [tag, r] : reads_)
      fail(r.token, e);
    e.maybe_applied = true;
    for (auto& p : proposals_.take_after(committed))
      fail(p.token, e);
    reads_.clear();
    read_round_ = 0;
  }
}

void peer::send(std::vector<raft::message> msgs) {
  const auto& m = meta();
  for (auto& msg : msgs) {
    auto to = std::find_if(m.peers.begin(), m.peers.end(),
                           [&](const storage::region_peer& p) { return p.id == msg.to; });
    std::optional<storage::region_peer> addr;
    if (to != m.peers.end())
      addr = *to;
    else if (auto s = senders_.find(msg.to.value()); s != senders_.end())
      addr = s->second;
    // A peer removed from the meta has no address any more.
    if (!addr) continue;
    if (msg.type == raft::message_type::snapshot)
      snapshot_holds_[msg.to.value()] = {msg.snapshot.meta.index, now_};
    auto& out = msg.type == raft::message_type::snapshot ? output_.snapshots : output_.messages;
    out.push_back(raft_envelope{m.id, self_, *addr, m.epoch, std::move(msg)});
  }
}

void peer::apply_committed(std::vector<raft::entry>& ents, write_task& task, outstanding& out) {
  if (ents.empty()) return;
  handed_out_ = ents.back().index;
  auto meta_now = meta();
  bool meta_changed = false;
  for (auto& e : ents) {
    if (e.type == raft::entry_type::conf_change) {
      if (!apply_conf_change_entry(e, meta_now, out)) return;
      meta_changed = true;
      continue;
    }
    // A new leader's empty entry.
    if (e.data.empty()) {
      fail_replaced(e.index);
      continue;
    }
    auto cmd = command_codec::decode(e.data);
    if (!cmd) return stop_on_entry(e, cmd.error().detail);
    applied_entry done{e.index, e.term, cmd->tag, std::nullopt};
    bool writes = cmd->kind == command_kind::put || cmd->kind == command_kind::del ||
                  cmd->kind == command_kind::cas;
    if (writes && !storage::contains_key(meta_now, cmd->key)) {
      // Proposed before a split committed ahead of it moved the key to another region.
      refuse_entry(e.index, make_epoch_not_match(meta_now, "the key left the region"));
      continue;
    }
    switch (cmd->kind) {
      case command_kind::put:
      case command_kind::del:
        apply_write(*cmd, e.index, task);
        break;
      case command_kind::cas:
        done.cas = apply_cas(*cmd, e.index, task);
        break;
      case command_kind::split:
        if (auto refusal = apply_split(*cmd, meta_now, task)) {
          refuse_entry(e.index, std::move(*refusal));
          continue;
        }
        meta_changed = true;
        // Followers learn the commit now, not at the next heartbeat: the child's replicas
        // then start about when the leader's does, ready for its first election.
        raw_.broadcast_commit();
        break;
      case command_kind::compact_log:
        apply_compaction(*cmd, e.index);
        break;
      case command_kind::change_peer:
        return stop_on_entry(e, "a membership change outside a conf change entry");
    }
    if (cmd->proposer != self_.id)
      fail_replaced(e.index);
    else if (answered_on_commit(cmd->kind))
      answer(done);
    else
      out.apply.applied.push_back(std::move(done));
  }
  if (sessions_.checkpoint_due(handed_out_)) {
    std::tie(task.sessions, task.ended_sessions) = sessions_.take_changes(handed_out_);
    task.has_session_index = true;
    task.session_index = handed_out_;
  }
  auto as = storage_->apply_state();
  as.applied_index = ents.back().index;
  task.has_apply_state = true;
  task.apply_state = as;
  if (meta_changed) {
    task.has_region_state = true;
    task.region_state =
        storage::region_local_state{std::move(meta_now), storage::peer_state::normal};
  }
}

void peer::apply_write(command& cmd, raft::log_index index, write_task& task) {
  if (!sessions_.admit(cmd.client.value(), cmd.seq, cmd.first_incomplete, index)) {
    // A retry of a write applied at a lower index: it is answered as done and changes nothing.
    ++duplicate_writes_;
    return;
  }
  if (cmd.kind == command_kind::put) {
    note_unwritten(task.ready_number, cmd.key, cmd.value);
    task.ops.push_back(data_op{data_op_kind::put, std::move(cmd.key), std::move(cmd.value)});
  } else {
    note_unwritten(task.ready_number, cmd.key, std::nullopt);
    task.ops.push_back(data_op{data_op_kind::del, std::move(cmd.key), {}});
  }
}

cas_response peer::apply_cas(command& cmd, raft::log_index index, write_task& task) {
  cas_response r;
  r.index = index;
  auto current = current_value(cmd.key);
  if (!current) {
    // Another replica may read it fine: deciding without the value could make this one
    // diverge, so it stops and is restarted from disk.
    output_.fatal = "reading key for a compare-and-swap at index " + std::to_string(index.value()) +
                    ": " + current.error().message;
    return r;
  }
  r.found = current->has_value();
  if (r.found) r.previous = **current;
  if (!sessions_.admit(cmd.client.value(), cmd.seq, cmd.first_incomplete, index)) {
    ++duplicate_writes_;
    r.retried = true;
    r.swapped = !sessions_.failed(cmd.client.value(), cmd.seq);
    return r;
  }
  bool matches = cmd.expect_absent ? !r.found : (r.found && r.previous == cmd.expected);
  if (!matches) {
    sessions_.record_failed(cmd.client.value(), cmd.seq);
    return r;
  }
  r.swapped = true;
  note_unwritten(task.ready_number, cmd.key, cmd.value);
  task.ops.push_back(data_op{data_op_kind::put, std::move(cmd.key), std::move(cmd.value)});
  return r;
}

storage::result<std::optional<std::string>> peer::current_value(const std::string& key) const {
  if (auto i = unwritten_.find(key); i != unwritten_.end()) return i->second.value;
  auto view = kv_->read();
  if (!view) return std::unexpected{view.error()};
  return view->get(key);
}

void peer::note_unwritten(std::uint64_t ready, const std::string& key,
                          std::optional<std::string> value) {
  unwritten_[key] = unwritten{ready, std::move(value)};
  if (unwritten_keys_.empty() || unwritten_keys_.back().first != ready)
    unwritten_keys_.emplace_back(ready, std::vector<std::string>{});
  unwritten_keys_.back().second.push_back(key);
}

bool peer::apply_conf_change_entry(const raft::entry& e, storage::region_meta& meta,
                                   outstanding& out) {
  auto cc = raft::conf_change::decode(e.data);
  if (!cc) {
    stop_on_entry(e, "the conf change cannot be decoded");
    return false;
  }
  auto cmd = command_codec::decode(cc->context);
  if (!cmd) {
    stop_on_entry(e, "its conf change context: " + cmd.error().detail);
    return false;
  }
  storage::region_peer target{cc->node_id, store_id{}, storage::peer_role::voter};
  if (cmd->kind == command_kind::change_peer) target.store = cmd->peer.store;
  auto i = std::find_if(meta.peers.begin(), meta.peers.end(),
                        [&](const storage::region_peer& p) { return p.id == cc->node_id; });
  switch (cc->type) {
    case raft::conf_change_type::add_voter:
    case raft::conf_change_type::add_learner: {
      auto role = cc->type == raft::conf_change_type::add_voter ? storage::peer_role::voter
                                                                : storage::peer_role::learner;
      if (i != meta.peers.end()) {
        i->role = role;
      } else {
        target.role = role;
        meta.peers.push_back(target);
      }
      break;
    }
    case raft::conf_change_type::remove_node:
      if (i != meta.peers.end()) meta.peers.erase(i);
      if (cc->node_id == self_.id) removed_at_ = e.index;
      break;
  }
  if (cmd->kind == command_kind::change_peer)
    meta.epoch.conf_ver = std::max(meta.epoch.conf_ver, cmd->conf_ver);
  else
    ++meta.epoch.conf_ver;
  out.conf_changes.push_back(*cc);
  if (cmd->proposer == self_.id)
    out.apply.applied.push_back(applied_entry{e.index, e.term, cmd->tag, std::nullopt});
  else
    fail_replaced(e.index);
  return true;
}

void peer::stop_on_entry(const raft::entry& e, const std::string& why) {
  // Every replica holds the same committed bytes: skipping the entry here would be skipped
  // everywhere only if every binary reads it alike, and a newer binary's command (a split, say)
  // would be lost on an older one. The replica stops instead; nothing is applied past it.
  output_.fatal = "committed entry " + std::to_string(e.index.value()) + " (term " +
                  std::to_string(e.term.value()) + ") cannot be applied: " + why;
}

void peer::on_persisted(const persisted& ack) {
  if (!ack.failed && destroy_) return on_destroy_persisted(ack);
  if (!ack.failed && install_ && on_install_persisted(ack)) return;
  if (ack.failed) {
    output_.fatal = "persisting the " + to_string(ack.stage) + " half of ready " +
                    std::to_string(ack.ready_number) + " failed: " + ack.detail;
    return;
  }
  if (ack.stage == write_stage::apply) {
    on_applied(ack);
    return;
  }
  // One acknowledgement covers every ready up to the one it names: the writer writes in order.
  while (!outstanding_.empty() && outstanding_.front().number <= ack.ready_number)
    on_log_persisted();
  maybe_destroy();
}

void peer::on_log_persisted() {
  auto out = std::move(outstanding_.front());
  outstanding_.pop_front();
  storage_->on_persisted(out.summary);
  for (const auto& cc : out.conf_changes)
    raw_.apply_conf_change(cc);
  // A split's new meta is routed together with its child once the child is founded.
  if (out.summary.has_region_state && out.apply.task.children.empty()) output_.meta_changed = true;
  send(std::move(out.persisted_messages));
  if (!is_empty(out.apply.task)) {
    // Reads and membership changes wait for the apply; plain writes were answered on commit.
    out.apply.task.urgent =
        !reads_.empty() || !out.apply.applied.empty() || out.apply.task.has_region_state;
    // The data changes go to the writer; what waits for the acknowledgement stays here.
    write_task kept;
    kept.has_apply_state = out.apply.task.has_apply_state;
    kept.apply_state = out.apply.task.apply_state;
    kept.urgent = out.apply.task.urgent;
    for (const auto& child : out.apply.task.children)
      kept.children.push_back(split_child{child.meta, {}});
    output_.tasks.push_back(std::exchange(out.apply.task, std::move(kept)));
    applying_.push_back(std::move(out.apply));
  }
  raft::ready done;
  done.number = out.number;
  raw_.advance(done);
  maybe_handle_ready();
}

void peer::on_applied(const persisted& ack) {
  durable_applied_ = acked_applied_;
  // One acknowledgement covers every apply half up to the one it names.
  while (!applying_.empty() && applying_.front().number <= ack.ready_number) {
    auto a = std::move(applying_.front());
    applying_.pop_front();
    if (a.task.has_apply_state) applied_ = a.task.apply_state.applied_index;
    answer_applied(a);
    for (const auto& child : a.task.children)
      output_.splits.push_back(child.meta);
  }
  acked_applied_ = applied_;
  maybe_compact();
  maybe_destroy();
  // The kv environment now holds these changes, unless a later unwritten one replaced them.
  while (!unwritten_keys_.empty() && unwritten_keys_.front().first <= ack.ready_number) {
    for (const auto& key : unwritten_keys_.front().second) {
      auto i = unwritten_.find(key);
      if (i != unwritten_.end() && i->second.ready <= ack.ready_number) unwritten_.erase(i);
    }
    unwritten_keys_.pop_front();
  }
  serve_reads();
}

void peer::answer(const applied_entry& a) {
  proposal_queue::proposal p;
  if (!proposals_.take_at(a.index, p)) return;
  if (p.term != a.term || p.tag != a.tag)
    fail(p.token, make_not_leader(meta().id, leader()));
  else if (a.cas)
    reply(p.token, *a.cas);
  else
    reply(p.token, write_response{a.index});
}

void peer::fail_replaced(raft::log_index index) {
  proposal_queue::proposal p;
  if (proposals_.take_at(index, p)) fail(p.token, make_not_leader(meta().id, leader()));
}

void peer::answer_applied(const applying& out) {
  for (const auto& a : out.applied)
    answer(a);
  // Anything still bound at or below the applied index had its entry replaced.
  for (auto& p : proposals_.take_up_to(applied_))
    fail(p.token, make_not_leader(meta().id, leader()));
}

void peer::serve_reads() {
  bool waits_for_apply = false;
  for (auto i = reads_.begin(); i != reads_.end();) {
    if (i->second.index.is_none() || i->second.index > applied_) {
      waits_for_apply = waits_for_apply || !i->second.index.is_none();
      ++i;
      continue;
    }
    serve(i->second);
    i = reads_.erase(i);
  }
  // An apply half sent before the read came may sit out the apply writer's commit delay:
  // ask for its commit now, once per apply half.
  if (waits_for_apply && !applying_.empty() && !applying_.back().task.urgent &&
      applying_.back().number != urged_) {
    urged_ = applying_.back().number;
    output_.urge_apply = true;
  }
}

void peer::serve(const pending_read& r) {
  auto view = kv_->read();
  if (!view)
    return fail(r.token,
                make_request_error(errc::storage_corrupt, meta().id, view.error().message));
  if (!r.is_scan) {
    auto v = view->get(r.get.key);
    if (!v)
      return fail(r.token, make_request_error(errc::storage_corrupt, meta().id, v.error().message));
    get_response resp;
    if (*v) {
      resp.found = true;
      resp.value = std::move(**v);
    }
    reply(r.token, std::move(resp));
    return;
  }
  // Clip the range at the region's end: keys beyond it belong to another region.
  const auto& m = meta();
  auto end = r.scan.end_key;
  if (!m.end_key.empty() && (end.empty() || m.end_key < end)) end = m.end_key;
  auto pairs = view->scan(r.scan.start_key, end, r.scan.limit);
  if (!pairs)
    return fail(r.token,
                make_request_error(errc::storage_corrupt, meta().id, pairs.error().message));
  reply(r.token, scan_response{std::move(*pairs), end});
}

}  // namespace rdb
