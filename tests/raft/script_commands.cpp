#include <algorithm>
#include <limits>

#include "tests/raft/script_env.hpp"
#include "tests/raft/script_print.hpp"

namespace rdb::raft::script {

namespace {

/// Nodes a command names positionally, or every node if it names none.
std::vector<std::uint64_t> ids_or_all(const command& c,
                                      const std::map<std::uint64_t, node_slot>& nodes) {
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < c.positional_count(); ++i)
    ids.push_back(c.number(i));
  if (ids.empty())
    for (const auto& [id, s] : nodes)
      ids.push_back(id);
  return ids;
}

std::vector<node_id> to_node_ids(const std::vector<std::uint64_t>& v) {
  std::vector<node_id> out;
  for (auto x : v)
    out.emplace_back(x);
  return out;
}

/// An upper bound on stabilize rounds: a script that does not settle (say, two nodes
/// campaigning forever) fails instead of hanging.
constexpr int max_stabilize_rounds = 100;

}  // namespace

void env::add_nodes(const command& c, std::ostream& os) {
  c.allow_only({"voters", "learners", "index", "pre-vote", "check-quorum", "election", "heartbeat",
                "max-inflight", "max-inflight-bytes", "max-size-per-msg", "max-committed-size",
                "max-uncommitted-size", "disable-forwarding"});
  auto count = c.number(0);
  raft::conf_state cs{to_node_ids(c.number_list_value("voters")),
                      to_node_ids(c.number_list_value("learners"))};
  auto index = c.has("index") ? c.number_value("index") : 0;
  std::uint64_t first = nodes_.empty() ? 1 : nodes_.rbegin()->first + 1;
  for (auto id = first; id < first + count; ++id) {
    node_slot s;
    s.cfg.id = node_id{id};
    // etcd's interaction tests use 3/1: an election timeout of a few ticks keeps scripts short.
    s.cfg.election_tick = static_cast<int>(c.has("election") ? c.number_value("election") : 3);
    s.cfg.heartbeat_tick = static_cast<int>(c.has("heartbeat") ? c.number_value("heartbeat") : 1);
    s.cfg.pre_vote = c.bool_value("pre-vote", false);
    s.cfg.check_quorum = c.bool_value("check-quorum", false);
    s.cfg.disable_proposal_forwarding = c.bool_value("disable-forwarding", false);
    if (c.has("max-inflight")) s.cfg.max_inflight_msgs = c.number_value("max-inflight");
    if (c.has("max-inflight-bytes"))
      s.cfg.max_inflight_bytes = c.number_value("max-inflight-bytes");
    if (c.has("max-size-per-msg")) s.cfg.max_size_per_msg = c.number_value("max-size-per-msg");
    if (c.has("max-committed-size"))
      s.cfg.max_committed_size_per_ready = c.number_value("max-committed-size");
    if (c.has("max-uncommitted-size"))
      s.cfg.max_uncommitted_entries_size = c.number_value("max-uncommitted-size");
    // Distinct seeds: nodes with equal randomized timeouts would always campaign together.
    s.cfg.seed = id;
    s.storage = std::make_unique<raft::memory_storage>(cs);
    s.conf = cs;
    if (index > 0) {
      // Bootstrap as if a snapshot of a term-1 history up to `index` had been installed.
      raft::snapshot snap;
      snap.meta = {log_index{index}, term_id{1}, cs};
      if (auto r = s.storage->apply_snapshot(snap); !r)
        throw script_error("bootstrap snapshot refused: " + std::string{to_string(r.error().code)});
      s.storage->set_hard_state({term_id{1}, node_id{}, log_index{index}});
      s.applied = log_index{index};
      s.cfg.applied = s.applied;
    }
    if (auto v = s.cfg.validate(); !v)
      throw script_error("invalid config: " + std::string{to_string(v.error().code)});
    s.node.emplace(s.cfg, *s.storage);
    auto [it, inserted] = nodes_.emplace(id, std::move(s));
    print_status(os, it->second.node->status());
  }
}

void env::process_ready_cmd(const command& c, std::ostream& os) {
  c.allow_only({});
  for (auto id : ids_or_all(c, nodes_))
    if (!process_ready(id, os)) os << "> " << id << " has no ready\n";
}

void env::deliver_msgs_cmd(const command& c, std::ostream& os) {
  c.allow_only({"drop", "limit"});
  // limit=N delivers (or drops) only the first N messages to each node: the rest stay in
  // flight, to be handled by a later command.
  auto limit = c.has("limit") ? c.number_value("limit") : std::numeric_limits<std::size_t>::max();
  std::size_t n = 0;
  for (auto id : c.number_list_value("drop"))
    n += drop_to(id, os, limit);
  if (!c.has("drop") || c.positional_count() > 0)
    for (auto id : ids_or_all(c, nodes_))
      n += deliver(id, os, limit);
  if (n == 0) os << "no messages\n";
}

void env::stabilize(const command& c, std::ostream& os) {
  c.allow_only({});
  auto ids = ids_or_all(c, nodes_);
  for (int round = 0; round < max_stabilize_rounds; ++round) {
    bool busy = false;
    for (auto id : ids)
      busy = process_ready(id, os) || busy;
    for (auto id : ids)
      busy = deliver(id, os) > 0 || busy;
    if (!busy) return;
  }
  os << "did not stabilize after " << max_stabilize_rounds << " rounds\n";
}

void env::partition(const command& c, std::ostream& os) {
  c.allow_only({});
  // Every node of one group loses both directions to every node of the other groups; nodes in
  // no group stay connected to all.
  for (std::size_t a = 0; a < c.positional_count(); ++a)
    for (std::size_t b = 0; b < c.positional_count(); ++b)
      if (a != b)
        for (auto x : c.number_list(a))
          for (auto y : c.number_list(b))
            cut_.emplace(x, y);
  os << "ok\n";
}

void env::compact(const command& c, std::ostream& os) {
  c.allow_only({});
  auto& s = slot_arg(c);
  // Without an index: compact at whatever is applied, if that is past the last snapshot.
  auto index = c.positional_count() > 1 ? log_index{c.number(1)} : s.applied;
  if (c.positional_count() == 1 && index + 1 <= *s.storage->first_index()) {
    os << "nothing to compact\n";
    return;
  }
  // The snapshot holds the state machine and membership as of `applied`, so only that index
  // describes them exactly.
  if (index != s.applied)
    throw script_error("compact at " + std::to_string(index.value()) +
                       " but applied=" + std::to_string(s.applied.value()));
  if (auto r = s.storage->create_snapshot(index, s.conf, snapshot_data(s)); !r)
    throw script_error("create_snapshot: " + std::string{to_string(r.error().code)});
  if (auto r = s.storage->compact(index); !r)
    throw script_error("compact: " + std::string{to_string(r.error().code)});
  command log_cmd;
  log_cmd.name = "raft-log";
  log_cmd.positional.push_back({std::to_string(s.cfg.id.value())});
  os << run(log_cmd) << '\n';
}

void env::restart(const command& c, std::ostream& os) {
  c.allow_only({});
  auto& s = slot_arg(c);
  // Everything the raw_node held in memory is lost: role, leader, progress, proposals not yet
  // handed out in a ready. Storage and the state machine (with its applied index) survive.
  s.node.reset();
  s.cfg.applied = s.applied;
  s.node.emplace(s.cfg, *s.storage);
  print_status(os, s.node->status());
}

void env::crash(const command& c, std::ostream& os) {
  c.allow_only({});
  auto id = c.number(0);
  auto& s = slot(id);
  // The process dies in the middle of a ready: its plain messages may already be on the wire
  // (they need no durability), but nothing was persisted, applied or sent after persisting.
  if (s.node->has_ready()) {
    auto rd = s.node->ready();
    os << "> " << id << " crashing while handling Ready\n";
    print_ready(os, rd, "  ");
    for (const auto& m : rd.messages)
      send(m, os);
    os << "  lost: " << rd.entries.size() << " entries, " << (rd.hard_state ? "hard state, " : "")
       << rd.persisted_messages.size() << " persisted messages\n";
  }
  restart(c, os);
}

void env::propose_conf_change(const command& c, std::ostream& os) {
  c.allow_only({"type", "node"});
  const auto& t = c.value("type");
  raft::conf_change cc;
  if (t == "add-voter") {
    cc.type = conf_change_type::add_voter;
  } else if (t == "add-learner") {
    cc.type = conf_change_type::add_learner;
  } else if (t == "remove") {
    cc.type = conf_change_type::remove_node;
  } else {
    throw script_error("type must be add-voter, add-learner or remove");
  }
  cc.node_id = node_id{c.number_value("node")};
  auto r = slot_arg(c).node->propose_conf_change(cc);
  if (r) {
    os << "ok\n";
  } else {
    os << "error: " << to_string(r.error().code) << '\n';
  }
}

}  // namespace rdb::raft::script
