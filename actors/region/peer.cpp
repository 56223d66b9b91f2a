#include "actors/region/peer.hpp"

#include <algorithm>
#include <utility>

#include "actors/region/little_endian.hpp"
#include "actors/region/region_snapshot.hpp"
#include "actors/store/region_bootstrap.hpp"

namespace rdb {

namespace {

raft::config make_raft_config(const peer_config& cfg, peer_id id, raft::log_index applied,
                              bool history) {
  raft::config rc;
  rc.id = id;
  rc.election_tick = cfg.election_tick;
  rc.heartbeat_tick = cfg.heartbeat_tick;
  rc.applied = applied;
  rc.max_size_per_msg = std::uint64_t{1} << 20;
  rc.max_committed_size_per_ready = std::uint64_t{4} << 20;
  rc.max_inflight_msgs = 256;
  rc.max_outstanding_readies = cfg.max_outstanding_readies;
  rc.check_quorum = true;
  rc.pre_vote = true;
  // A follower answers not_leader with a hint instead: the client then talks to the leader
  // directly, and a proposal is only ever waited for on the replica that made it.
  rc.disable_proposal_forwarding = true;
  // Writes are answered and read on the leader: a follower that learns a commit at the next
  // append or heartbeat loses nothing, and announcing each commit alone cost every follower a
  // message, a ready and a log write per write of a region.
  rc.skip_bcast_commit = true;
  // With leases, a member that restarts keeps refusing votes for an election timeout, as it
  // did before, so a leader's lease survives its followers' restarts
  // (actors/region/peer_lease.cpp). A replica still at its founding term never heard a leader
  // and holds up no one's lease.
  rc.refuse_votes_after_start = history && cfg.lease.count() > 0;
  // The core mixes in the node id itself.
  rc.seed = cfg.seed;
  return rc;
}

/// The command of a client write, with the fields every write carries.
template <class Request>
command write_command(command_kind kind, const Request& req) {
  command cmd;
  cmd.kind = kind;
  cmd.client = req.client;
  cmd.seq = req.seq;
  cmd.first_incomplete = req.first_incomplete;
  cmd.key = req.key;
  return cmd;
}

/// The region's client sessions as of its applied index: the checkpoint on disk, then the
/// writes of the log entries after it replayed (actors/region/session_table.hpp).
storage::result<session_table> load_sessions(const peer_config& cfg, const storage::engines& st,
                                             raft_storage& log) {
  raft::log_index index;
  std::vector<storage::client_session> sessions;
  {
    // Released before the replay: an open read view holds off the kv map's growth.
    auto view = st.kv->read();
    if (!view) return std::unexpected{view.error()};
    auto i = view->load_session_index(cfg.region);
    if (!i) return std::unexpected{i.error()};
    auto s = view->load_client_sessions(cfg.region);
    if (!s) return std::unexpected{s.error()};
    index = *i;
    sessions = std::move(*s);
  }
  session_table table{cfg.sessions};
  table.load(std::move(sessions), index);
  const auto& as = log.apply_state();
  auto replayed = replay_sessions(table, *st.raft, cfg.region, std::max(index, as.truncated_index),
                                  as.applied_index);
  if (!replayed) return std::unexpected{replayed.error()};
  return table;
}

}  // namespace

// -- construction ---------------------------------------------------------------------------

storage::result<std::unique_ptr<peer>> peer::open(const peer_config& cfg,
                                                  const storage::engines& st) {
  auto rs = raft_storage::open(st, cfg.region);
  bool founded = rs && (*rs)->region_state().state != storage::peer_state::tombstone;
  if (!founded && !cfg.created_as.is_none()) {
    // A tombstone has no apply state left, so it opens as `not_found` too.
    if (!rs && rs.error().code != storage::errc::not_found) return std::unexpected{rs.error()};
    auto fresh = raft_storage::open_uninitialized(st, cfg.region);
    if (!fresh) return std::unexpected{fresh.error()};
    storage::region_peer self{cfg.created_as, cfg.store, storage::peer_role::learner};
    return std::unique_ptr<peer>{
        new peer(cfg, st.kv, std::move(*fresh), self, session_table{cfg.sessions})};
  }
  if (!rs) return std::unexpected{rs.error()};
  if (!founded)
    return storage::fail(storage::errc::not_found, "region " + std::to_string(cfg.region.value()) +
                                                       " left this store (tombstone)");
  const auto& meta = (*rs)->region_state().region;
  auto i = std::find_if(meta.peers.begin(), meta.peers.end(),
                        [&](const storage::region_peer& p) { return p.store == cfg.store; });
  if (i == meta.peers.end())
    return storage::fail(storage::errc::invalid_argument,
                         "region " + std::to_string(cfg.region.value()) + " has no peer on store " +
                             std::to_string(cfg.store.value()));
  auto self = *i;
  auto sessions = load_sessions(cfg, st, **rs);
  if (!sessions) return std::unexpected{sessions.error()};
  return std::unique_ptr<peer>{new peer(cfg, st.kv, std::move(*rs), self, std::move(*sessions))};
}

peer::peer(const peer_config& cfg, std::shared_ptr<storage::store> kv,
           std::unique_ptr<raft_storage> rs, storage::region_peer self, session_table sessions)
    : cfg_(cfg),
      kv_(std::move(kv)),
      storage_(std::move(rs)),
      raw_(make_raft_config(cfg, self.id, storage_->apply_state().applied_index,
                            storage_->hard_state().term > founding_term),
           *storage_),
      self_(self),
      applied_(storage_->apply_state().applied_index),
      handed_out_(applied_),
      sessions_(std::move(sessions)) {
  if (storage_->log_reset_pending()) reset_log(0, storage_->apply_state(), storage_->hard_state());
}

// -- checks ---------------------------------------------------------------------------------

std::optional<request_error> peer::check_header(const request_header& h, bool admin) const {
  const auto& m = meta();
  if (h.region != m.id)
    return make_request_error(errc::region_not_found, h.region,
                              "this replica serves region " + std::to_string(m.id.value()));
  if (!initialized())
    return make_request_error(errc::region_not_found, h.region,
                              "this replica waits for the region's first snapshot");
  bool stale =
      h.epoch.version != m.epoch.version || (admin && h.epoch.conf_ver != m.epoch.conf_ver);
  if (stale)
    return make_epoch_not_match(m, "request epoch " + std::to_string(h.epoch.conf_ver) + "/" +
                                       std::to_string(h.epoch.version) + ", region epoch " +
                                       std::to_string(m.epoch.conf_ver) + "/" +
                                       std::to_string(m.epoch.version));
  return std::nullopt;
}

std::optional<request_error> peer::check_key(std::string_view key) const {
  if (auto e = cfg_.limits.check_key(key, meta().id)) return e;
  if (!storage::contains_key(meta(), key))
    return make_request_error(errc::key_not_in_region, meta().id, "key outside the region");
  return std::nullopt;
}

std::optional<request_error> peer::check_value(std::string_view value) const {
  return cfg_.limits.check_value(value, meta().id);
}

std::optional<request_error> peer::check_leader() const {
  if (is_leader()) return std::nullopt;
  return make_not_leader(meta().id, leader());
}

std::optional<request_error> peer::check_capacity() const {
  if (proposals_.size() + reads_.size() < cfg_.max_pending_requests) return std::nullopt;
  return make_request_error(
      errc::server_busy, meta().id,
      std::to_string(proposals_.size() + reads_.size()) + " requests already wait on this replica");
}

void peer::fail(std::uint64_t token, request_error e) {
  if (e.region.is_none()) e.region = meta().id;
  output_.replies.push_back(peer_reply{token, std::move(e)});
}

void peer::reply(std::uint64_t token, peer_reply::answer_type answer) {
  output_.replies.push_back(peer_reply{token, std::move(answer)});
}

storage::region_peer peer::leader() const {
  auto id = raw_.leader();
  if (id.is_none()) return {};
  for (const auto& p : meta().peers)
    if (p.id == id) return p;
  return storage::region_peer{id, store_id{}, storage::peer_role::voter};
}

bool peer::is_leader() const {
  return raw_.role() == raft::role::leader;
}

// -- client requests --------------------------------------------------------------------------

void peer::get(std::uint64_t token, const get_request& req) {
  note_activity();
  auto err = check_header(req.header, false);
  if (!err) err = check_key(req.key);
  if (!err) err = check_leader();
  if (!err) err = check_capacity();
  if (err) return fail(token, std::move(*err));
  pending_read r;
  r.token = token;
  r.get = req;
  read(token, std::move(r));
}

void peer::scan(std::uint64_t token, const scan_request& req) {
  note_activity();
  auto err = check_header(req.header, false);
  if (!err) err = check_key(req.start_key);
  if (!err && req.limit == 0)
    err = make_request_error(errc::invalid_argument, meta().id, "scan limit must be at least 1");
  if (!err && !req.end_key.empty() && req.end_key <= req.start_key)
    err = make_request_error(errc::invalid_argument, meta().id, "empty scan range");
  if (!err) err = check_leader();
  if (!err) err = check_capacity();
  if (err) return fail(token, std::move(*err));
  pending_read r;
  r.token = token;
  r.is_scan = true;
  r.scan = req;
  read(token, std::move(r));
}

void peer::put(std::uint64_t token, const put_request& req) {
  note_activity();
  auto err = check_write(req.header, req.key, req.value, {});
  if (err) return fail(token, std::move(*err));
  auto cmd = write_command(command_kind::put, req);
  cmd.value = req.value;
  propose(token, std::move(cmd));
}

void peer::del(std::uint64_t token, const delete_request& req) {
  note_activity();
  auto err = check_write(req.header, req.key, {}, {});
  if (err) return fail(token, std::move(*err));
  propose(token, write_command(command_kind::del, req));
}

void peer::cas(std::uint64_t token, const cas_request& req) {
  note_activity();
  auto err = check_write(req.header, req.key, req.value, req.expected);
  if (err) return fail(token, std::move(*err));
  auto cmd = write_command(command_kind::cas, req);
  cmd.value = req.value;
  cmd.expect_absent = req.expect_absent;
  cmd.expected = req.expected;
  propose(token, std::move(cmd));
}

std::optional<request_error> peer::check_write(const request_header& h, std::string_view key,
                                               std::string_view value,
                                               std::string_view expected) const {
  auto err = check_header(h, false);
  if (!err) err = check_key(key);
  if (!err) err = check_value(value);
  if (!err) err = check_value(expected);
  if (!err) err = check_leader();
  if (!err) err = check_capacity();
  return err;
}

void peer::change_peer(std::uint64_t token, const change_peer_request& req) {
  note_activity();
  auto err = check_header(req.header, true);
  if (!err && req.peer.id.is_none())
    err = make_request_error(errc::invalid_argument, meta().id, "peer id must be set");
  if (!err) err = check_leader();
  if (!err) err = check_capacity();
  if (err) return fail(token, std::move(*err));
  command cmd;
  cmd.kind = command_kind::change_peer;
  cmd.proposer = self_.id;
  cmd.tag = next_tag_++;
  cmd.change = req.kind;
  cmd.peer = req.peer;
  cmd.conf_ver = meta().epoch.conf_ver + 1;
  raft::conf_change cc;
  switch (req.kind) {
    case peer_change_kind::add_voter:
      cc.type = raft::conf_change_type::add_voter;
      break;
    case peer_change_kind::add_learner:
      cc.type = raft::conf_change_type::add_learner;
      break;
    case peer_change_kind::remove:
      cc.type = raft::conf_change_type::remove_node;
      break;
  }
  cc.node_id = req.peer.id;
  cc.context = command_codec::encode(cmd);
  if (auto res = raw_.propose_conf_change(cc); !res) {
    fail(token, make_not_leader(meta().id, leader()));
  } else {
    proposals_.add(cmd.tag, token);
  }
  maybe_handle_ready();
}

void peer::propose(std::uint64_t token, command cmd) {
  cmd.proposer = self_.id;
  cmd.tag = next_tag_++;
  if (auto res = raw_.propose(command_codec::encode(cmd)); !res) {
    // Dropped by raft: no leader, a transfer in flight, or the uncommitted tail is full.
    fail(token, make_not_leader(meta().id, leader()));
  } else {
    proposals_.add(cmd.tag, token);
  }
  maybe_handle_ready();
}

void peer::read(std::uint64_t token, pending_read r) {
  r.token = token;
  if (lease_valid()) {
    // No round: within the lease no other leader exists, so every write answered before this
    // read is at or below the commit index.
    ++lease_reads_;
    r.index = raw_.commit_index();
    r.round = lease_round;
    reads_.emplace(next_tag_++, std::move(r));
    serve_reads();
    return;
  }
  r.round = 0;
  reads_.emplace(next_tag_++, std::move(r));
  start_read_round();
  maybe_handle_ready();
}

void peer::start_read_round() {
  if (read_round_ != 0) return;
  auto waiting = [](const auto& entry) { return entry.second.round == 0; };
  if (std::none_of(reads_.begin(), reads_.end(), waiting)) return;
  auto tag = next_tag_++;
  std::string ctx;
  little_endian::append(ctx, tag);
  if (auto res = raw_.read_index(std::move(ctx)); !res) {
    for (auto i = reads_.begin(); i != reads_.end();) {
      if (!waiting(*i)) {
        ++i;
        continue;
      }
      fail(i->second.token, make_not_leader(meta().id, leader()));
      i = reads_.erase(i);
    }
    return;
  }
  read_round_ = tag;
  round_started_ = now_;
  round_epoch_ = lease_epoch_;
  for (auto& entry : reads_)
    if (waiting(entry)) entry.second.round = tag;
}

void peer::end_read_round(std::uint64_t tag, raft::log_index index) {
  // Tag 0 names no round: it must not release the reads waiting for the next one.
  if (tag == 0) return;
  for (auto& [t, r] : reads_)
    if (r.round == tag) r.index = index;
  if (tag == read_round_) {
    read_round_ = 0;
    // A quorum answered heartbeats sent after the round started.
    renew_lease(round_started_, round_epoch_);
  }
  start_read_round();
}

// -- raft inputs --------------------------------------------------------------------------------

void peer::step(const raft_envelope& env) {
  if (env.region != meta().id || env.to.id != self_.id) return;
  auto t = env.msg.type;
  if (!initialized()) {
    // A replica without the region's state has no log to judge a candidate's by: a vote from
    // it could elect one that lacks committed entries, and it keeps no vote across a restart.
    if (t == raft::message_type::vote || t == raft::message_type::pre_vote) return;
    // Its meta lists nobody yet: answers go back to whoever wrote.
    senders_[env.from.id.value()] = env.from;
  }
  if (stale_sender(env)) return;
  // A sender this replica's meta does not list yet joined in a membership change it has not
  // applied (a stale sender was dropped above): its vote requests and appends need answers, or
  // a group that needs this replica's vote could not elect the new member.
  if (initialized() &&
      std::ranges::find(meta().peers, env.from.id, &storage::region_peer::id) == meta().peers.end())
    senders_[env.from.id.value()] = env.from;
  if (t == raft::message_type::snapshot && stale_snapshot(env.msg.snapshot)) return;
  last_heard_[env.from.id.value()] = now_;
  if (t != raft::message_type::heartbeat && t != raft::message_type::heartbeat_resp)
    note_activity();
  // Errors (a response from a removed peer, a local type from the wire) only mean the
  // message is ignored.
  (void)raw_.step(env.msg);
  maybe_handle_ready();
}

bool peer::stale_sender(const raft_envelope& env) const {
  const auto& m = meta();
  bool older = env.epoch.conf_ver < m.epoch.conf_ver || env.epoch.version < m.epoch.version;
  if (!older) return false;
  // A member that has not yet applied the latest membership change or split is still part of
  // the group. One that is no longer listed was removed while it was away (or the store holds
  // the region under another id now): its votes and appends, at whatever term, must not sway
  // the group. It learns of its removal from PD.
  return std::none_of(m.peers.begin(), m.peers.end(),
                      [&](const storage::region_peer& p) { return p.id == env.from.id; });
}

void peer::tick() {
  // A tick already in flight when the peer hibernated changes nothing.
  if (!wants_ticks()) return;
  ++quiet_ticks_;
  raw_.tick();
  maybe_propose_compaction();
  maybe_handle_ready();
}

void peer::campaign() {
  note_activity();
  raw_.campaign();
  maybe_handle_ready();
}

void peer::report_unreachable(peer_id id) {
  // A hibernating follower hears nothing from a dead leader and would sleep through its
  // death: awake, it ticks, times out and campaigns (or hears the leader again).
  if (id == raw_.leader() && id != self_.id) note_activity();
  raw_.report_unreachable(id);
  maybe_handle_ready();
}

bool peer::caught_up(peer_id id) const {
  auto st = raw_.status();
  auto p = std::find_if(st.progress.begin(), st.progress.end(),
                        [&](const raft::progress_status& x) { return x.id == id; });
  return p != st.progress.end() && p->recent_active && !p->is_learner &&
         p->match.value() + cfg_.transfer_max_lag >= st.commit.value();
}

bool peer::on_directive(const pd::directive& d) {
  if (!is_leader() || d.region != meta().id || !(d.epoch == meta().epoch)) return false;
  request_header h{meta().id, meta().epoch};
  switch (d.kind) {
    case pd::directive_kind::add_learner:
      change_peer(0, change_peer_request{h, peer_change_kind::add_learner, d.peer});
      break;
    case pd::directive_kind::promote_learner:
      change_peer(0, change_peer_request{h, peer_change_kind::add_voter, d.peer});
      break;
    case pd::directive_kind::remove_peer:
      change_peer(0, change_peer_request{h, peer_change_kind::remove, d.peer});
      break;
    case pd::directive_kind::transfer_leader:
      // While a transfer is in flight the leader takes no proposals, for up to an election
      // timeout if the target cannot catch up: only a replica that is reachable and nearly
      // caught up is worth it. PD repeats the directive with the next heartbeat.
      if (!caught_up(d.peer.id)) return false;
      raw_.transfer_leader(d.peer.id);
      maybe_handle_ready();
      break;
    case pd::directive_kind::none:
    case pd::directive_kind::split:
      return false;
  }
  return true;
}

// -- outputs and observers ------------------------------------------------------------------

peer_output peer::take_output() {
  if (storage_->take_snapshot_wanted() && !generating_) {
    generating_ = true;
    output_.generate_snapshot = true;
  }
  return std::exchange(output_, peer_output{});
}

bool peer::wants_ticks() const {
  if (!cfg_.hibernate) return true;
  int after = cfg_.hibernate_after_ticks > 0 ? cfg_.hibernate_after_ticks : 2 * cfg_.election_tick;
  if (quiet_ticks_ < after) return true;
  if (!outstanding_.empty() || !applying_.empty() || !proposals_.empty() || !reads_.empty() ||
      raw_.has_ready())
    return true;
  if (raw_.leader().is_none()) return true;
  auto role = raw_.role();
  if (role == raft::role::candidate || role == raft::role::pre_candidate) return true;
  if (role == raft::role::leader) {
    auto st = raw_.status();
    for (const auto& pr : st.progress)
      if (pr.id != self_.id && pr.match < storage_->last()) return true;
  }
  return false;
}

region_status peer::status() const {
  region_status s;
  s.region = meta();
  s.self = self_;
  s.leader = leader();
  s.term = raw_.term();
  s.commit = raw_.commit_index();
  s.applied = applied_;
  s.pending_proposals = proposals_.size();
  s.pending_reads = reads_.size();
  s.hibernating = !wants_ticks();
  s.lease_reads = lease_reads_;
  s.pending_peers = pending_peers();
  s.down_peers = down_peers();
  return s;
}

std::vector<storage::region_peer> peer::pending_peers() const {
  std::vector<storage::region_peer> out;
  if (!is_leader()) return out;
  auto st = raw_.status();
  for (const auto& p : meta().peers) {
    if (p.id == self_.id) continue;
    auto pr = std::find_if(st.progress.begin(), st.progress.end(),
                           [&](const raft::progress_status& x) { return x.id == p.id; });
    // A replica that never acknowledged an entry (a new one waiting for its first snapshot,
    // or one on a store that is gone) or is being sent a snapshot is not caught up either,
    // however short the log: PD must not promote it on that belief.
    if (pr == st.progress.end() || pr->match.value() == 0 ||
        pr->state == raft::progress_state::snapshot ||
        pr->match.value() + cfg_.transfer_max_lag < st.commit.value())
      out.push_back(p);
  }
  return out;
}

std::vector<storage::region_peer> peer::down_peers() const {
  std::vector<storage::region_peer> out;
  if (!is_leader()) return out;
  for (const auto& p : meta().peers) {
    if (p.id == self_.id) continue;
    auto heard = last_heard_.find(p.id.value());
    // Counted from when this replica took the lead, at the earliest.
    auto since =
        heard == last_heard_.end() ? leading_since_ : std::max(heard->second, leading_since_);
    if (now_ - since > cfg_.down_after) out.push_back(p);
  }
  return out;
}

}  // namespace rdb
