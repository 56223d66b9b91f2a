#include "tests/raft/sim/sim_world.hpp"

#include <cstring>
#include <iostream>

#include "actors/raft/conf_change.hpp"

namespace rdb::raft::sim {

namespace {

/// One tick every 10 ms of virtual time: elections time out after 100-200 ms.
constexpr std::uint64_t tick_ms = 10;

/// Where the log of a new group starts, and the state machine's hash chain there.
constexpr log_index bootstrap_index{5};
constexpr std::uint64_t bootstrap_chain = 0xb0075eedULL;

}  // namespace

// -- state machine ------------------------------------------------------------

std::string state_machine::encode() const {
  std::string out(16, '\0');
  auto index = applied.value();
  std::memcpy(out.data(), &index, 8);
  std::memcpy(out.data() + 8, &chain, 8);
  return out;
}

state_machine state_machine::decode(const std::string& data) {
  state_machine sm;
  if (data.size() != 16) return sm;
  std::uint64_t index = 0;
  std::memcpy(&index, data.data(), 8);
  std::memcpy(&sm.chain, data.data() + 8, 8);
  sm.applied = log_index{index};
  return sm;
}

// -- world --------------------------------------------------------------------

world::world(const options& opts)
    : opts_(opts),
      rng_(opts.seed),
      drop_percent_(opts.drop_percent),
      duplicate_percent_(opts.duplicate_percent) {
  result_.seed = opts.seed;
  // Groups are bootstrapped as regions are: every initial replica starts from the same snapshot
  // at a small index, so a replica added later has an empty log and must be sent a snapshot
  // (it could not learn the initial membership from log entries).
  raft::snapshot boot;
  boot.meta.index = bootstrap_index;
  boot.meta.term = term_id{bootstrap_index.value()};
  for (int i = 1; i <= opts.nodes; ++i)
    boot.meta.conf.voters.push_back(node_id{next_node_id_++});
  boot.data = state_machine{bootstrap_index, bootstrap_chain}.encode();
  checker_.on_bootstrap(bootstrap_index, bootstrap_chain);
  for (auto id : boot.meta.conf.voters)
    start(add_node(id, &boot));
}

result world::run() {
  schedule_in(5, event_kind::client, 0);
  schedule_in(50, event_kind::fault, 0);
  auto deadline = opts_.fault_ms + opts_.liveness_bound_ms;
  std::string why = "no event left";
  bool live = false;
  while (!queue_.empty()) {
    auto ev = queue_.top();
    queue_.pop();
    now_ = ev.time;
    if (now_ > deadline) break;
    if (!healed_ && now_ >= opts_.fault_ms) heal();
    ++result_.steps;
    process(ev);
    if (healed_ && ev.kind == event_kind::client && converged(why)) {
      live = true;
      break;
    }
  }
  result_.violations = checker_.violations();
  result_.liveness_failure = !live;
  if (!live) result_.liveness_detail = why;
  return result_;
}

// -- scheduling ---------------------------------------------------------------

void world::schedule(event ev) {
  ev.seq = seq_++;
  queue_.push(std::move(ev));
}

void world::schedule_in(std::uint64_t delay, event_kind kind, std::size_t node, raft::message msg) {
  event ev;
  ev.time = now_ + delay;
  ev.kind = kind;
  ev.node = node;
  ev.incarnation = node < nodes_.size() ? nodes_[node].incarnation : 0;
  ev.msg = std::move(msg);
  schedule(std::move(ev));
}

void world::process(event& ev) {
  if (opts_.trace) print(ev);
  hash(ev.time);
  hash(static_cast<std::uint64_t>(ev.kind));
  hash(ev.node);
  switch (ev.kind) {
    case event_kind::tick:
      if (is_up(ev.node) && nodes_[ev.node].incarnation == ev.incarnation) on_tick(ev.node);
      break;
    case event_kind::deliver:
      on_deliver(ev);
      break;
    case event_kind::persist_done:
      if (is_up(ev.node) && nodes_[ev.node].incarnation == ev.incarnation) on_persist_done(ev.node);
      break;
    case event_kind::client:
      on_client();
      break;
    case event_kind::fault:
      on_fault();
      break;
    case event_kind::restart:
      if (!is_up(ev.node) && !nodes_[ev.node].destroyed) start(ev.node);
      break;
  }
}

void world::print(const event& ev) const {
  static constexpr const char* names[] = {"tick",   "deliver", "persist",
                                          "client", "fault",   "restart"};
  std::cout << now_ << "ms " << names[static_cast<int>(ev.kind)];
  if (ev.node < nodes_.size()) std::cout << " n" << nodes_[ev.node].id;
  if (ev.kind == event_kind::deliver) std::cout << " " << to_string(ev.msg);
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (is_up(i))
      std::cout << " | " << nodes_[i].id << ":" << to_string(nodes_[i].raft->role()) << "/t"
                << nodes_[i].raft->term() << "/c" << nodes_[i].raft->commit_index();
  std::cout << "\n";
}

void world::hash(std::uint64_t v) {
  result_.trace_hash = fnv(result_.trace_hash, v);
}

// -- nodes --------------------------------------------------------------------

raft::config world::node_config(node_id id, log_index applied) const {
  raft::config cfg;
  cfg.id = id;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 2;
  cfg.applied = applied;
  cfg.pre_vote = opts_.pre_vote;
  cfg.check_quorum = opts_.check_quorum;
  cfg.max_size_per_msg = opts_.max_size_per_msg;
  cfg.skip_bcast_commit = opts_.skip_bcast_commit;
  cfg.max_inflight_msgs = 16;
  cfg.max_outstanding_readies = opts_.max_outstanding_readies;
  // Each node draws its election timeouts from its own stream of the run's seed.
  cfg.seed = opts_.seed * 1000003 + id.value();
  return cfg;
}

std::size_t world::add_node(node_id id, const raft::snapshot* boot) {
  node n;
  n.id = id;
  n.storage = std::make_unique<memory_storage>();
  if (boot != nullptr) {
    (void)n.storage->apply_snapshot(*boot);
    n.storage->set_hard_state({boot->meta.term, node_id{}, boot->meta.index});
    n.sm = state_machine::decode(boot->data);
    n.checked_commit = boot->meta.index;
  }
  nodes_.push_back(std::move(n));
  return nodes_.size() - 1;
}

void world::start(std::size_t i) {
  auto& n = nodes_[i];
  ++n.incarnation;
  n.outstanding.clear();
  n.raft = std::make_unique<raw_node>(node_config(n.id, n.sm.applied), *n.storage);
  // A restart must come back with at least the commit index it had made durable.
  checker_.on_commit(n.id, n.storage->persisted_hard_state().commit, n.raft->commit_index(),
                     "restart");
  n.last_commit = n.raft->commit_index();
  // Desynchronise the tick phases of the nodes.
  schedule_in(1 + rng_.below(tick_ms), event_kind::tick, i);
}

void world::crash(std::size_t i) {
  auto& n = nodes_[i];
  ++n.incarnation;
  n.raft.reset();
  n.outstanding.clear();
}

void world::destroy(node_id id) {
  auto i = slot_of(id);
  if (!i || nodes_[*i].destroyed) return;
  crash(*i);
  nodes_[*i].destroyed = true;
}

std::optional<std::size_t> world::slot_of(node_id id) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].id == id) return i;
  return std::nullopt;
}

bool world::is_up(std::size_t i) const {
  return i < nodes_.size() && nodes_[i].raft != nullptr;
}

void world::on_tick(std::size_t i) {
  nodes_[i].raft->tick();
  maybe_take_ready(i);
  observe(i);
  schedule_in(tick_ms, event_kind::tick, i);
}

void world::maybe_take_ready(std::size_t i) {
  auto& n = nodes_[i];
  if (!n.raft || !n.raft->has_ready()) return;
  auto rd = n.raft->ready();
  for (const auto& rs : rd.read_states) {
    auto it = reads_.find(rs.context);
    if (it == reads_.end()) continue;
    checker_.on_read(n.id, rs.index, it->second);
    ++result_.reads_checked;
    reads_.erase(it);
  }
  for (const auto& m : rd.messages)
    send(m);
  rd.messages.clear();
  n.outstanding.push_back(std::move(rd));
  // Each completion makes the oldest outstanding ready durable, whichever event it is.
  schedule_in(1 + rng_.below(static_cast<std::uint64_t>(opts_.max_persist_ms)),
              event_kind::persist_done, i);
}

void world::on_persist_done(std::size_t i) {
  auto& n = nodes_[i];
  auto rd = std::move(n.outstanding.front());
  n.outstanding.pop_front();
  auto& st = *n.storage;
  if (!rd.snapshot.is_empty()) {
    if (auto ok = st.apply_snapshot(rd.snapshot); !ok)
      checker_.report("storage refused a snapshot on " + std::to_string(n.id.value()) + ": " +
                      std::string{to_string(ok.error().code)});
    apply_snapshot(i, rd.snapshot);
  }
  for (const auto& e : rd.entries) {
    // Overwriting an entry this node already knew to be committed breaks log matching.
    if (e.index <= n.checked_commit)
      if (auto t = st.term(e.index); t && *t != e.term)
        checker_.on_committed_entry(n.id, e.index, e.term);
  }
  if (auto ok = st.append(rd.entries); !ok)
    checker_.report("storage refused an append on " + std::to_string(n.id.value()) + ": " +
                    std::string{to_string(ok.error().code)});
  if (rd.hard_state) {
    checker_.on_commit(n.id, st.persisted_hard_state().commit, rd.hard_state->commit, "durable");
    st.set_hard_state(*rd.hard_state);
    auto last = *st.last_index();
    auto upto = std::min(rd.hard_state->commit, last);
    for (auto idx = n.checked_commit + 1; idx <= upto; ++idx)
      if (auto t = st.term(idx)) checker_.on_committed_entry(n.id, idx, *t);
    if (upto > n.checked_commit) n.checked_commit = upto;
  }
  for (const auto& m : rd.persisted_messages)
    send(m);
  std::vector<node_id> removed;
  for (const auto& e : rd.committed_entries) {
    apply_entry(i, e);
    if (e.type == entry_type::conf_change)
      if (auto cc = conf_change::decode(e.data); cc && cc->type == conf_change_type::remove_node)
        removed.push_back(cc->node_id);
  }
  n.raft->advance(rd);
  maybe_compact(i);
  maybe_take_ready(i);
  observe(i);
  // A removed replica is destroyed once its removal is applied anywhere (as a store would
  // garbage-collect it); a replica left running could only disturb the group with elections.
  for (auto id : removed)
    destroy(id);
}

void world::apply_entry(std::size_t i, const entry& e) {
  auto& n = nodes_[i];
  if (e.index != n.sm.applied + 1)
    checker_.report("node " + std::to_string(n.id.value()) + " applied index " +
                    std::to_string(e.index.value()) + " after " +
                    std::to_string(n.sm.applied.value()));
  n.sm.chain = checker_.on_apply(n.id, e.index, e.term, n.sm.chain, e.data);
  n.sm.applied = e.index;
  if (e.type == entry_type::conf_change) {
    if (auto cc = conf_change::decode(e.data)) {
      auto conf = n.raft->apply_conf_change(*cc);
      n.storage->set_conf_state(conf);
      // Snapshots are cut from the current state, as a store generates them on demand: a
      // replica being added must find itself in the membership of the snapshot it is sent.
      (void)n.storage->create_snapshot(e.index, conf, n.sm.encode());
      ++result_.conf_changes_applied;
    }
    return;
  }
  if (e.data.size() > 1 && e.data[0] == 'p') {
    auto id = std::stoull(e.data.substr(1));
    if (pending_.erase(id) > 0) ++result_.proposals_applied;
  }
}

void world::apply_snapshot(std::size_t i, const raft::snapshot& snap) {
  auto& n = nodes_[i];
  auto sm = state_machine::decode(snap.data);
  checker_.on_restore(n.id, snap.meta.index, sm.chain);
  n.sm = sm;
  n.sm.applied = snap.meta.index;
  if (snap.meta.index > n.checked_commit) n.checked_commit = snap.meta.index;
  ++result_.snapshots_applied;
}

void world::maybe_compact(std::size_t i) {
  auto& n = nodes_[i];
  if (!opts_.compaction || rng_.below(16) != 0) return;
  auto& st = *n.storage;
  // Keep a short tail so that lagging followers need snapshots now and then.
  if (n.sm.applied < *st.first_index() + 8) return;
  if (!st.create_snapshot(n.sm.applied, st.persisted_conf_state(), n.sm.encode())) return;
  (void)st.compact(n.sm.applied);
}

void world::observe(std::size_t i) {
  auto& n = nodes_[i];
  if (!n.raft) return;
  if (n.raft->role() == raft::role::leader) checker_.on_leader(n.id, n.raft->term());
  auto commit = n.raft->commit_index();
  checker_.on_commit(n.id, n.last_commit, commit, "memory");
  n.last_commit = commit;
}

result run(const options& opts) {
  world w{opts};
  return w.run();
}

}  // namespace rdb::raft::sim
