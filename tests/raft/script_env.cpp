#include "tests/raft/script_env.hpp"

#include <algorithm>

#include "tests/raft/script_print.hpp"

namespace rdb::raft::script {

namespace {

void print_result(std::ostream& os, const std::expected<void, error>& r) {
  if (r) {
    os << "ok\n";
  } else {
    os << "error: " << to_string(r.error().code) << '\n';
  }
}

}  // namespace

std::string env::run(const command& c) {
  std::ostringstream os;
  const auto& n = c.name;
  if (n == "add-nodes") {
    add_nodes(c, os);
  } else if (n == "campaign") {
    c.allow_only({});
    slot_arg(c).node->campaign();
    os << "ok\n";
  } else if (n == "propose") {
    c.allow_only({});
    print_result(os, slot_arg(c).node->propose(c.word(1)));
  } else if (n == "propose-conf-change") {
    propose_conf_change(c, os);
  } else if (n == "transfer-leader") {
    c.allow_only({"from", "to"});
    slot(c.number_value("from")).node->transfer_leader(node_id{c.number_value("to")});
    os << "ok\n";
  } else if (n == "read-index") {
    c.allow_only({});
    print_result(os, slot_arg(c).node->read_index(c.word(1)));
  } else if (n == "tick-election" || n == "tick-heartbeat" || n == "tick") {
    c.allow_only({});
    auto& s = slot_arg(c);
    std::uint64_t ticks = n == "tick"            ? c.number(1)
                          : n == "tick-election" ? static_cast<std::uint64_t>(s.cfg.election_tick)
                                                 : static_cast<std::uint64_t>(s.cfg.heartbeat_tick);
    for (std::uint64_t i = 0; i < ticks; ++i)
      s.node->tick();
    os << "ok\n";
  } else if (n == "process-ready") {
    process_ready_cmd(c, os);
  } else if (n == "deliver-msgs") {
    deliver_msgs_cmd(c, os);
  } else if (n == "stabilize") {
    stabilize(c, os);
  } else if (n == "partition") {
    partition(c, os);
  } else if (n == "heal") {
    c.allow_only({});
    cut_.clear();
    os << "ok\n";
  } else if (n == "drop") {
    c.allow_only({"from", "to"});
    cut_.emplace(c.number_value("from"), c.number_value("to"));
    os << "ok\n";
  } else if (n == "status") {
    c.allow_only({});
    print_status(os, slot_arg(c).node->status());
  } else if (n == "raft-state") {
    c.allow_only({});
    for (auto& [id, s] : nodes_) {
      auto st = s.node->status();
      os << id << ": " << to_string(st.role) << " term=" << st.term << " leader=" << st.leader
         << " commit=" << st.commit << '\n';
    }
  } else if (n == "raft-log") {
    c.allow_only({});
    auto& st = *slot_arg(c).storage;
    auto snap = st.snapshot();
    if (snap && !snap->is_empty()) os << "snapshot: " << format_snapshot_meta(snap->meta) << '\n';
    auto ents = st.entries(*st.first_index(), *st.last_index() + 1,
                           std::numeric_limits<std::uint64_t>::max());
    if (ents && ents->empty()) os << "log is empty\n";
    if (ents)
      for (const auto& e : *ents)
        os << format_entry(e) << '\n';
  } else if (n == "applied") {
    c.allow_only({});
    auto& s = slot_arg(c);
    os << "applied=" << s.applied << " data=(";
    for (std::size_t i = 0; i < s.applied_data.size(); ++i)
      os << (i > 0 ? "," : "") << s.applied_data[i];
    os << ")\n";
  } else if (n == "compact") {
    compact(c, os);
  } else if (n == "restart") {
    restart(c, os);
  } else if (n == "crash") {
    crash(c, os);
  } else if (n == "report-unreachable") {
    c.allow_only({});
    slot_arg(c).node->report_unreachable(node_id{c.number(1)});
    os << "ok\n";
  } else if (n == "report-snapshot") {
    c.allow_only({"ok"});
    slot_arg(c).node->report_snapshot(node_id{c.number(1)}, c.bool_value("ok", true));
    os << "ok\n";
  } else {
    throw script_error("line " + std::to_string(c.line) + ": unknown command " + n);
  }
  auto out = os.str();
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out.empty() ? "ok" : out;
}

node_slot& env::slot(std::uint64_t id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) throw script_error("no node " + std::to_string(id));
  return it->second;
}

node_slot& env::slot_arg(const command& c) {
  return slot(c.number(0));
}

bool env::process_ready(std::uint64_t id, std::ostream& os) {
  auto& s = slot(id);
  auto& rn = *s.node;
  if (!rn.has_ready()) return false;
  auto rd = rn.ready();
  os << "> " << id << " handling Ready\n";
  print_ready(os, rd, "  ");

  // 1. Persist. Storage is synchronous here, so must_sync is always honoured.
  if (!rd.snapshot.is_empty()) {
    if (auto r = s.storage->apply_snapshot(rd.snapshot); !r)
      os << "  apply_snapshot failed: " << to_string(r.error().code) << '\n';
  }
  if (auto r = s.storage->append(rd.entries); !r)
    os << "  append failed: " << to_string(r.error().code) << '\n';
  if (rd.hard_state) s.storage->set_hard_state(*rd.hard_state);

  // 2. Send. Both kinds go out now: persistence above already finished.
  for (const auto& m : rd.messages)
    send(m, os);
  for (const auto& m : rd.persisted_messages)
    send(m, os);

  // 3. Apply: the snapshot replaces the state machine, then committed entries follow it.
  if (!rd.snapshot.is_empty()) {
    s.applied_data.clear();
    const auto& d = rd.snapshot.data;
    for (std::size_t pos = 0; pos < d.size();) {
      auto comma = std::min(d.find(',', pos), d.size());
      s.applied_data.push_back(d.substr(pos, comma - pos));
      pos = comma + 1;
    }
    s.applied = rd.snapshot.meta.index;
    s.conf = rd.snapshot.meta.conf;
  }
  for (const auto& e : rd.committed_entries)
    apply_committed(s, e, os);

  // 4. Acknowledge.
  rn.advance(rd);
  return true;
}

void env::apply_committed(node_slot& s, const raft::entry& e, std::ostream& os) {
  // Handing out an entry twice, or out of order, would make the state machine diverge.
  if (e.index != s.applied + 1)
    os << "  apply out of order: " << format_entry(e) << " after applied=" << s.applied << '\n';
  s.applied = e.index;
  if (e.type == entry_type::normal) {
    if (!e.data.empty()) s.applied_data.push_back(e.data);
    return;
  }
  auto cc = conf_change::decode(e.data);
  if (!cc) {
    os << "  undecodable conf change at " << e.index << '\n';
    return;
  }
  s.conf = s.node->apply_conf_change(*cc);
  s.storage->set_conf_state(s.conf);
  os << "  applied " << to_string(cc->type) << ' ' << cc->node_id << ": " << format_conf(s.conf)
     << '\n';
}

void env::send(const raft::message& m, std::ostream& os) {
  // A cut link loses the message right away, so healing a partition never resurrects what was
  // sent during it.
  if (link_cut(m.from, m.to)) {
    os << "  dropped: " << to_string(m) << '\n';
  } else {
    network_.push_back(m);
  }
}

bool env::link_cut(node_id from, node_id to) const {
  return cut_.contains({from.value(), to.value()});
}

bool env::has_msgs_for(std::uint64_t id) const {
  return std::any_of(network_.begin(), network_.end(),
                     [&](const raft::message& m) { return m.to.value() == id; });
}

std::size_t env::deliver(std::uint64_t id, std::ostream& os, std::size_t limit) {
  // Take the batch first: replies produced while stepping wait for the next process-ready.
  std::vector<raft::message> batch;
  std::erase_if(network_, [&](const raft::message& m) {
    if (m.to.value() != id || batch.size() >= limit) return false;
    batch.push_back(m);
    return true;
  });
  if (batch.empty()) return 0;
  os << "> " << id << " receiving messages\n";
  auto& s = slot(id);
  for (auto& m : batch) {
    if (link_cut(m.from, m.to)) {
      os << "  dropped: " << to_string(m) << '\n';
      continue;
    }
    os << "  " << to_string(m) << '\n';
    if (auto r = s.node->step(std::move(m)); !r)
      os << "    error: " << to_string(r.error().code) << '\n';
  }
  return batch.size();
}

std::size_t env::drop_to(std::uint64_t id, std::ostream& os, std::size_t limit) {
  std::size_t n = 0;
  std::erase_if(network_, [&](const raft::message& m) {
    if (m.to.value() != id || n >= limit) return false;
    os << "dropped: " << to_string(m) << '\n';
    ++n;
    return true;
  });
  return n;
}

std::string env::snapshot_data(const node_slot& s) const {
  std::string out;
  for (std::size_t i = 0; i < s.applied_data.size(); ++i) {
    if (i > 0) out += ',';
    out += s.applied_data[i];
  }
  return out;
}

}  // namespace rdb::raft::script
