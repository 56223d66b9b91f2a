#include "tests/raft/network.hpp"

#include <algorithm>
#include <stdexcept>

namespace rdb::raft::test {

network::network(std::vector<std::uint64_t> voters, net_options opts,
                 std::vector<std::uint64_t> learners)
    : opts_(opts) {
  conf_state cs;
  for (auto v : voters)
    cs.voters.push_back(nid(v));
  for (auto l : learners)
    cs.learners.push_back(nid(l));
  conf_ = cs;
  std::vector<std::uint64_t> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  for (auto id : all) {
    auto p = std::make_unique<peer>();
    p->storage = memory_storage{cs};
    p->cfg.id = nid(id);
    make_node(*p);
    peers_.emplace(id, std::move(p));
  }
}

void network::make_node(peer& p) {
  p.cfg.election_tick = opts_.election_tick;
  p.cfg.heartbeat_tick = opts_.heartbeat_tick;
  p.cfg.pre_vote = opts_.pre_vote;
  p.cfg.check_quorum = opts_.check_quorum;
  p.cfg.skip_bcast_commit = opts_.skip_bcast_commit;
  p.cfg.max_size_per_msg = opts_.max_size_per_msg;
  p.cfg.max_inflight_msgs = opts_.max_inflight_msgs;
  p.cfg.max_uncommitted_entries_size = opts_.max_uncommitted_entries_size;
  p.cfg.seed = opts_.seed;
  p.node = std::make_unique<raw_node>(p.cfg, p.storage);
}

void network::add_peer(std::uint64_t id) {
  auto p = std::make_unique<peer>();
  p->cfg.id = nid(id);
  make_node(*p);
  peers_[id] = std::move(p);
}

peer& network::at(std::uint64_t id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) throw std::out_of_range("no such peer");
  return *it->second;
}

std::vector<std::uint64_t> network::ids() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, p] : peers_)
    out.push_back(id);
  return out;
}

bool network::handle_ready(std::uint64_t id) {
  auto& p = at(id);
  if (!p.node->has_ready()) return false;
  auto rd = p.node->ready();
  // 1. Persist.
  if (!rd.snapshot.is_empty()) {
    if (!p.storage.apply_snapshot(rd.snapshot)) throw std::runtime_error("apply_snapshot");
  }
  if (!p.storage.append(rd.entries)) throw std::runtime_error("append");
  if (rd.hard_state) p.storage.set_hard_state(*rd.hard_state);
  // 2. Send.
  auto out = [&](const std::vector<message>& ms) {
    for (const auto& m : ms) {
      if (hold)
        held.push_back(m);
      else
        queue_.push_back(m);
    }
  };
  out(rd.messages);
  out(rd.persisted_messages);
  // 3. Apply.
  for (const auto& e : rd.committed_entries) {
    p.applied_entries.push_back(e);
    if (e.type == entry_type::conf_change) {
      auto cc = conf_change::decode(e.data);
      if (!cc) throw std::runtime_error("bad conf change");
      p.storage.set_conf_state(p.node->apply_conf_change(*cc));
    } else if (!e.data.empty()) {
      p.applied.push_back(e.data);
    }
  }
  p.reads.insert(p.reads.end(), rd.read_states.begin(), rd.read_states.end());
  p.node->advance(rd);
  p.readys.push_back(std::move(rd));
  return true;
}

bool network::dropped(const message& m) const {
  if (cuts_.contains({m.from.value(), m.to.value()})) return true;
  if (drop_if && drop_if(m)) return true;
  return !peers_.contains(m.to.value());
}

void network::settle() {
  for (int guard = 0; guard < 1'000'000; ++guard) {
    bool moved = false;
    for (auto& [id, p] : peers_)
      while (handle_ready(id))
        moved = true;
    if (queue_.empty()) {
      if (!moved) return;
      continue;
    }
    auto m = std::move(queue_.front());
    queue_.pop_front();
    if (dropped(m)) continue;
    ++delivered;
    if (on_deliver) on_deliver(m);
    (void)at(m.to.value()).node->step(std::move(m));
  }
  throw std::runtime_error("network did not settle");
}

void network::elect(std::uint64_t id) {
  node(id).campaign();
  settle();
}

void network::tick(std::uint64_t id, int n) {
  for (int i = 0; i < n; ++i) {
    node(id).tick();
    settle();
  }
}

void network::tick_all(int n) {
  for (int i = 0; i < n; ++i) {
    for (auto& [id, p] : peers_)
      p->node->tick();
    settle();
  }
}

std::expected<void, error> network::propose(std::uint64_t id, std::string data) {
  auto r = node(id).propose(std::move(data));
  settle();
  return r;
}

void network::isolate(std::uint64_t id) {
  for (auto& [other, p] : peers_) {
    if (other == id) continue;
    cuts_.insert({id, other});
    cuts_.insert({other, id});
  }
}

void network::partition(std::set<std::uint64_t> a, std::set<std::uint64_t> b) {
  for (auto x : a)
    for (auto y : b) {
      cuts_.insert({x, y});
      cuts_.insert({y, x});
    }
}

void network::cut(std::uint64_t from, std::uint64_t to) {
  cuts_.insert({from, to});
}

void network::heal() {
  cuts_.clear();
  drop_if = nullptr;
}

void network::preload(std::uint64_t id, const std::vector<std::uint64_t>& terms, std::uint64_t term,
                      std::uint64_t commit) {
  auto& p = at(id);
  p.node.reset();
  p.storage = memory_storage{conf_};
  std::vector<entry> ents;
  for (std::size_t i = 0; i < terms.size(); ++i)
    ents.push_back(entry{.term = tid(terms[i]), .index = idx(i + 1)});
  if (!p.storage.append(ents)) throw std::runtime_error("preload append");
  p.storage.set_hard_state(hard_state{.term = tid(term), .commit = idx(commit)});
  make_node(p);
}

void network::bootstrap_at(std::uint64_t index, std::uint64_t term) {
  for (auto& [id, p] : peers_) {
    p->node.reset();
    p->storage = memory_storage{};
    snapshot snap;
    snap.meta = snapshot_metadata{.index = idx(index), .term = tid(term), .conf = conf_};
    if (!p->storage.apply_snapshot(snap)) throw std::runtime_error("bootstrap snapshot");
    p->storage.set_hard_state(hard_state{.term = tid(term), .commit = idx(index)});
    p->cfg.applied = idx(index);
    make_node(*p);
  }
}

void network::restart(std::uint64_t id) {
  auto& p = at(id);
  p.node.reset();
  p.cfg.applied = p.applied_entries.empty() ? log_index{} : p.applied_entries.back().index;
  auto snap = p.storage.snapshot();
  if (snap && snap->meta.index > p.cfg.applied) p.cfg.applied = snap->meta.index;
  make_node(p);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> log_terms(memory_storage& s) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  auto first = *s.first_index();
  auto last = *s.last_index();
  for (auto i = first; i <= last; ++i)
    out.emplace_back(i.value(), s.term(i)->value());
  return out;
}

const message* find_msg(const std::vector<message>& msgs, message_type t) {
  auto it = std::find_if(msgs.begin(), msgs.end(), [t](const message& m) { return m.type == t; });
  return it == msgs.end() ? nullptr : &*it;
}

}  // namespace rdb::raft::test
