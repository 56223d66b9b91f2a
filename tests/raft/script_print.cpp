#include "tests/raft/script_print.hpp"

#include <sstream>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/message.hpp"

namespace rdb::raft::script {

std::string format_ids(const std::vector<node_id>& ids) {
  std::string out = "(";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i].value());
  }
  return out + ')';
}

std::string format_conf(const raft::conf_state& cs) {
  return "voters=" + format_ids(cs.voters) + " learners=" + format_ids(cs.learners);
}

std::string format_entry(const raft::entry& e) {
  auto out = raft::to_string(e);
  if (e.type != entry_type::conf_change) return out;
  auto cc = conf_change::decode(e.data);
  if (!cc) return out + " <undecodable: " + std::string{to_string(cc.error().code)} + ">";
  return out + " <" + std::string{to_string(cc->type)} + " " + std::to_string(cc->node_id.value()) +
         ">";
}

std::string format_snapshot_meta(const raft::snapshot_metadata& m) {
  std::ostringstream os;
  os << 'i' << m.index << " t" << m.term << ' ' << format_conf(m.conf);
  return os.str();
}

void print_ready(std::ostream& os, const raft::ready& rd, const std::string& indent) {
  os << indent << "Ready #" << rd.number << (rd.must_sync ? " must_sync" : "") << ":\n";
  auto in = indent + "  ";
  if (rd.soft_state)
    os << in << "soft: leader=" << rd.soft_state->leader
       << " role=" << to_string(rd.soft_state->role) << '\n';
  if (rd.hard_state)
    os << in << "hard: term=" << rd.hard_state->term << " vote=" << rd.hard_state->vote
       << " commit=" << rd.hard_state->commit << '\n';
  if (!rd.snapshot.is_empty())
    os << in << "snapshot: " << format_snapshot_meta(rd.snapshot.meta) << '\n';
  auto list = [&](const char* title, const auto& items, auto fmt) {
    if (items.empty()) return;
    os << in << title << ":\n";
    for (const auto& x : items)
      os << in << "  " << fmt(x) << '\n';
  };
  list("entries", rd.entries, format_entry);
  list("committed", rd.committed_entries, format_entry);
  auto msg = [](const raft::message& m) { return raft::to_string(m); };
  list("messages", rd.messages, msg);
  list("persisted_messages", rd.persisted_messages, msg);
  list("read_states", rd.read_states, [](const raft::read_state& r) {
    return "i" + std::to_string(r.index.value()) + " ctx=" + r.context;
  });
}

void print_status(std::ostream& os, const raft::status& st) {
  os << st.id << ": term=" << st.term << " vote=" << st.vote << " role=" << to_string(st.role)
     << " leader=" << st.leader << " commit=" << st.commit << " applied=" << st.applied;
  if (!st.lead_transferee.is_none()) os << " transferee=" << st.lead_transferee;
  os << '\n' << "   " << format_conf(st.conf) << '\n';
  for (const auto& p : st.progress) {
    os << "   " << p.id << ": " << to_string(p.state) << " match=" << p.match << " next=" << p.next;
    if (p.state == progress_state::snapshot) os << " pending_snap=" << p.pending_snapshot;
    if (p.inflight > 0) os << " inflight=" << p.inflight;
    if (p.paused) os << " paused";
    if (p.recent_active) os << " active";
    if (p.is_learner) os << " learner";
    os << '\n';
  }
}

}  // namespace rdb::raft::script
