#include "actors/raft/raw_node.hpp"

#include "actors/raft/core.hpp"
#include "actors/raft/invariant.hpp"

namespace rdb::raft {

raw_node::raw_node(const config& cfg, log_storage& storage)
    : core_(std::make_unique<core>(cfg, storage)),
      prev_soft_(core_->soft_state()),
      prev_hard_(core_->hard_state()),
      max_outstanding_(cfg.max_outstanding_readies) {}

raw_node::raw_node(raw_node&&) noexcept = default;
raw_node& raw_node::operator=(raw_node&&) noexcept = default;
raw_node::~raw_node() = default;

// -- inputs -------------------------------------------------------------------

void raw_node::tick() {
  core_->tick();
}

void raw_node::campaign() {
  (void)core_->step(message{.type = message_type::hup, .from = core_->id()});
}

std::expected<void, error> raw_node::step(message m) {
  // Local triggers must come through the dedicated calls, never off the wire.
  if (is_local_message(m.type)) return std::unexpected{errc::step_local_msg};
  if (is_response_message(m.type) && core_->trk().find(m.from) == nullptr)
    return std::unexpected{errc::step_peer_not_found};
  return core_->step(std::move(m));
}

std::expected<void, error> raw_node::propose(std::string data) {
  message m{.type = message_type::propose, .from = core_->id()};
  m.entries.push_back(entry{.data = std::move(data)});
  return core_->step(std::move(m));
}

std::expected<void, error> raw_node::propose_batch(std::vector<std::string> data) {
  if (data.empty()) return {};
  message m{.type = message_type::propose, .from = core_->id()};
  m.entries.reserve(data.size());
  for (auto& d : data)
    m.entries.push_back(entry{.data = std::move(d)});
  return core_->step(std::move(m));
}

std::expected<void, error> raw_node::propose_conf_change(const conf_change& cc) {
  message m{.type = message_type::propose, .from = core_->id()};
  m.entries.push_back(entry{.type = entry_type::conf_change, .data = cc.encode()});
  return core_->step(std::move(m));
}

raft::conf_state raw_node::apply_conf_change(const conf_change& cc) {
  return core_->apply_conf_change(cc);
}

void raw_node::transfer_leader(node_id transferee) {
  (void)core_->step(message{.type = message_type::transfer_leader, .from = transferee});
}

std::expected<void, error> raw_node::read_index(std::string context) {
  message m{.type = message_type::read_index, .from = core_->id()};
  m.entries.push_back(entry{.data = std::move(context)});
  return core_->step(std::move(m));
}

void raw_node::report_unreachable(node_id id) {
  (void)core_->step(message{.type = message_type::unreachable, .from = id});
}

void raw_node::broadcast_commit() {
  // The leader's own `beat`: a heartbeat round; others ignore it.
  (void)core_->step(message{.type = message_type::beat});
}

void raw_node::report_snapshot(node_id id, bool ok) {
  (void)core_->step(message{.type = message_type::snapshot_status, .from = id, .reject = !ok});
}

// -- ready cycle --------------------------------------------------------------

bool raw_node::has_ready() const {
  if (outstanding_.size() >= max_outstanding_) return false;
  const auto& c = *core_;
  const auto& log = c.log();
  // A snapshot replaces the whole log: it is persisted alone, after every earlier ready.
  if (log.has_pending_snapshot()) return outstanding_.empty();
  if (c.soft_state() != prev_soft_) return true;
  if (c.hard_state() != prev_hard_) return true;
  if (log.has_entries_to_persist()) return true;
  if (!core_->msgs().empty() || !core_->msgs_after_append().empty()) return true;
  if (!core_->read_states().empty()) return true;
  return log.has_next_committed_ents();
}

raft::ready raw_node::ready() {
  expects(outstanding_.size() < max_outstanding_, "ready() called with the pipeline full");
  raft::ready rd;
  rd.number = ++ready_number_;
  auto& log = core_->log();
  outstanding out;
  out.number = rd.number;
  rd.entries = log.entries_to_persist();
  log.accept_in_progress();
  out.replacements = log.replacements();
  if (const auto& snap = log.pending_snapshot()) rd.snapshot = *snap;
  rd.committed_entries = log.next_committed_ents();
  if (!rd.committed_entries.empty()) {
    out.last_committed = rd.committed_entries.back().index;
    log.applying_to(out.last_committed);
  }
  rd.messages = std::move(core_->msgs());
  core_->msgs().clear();
  for (auto& m : core_->msgs_after_append()) {
    if (m.to == core_->id())
      out.self_messages.push_back(std::move(m));
    else
      rd.persisted_messages.push_back(std::move(m));
  }
  core_->msgs_after_append().clear();
  rd.read_states = std::move(core_->read_states());
  core_->read_states().clear();
  auto soft = core_->soft_state();
  if (soft != prev_soft_) {
    rd.soft_state = soft;
    prev_soft_ = soft;
  }
  auto hard = core_->hard_state();
  if (hard != prev_hard_) {
    rd.hard_state = hard;
    // A commit index alone can be recomputed after a crash; term and vote cannot (§5.1).
    rd.must_sync = hard.term != prev_hard_.term || hard.vote != prev_hard_.vote;
    prev_hard_ = hard;
  }
  rd.must_sync = rd.must_sync || !rd.entries.empty() || !rd.snapshot.is_empty();
  if (!rd.entries.empty()) {
    out.last_entry.index = rd.entries.back().index;
    out.last_entry.term = rd.entries.back().term;
  }
  out.snapshot_index = rd.snapshot.meta.index;
  for (const auto& e : rd.committed_entries)
    out.committed_bytes += e.data.size();
  outstanding_.push_back(std::move(out));
  return rd;
}

void raw_node::advance(const raft::ready& rd) {
  expects(!outstanding_.empty() && rd.number == outstanding_.front().number,
          "advance() of a ready that is not the oldest outstanding one");
  auto o = std::move(outstanding_.front());
  outstanding_.pop_front();
  auto& log = core_->log();
  if (!o.snapshot_index.is_none()) {
    log.stable_snap_to(o.snapshot_index);
    log.applied_to(o.snapshot_index);
  }
  // Entries replaced since this ready was handed out are written again by a later one, whose
  // acknowledgement marks them stable; this one's (index, term) may name an entry that came
  // back but is not on disk yet.
  if (!o.last_entry.index.is_none() && o.replacements == log.replacements())
    log.stable_to(o.last_entry.index, o.last_entry.term);
  if (!o.last_committed.is_none()) {
    log.applied_to(o.last_committed);
    core_->reduce_uncommitted_size(o.committed_bytes);
  }
  // Our own vote and our own append acknowledgement stand for state that is now durable.
  for (auto& m : o.self_messages)
    (void)core_->step(std::move(m));
}

// -- observers ----------------------------------------------------------------

raft::status raw_node::status() const {
  return core_->status();
}

node_id raw_node::id() const {
  return core_->id();
}

term_id raw_node::term() const {
  return core_->term();
}

node_id raw_node::leader() const {
  return core_->leader();
}

raft::role raw_node::role() const {
  return core_->role();
}

log_index raw_node::commit_index() const {
  return core_->log().committed();
}

log_index raw_node::applied_index() const {
  return core_->log().applied();
}

bool raw_node::lease_read_possible() const {
  return core_->lease_read_possible();
}

}  // namespace rdb::raft
