// The simulated network, clients and fault plan of the raft simulation.

#include <sstream>

#include "actors/raft/conf_change.hpp"
#include "tests/raft/sim/sim_world.hpp"

namespace rdb::raft::sim {

options options::from_seed(std::uint64_t seed) {
  raft::rng r{seed ^ 0x5eedf00dULL};
  options o;
  o.seed = seed;
  o.nodes = r.below(2) == 0 ? 3 : 5;
  o.pre_vote = r.below(2) == 0;
  o.check_quorum = r.below(2) == 0;
  o.drop_percent = static_cast<int>(r.below(31));
  o.duplicate_percent = static_cast<int>(r.below(6));
  o.max_delay_ms = 2 + static_cast<int>(r.below(30));
  o.max_persist_ms = 1 + static_cast<int>(r.below(10));
  static constexpr int restarts[] = {30, 200, 600};
  o.max_restart_ms = restarts[r.below(3)];
  static constexpr int intervals[] = {60, 150, 300};
  o.max_fault_interval_ms = intervals[r.below(3)];
  static constexpr std::uint64_t sizes[] = {0, 256, 4096};
  o.max_size_per_msg = sizes[r.below(3)];
  o.max_outstanding_readies = 1 + r.below(4);
  o.skip_bcast_commit = r.below(2) == 0;
  return o;
}

// -- network ------------------------------------------------------------------

void world::send(const raft::message& m) {
  hash(static_cast<std::uint64_t>(m.type));
  hash(m.to.value());
  hash(m.term.value());
  hash(m.index.value());
  auto to = slot_of(m.to);
  if (!to) return;
  auto copies = 1;
  if (!healed_) {
    if (static_cast<int>(rng_.below(100)) < drop_percent_)
      copies = 0;
    else if (static_cast<int>(rng_.below(100)) < duplicate_percent_)
      copies = 2;
  }
  if (copies == 0 && m.type == message_type::snapshot) {
    // The transport tells the leader that a snapshot did not get through, as a real one does.
    if (auto from = slot_of(m.from); from && is_up(*from))
      nodes_[*from].raft->report_snapshot(m.to, false);
    return;
  }
  for (int c = 0; c < copies; ++c)
    schedule_in(1 + rng_.below(static_cast<std::uint64_t>(opts_.max_delay_ms)), event_kind::deliver,
                *to, m);
}

bool world::blocked(node_id from, node_id to) const {
  return cut_.contains({from, to});
}

void world::on_deliver(event& ev) {
  auto& m = ev.msg;
  auto lost = !is_up(ev.node) || blocked(m.from, m.to);
  if (m.type == message_type::snapshot) {
    if (auto from = slot_of(m.from); from && is_up(*from))
      nodes_[*from].raft->report_snapshot(m.to, !lost);
  }
  if (lost) return;
  (void)nodes_[ev.node].raft->step(std::move(m));
  maybe_take_ready(ev.node);
  observe(ev.node);
}

// -- clients ------------------------------------------------------------------

std::optional<std::size_t> world::leader_slot() const {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!is_up(i) || nodes_[i].raft->role() != raft::role::leader) continue;
    if (!best || nodes_[i].raft->term() > nodes_[*best].raft->term()) best = i;
  }
  return best;
}

void world::propose(std::string data) {
  auto target = leader_slot();
  if (!target || rng_.below(5) == 0) {
    // Sometimes a client talks to whoever it reaches first; followers forward proposals.
    auto i = rng_.below(nodes_.size());
    if (!is_up(i)) return;
    target = i;
  }
  (void)nodes_[*target].raft->propose(std::move(data));
  maybe_take_ready(*target);
  observe(*target);
}

void world::issue_read() {
  auto target = leader_slot();
  if (!target || rng_.below(3) == 0) {
    auto i = rng_.below(nodes_.size());
    if (!is_up(i)) return;
    target = i;
  }
  auto ctx = "r" + std::to_string(next_read_++);
  reads_[ctx] = checker_.max_applied();
  (void)nodes_[*target].raft->read_index(ctx);
  maybe_take_ready(*target);
  observe(*target);
}

void world::on_client() {
  if (!healed_ && pending_.size() < 4) {
    auto id = next_proposal_++;
    pending_[id] = now_;
    propose("p" + std::to_string(id));
  }
  // Clients retry what has not been applied: raft may drop proposals on leader changes.
  std::vector<std::uint64_t> retry;
  for (auto& [id, sent] : pending_)
    if (now_ - sent >= 150) {
      sent = now_;
      retry.push_back(id);
    }
  for (auto id : retry)
    propose("p" + std::to_string(id));
  if (rng_.below(4) == 0) issue_read();
  schedule_in(10 + rng_.below(20), event_kind::client, 0);
}

// -- faults -------------------------------------------------------------------

void world::on_fault() {
  if (healed_) return;
  ++result_.faults;
  switch (rng_.below(8)) {
    case 0:
    case 1:
      if (opts_.crashes) {
        auto i = rng_.below(nodes_.size());
        if (is_up(i)) {
          crash(i);
          schedule_in(1 + rng_.below(static_cast<std::uint64_t>(opts_.max_restart_ms)),
                      event_kind::restart, i);
        }
      }
      break;
    case 2:
      if (opts_.partitions) partition_randomly();
      break;
    case 3:
      cut_.clear();
      break;
    case 4:
      drop_percent_ = static_cast<int>(rng_.below(31));
      break;
    case 5:
      if (opts_.conf_changes) propose_conf_change();
      break;
    case 6:
      if (opts_.leader_transfers)
        if (auto l = leader_slot()) {
          auto conf = nodes_[*l].raft->status().conf;
          if (!conf.voters.empty())
            nodes_[*l].raft->transfer_leader(conf.voters[rng_.below(conf.voters.size())]);
        }
      break;
    default:
      break;
  }
  schedule_in(1 + rng_.below(static_cast<std::uint64_t>(opts_.max_fault_interval_ms)),
              event_kind::fault, 0);
}

void world::partition_randomly() {
  cut_.clear();
  std::vector<node_id> live;
  for (auto& n : nodes_)
    if (!n.destroyed) live.push_back(n.id);
  if (live.size() < 2) return;
  auto cut_both = [this](node_id a, node_id b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  };
  auto pick = live[rng_.below(live.size())];
  switch (rng_.below(3)) {
    case 0:  // isolate one node
      for (auto id : live)
        if (id != pick) cut_both(pick, id);
      break;
    case 1: {  // split into two random halves
      std::vector<bool> side(live.size());
      for (std::size_t k = 0; k < live.size(); ++k)
        side[k] = rng_.below(2) == 0;
      for (std::size_t a = 0; a < live.size(); ++a)
        for (std::size_t b = a + 1; b < live.size(); ++b)
          if (side[a] != side[b]) cut_both(live[a], live[b]);
      break;
    }
    default:  // one-way: `pick` hears everyone but nobody hears it
      for (auto id : live)
        if (id != pick) cut_.insert({pick, id});
      break;
  }
}

void world::propose_conf_change() {
  auto l = leader_slot();
  if (!l) return;
  auto conf = nodes_[*l].raft->status().conf;
  conf_change cc;
  if (!conf.learners.empty()) {
    cc.type = conf_change_type::add_voter;  // promote
    cc.node_id = conf.learners.front();
  } else if (conf.voters.size() <= static_cast<std::size_t>(opts_.nodes)) {
    // A new replica starts empty and learns everything from the leader.
    cc.type = conf_change_type::add_learner;
    cc.node_id = node_id{next_node_id_++};
    start(add_node(cc.node_id, nullptr));
  } else {
    cc.type = conf_change_type::remove_node;
    cc.node_id = conf.voters[rng_.below(conf.voters.size())];
  }
  (void)nodes_[*l].raft->propose_conf_change(cc);
  maybe_take_ready(*l);
  observe(*l);
}

void world::heal() {
  healed_ = true;
  cut_.clear();
  drop_percent_ = 0;
  duplicate_percent_ = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (!is_up(i) && !nodes_[i].destroyed) start(i);
}

bool world::converged(std::string& why) const {
  auto l = leader_slot();
  if (!l) {
    why = "no leader";
    return false;
  }
  if (!pending_.empty()) {
    std::ostringstream os;
    os << pending_.size() << " proposals not applied, first p" << pending_.begin()->first;
    why = os.str();
    return false;
  }
  const auto& leader = *nodes_[*l].raft;
  auto st = leader.status();
  auto members = st.conf.voters;
  members.insert(members.end(), st.conf.learners.begin(), st.conf.learners.end());
  for (auto id : members) {
    auto i = slot_of(id);
    if (!i || !is_up(*i) || nodes_[*i].raft->leader() != leader.id() ||
        nodes_[*i].sm.applied < leader.commit_index()) {
      std::ostringstream os;
      os << "member " << id << " has not caught up with leader " << leader.id();
      why = os.str();
      return false;
    }
  }
  return true;
}

}  // namespace rdb::raft::sim
