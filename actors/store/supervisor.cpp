#include "actors/store/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/unit.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/store/region_registry.hpp"

namespace rdb {

namespace {

/// Where an orderly shutdown stands: peers first, then the ticker, then the log writer, then
/// the apply writer.
enum class stop_phase : std::uint8_t { running, peers, ticker, writer, applier, done };

struct supervisor_state {
  static inline const char* name = "rdb.supervisor";

  supervisor_state() : registry(store_id{}) {}

  supervisor_config cfg;
  region_registry registry;
  std::unordered_map<region_id, region_peer_actor> peers;
  std::unordered_map<caf::actor_addr, region_id> by_addr;
  stop_phase phase = stop_phase::running;
  /// Untyped: CAF 0.17's typed promise of void cannot deliver.
  std::vector<caf::response_promise> stop_promises;
  /// The latest vote requests for regions this store does not run (at most `held_vote_limit`):
  /// a split child's first campaign reaches stores before they applied the split, and the
  /// child they start then takes its vote request at once instead of an election timeout later.
  std::deque<raft_envelope> held_votes;
};

constexpr std::size_t held_vote_limit = 64;

using supervisor_pointer = store_supervisor_actor::stateful_pointer<supervisor_state>;

/// Spawns and monitors the peer of a booked region; it opens itself from what its store holds.
/// One that cannot comes back as a down message and is retried like a crashed one.
void spawn_peer(supervisor_pointer self, region_id region, bool route_on_open = true) {
  auto& st = self->state;
  auto ctx = st.cfg.peer;
  ctx.config.region = region;
  ctx.splits = caf::actor_cast<split_sink_actor>(self);
  ctx.route_on_open = route_on_open;
  ctx.config.created_as = st.registry.created_as(region);
  if (st.cfg.leases) ctx.grant = st.cfg.leases->of(region);
  auto p = spawn_region_peer(self->system(), std::move(ctx));
  self->monitor(p);
  st.by_addr[p.address()] = region;
  st.peers[region] = p;
}

/// See `supervisor_config::first_campaign_delay`.
void campaign_if_first(supervisor_pointer self, const storage::region_meta& meta) {
  auto& st = self->state;
  // Only regions of the first layout are founded here (see `create_region`).
  if (st.cfg.first_campaign_delay.count() <= 0) return;
  std::vector<store_id> voters;
  for (const auto& p : meta.peers)
    if (p.role != storage::peer_role::learner) voters.push_back(p.store);
  if (voters.empty() || voters[meta.id.value() % voters.size()] != st.cfg.peer.config.store) return;
  self->delayed_send(st.peers.at(meta.id), st.cfg.first_campaign_delay, campaign_atom::value);
}

void give_up(supervisor_pointer self, region_id region) {
  auto& st = self->state;
  st.registry.remove(region);
  st.peers.erase(region);
  if (st.cfg.peer.router) self->send(st.cfg.peer.router, route_remove_atom::value, region);
}

/// Moves the shutdown to its next phase once the current one has nothing left to wait for.
void advance_stop(supervisor_pointer self) {
  auto& st = self->state;
  auto stop = [&](const auto& handle, stop_phase next) {
    st.phase = next;
    if (!handle) return false;
    self->monitor(handle);
    self->send_exit(handle, caf::exit_reason::user_shutdown);
    return true;
  };
  if (st.phase == stop_phase::peers && st.peers.empty()) {
    if (stop(st.cfg.peer.ticker, stop_phase::ticker)) return;
  }
  if (st.phase == stop_phase::ticker) {
    if (stop(st.cfg.peer.writer, stop_phase::writer)) return;
  }
  if (st.phase == stop_phase::writer) {
    if (stop(st.cfg.peer.applier, stop_phase::applier)) return;
  }
  if (st.phase == stop_phase::applier) {
    st.phase = stop_phase::done;
    // Drop the handles: a strong reference to a detached writer would hang the system.
    st.cfg.peer = region_peer_context{};
    for (auto& rp : st.stop_promises)
      rp.deliver(caf::unit);
    st.stop_promises.clear();
  }
}

/// Calls `then` once every task `writer` held when asked is committed, or `lost` if it does
/// not answer. The writer is asked twice: a task may still wait in its mailbox, and the writer
/// commits it on a flush it sends itself after the task, so the second answer comes only after
/// that commit.
template <class Then, class Lost>
void drain_writer(supervisor_pointer self, const store_writer_actor& writer, Then then, Lost lost) {
  auto timeout = self->state.cfg.writer_timeout;
  self->request(writer, timeout, stats_atom::value)
      .then(
          [=](const writer_stats&) {
            self->request(writer, timeout, stats_atom::value)
                .then([=](const writer_stats&) { then(); }, lost);
          },
          lost);
}

/// Restarts a crashed peer from disk, once both writers committed what the dead peer sent
/// them: opening before that would let the new peer miss a vote, entries or an apply the old
/// one made durable. The log writer is drained first: a log half acknowledged to the dead
/// peer may have made it send the apply half, which the second drain then covers.
void restart(supervisor_pointer self, region_id region) {
  auto& st = self->state;
  if (!st.registry.note_restart(region, st.cfg.max_restarts)) {
    log(log_level::error, "supervisor", region.value(), "failed too often; given up");
    give_up(self, region);
    return;
  }
  // A writer that cannot answer cannot persist for the new peer either: the region waits for
  // the next `start` or PD's next region list instead.
  auto writer_lost = [=](const caf::error&) {
    if (self->state.phase == stop_phase::running && self->state.registry.contains(region))
      give_up(self, region);
  };
  auto reopen = [=] {
    auto& s = self->state;
    if (s.phase != stop_phase::running || !s.registry.contains(region)) return;
    spawn_peer(self, region);
  };
  auto applier = st.cfg.peer.applier;
  drain_writer(
      self, st.cfg.peer.writer, [=] { drain_writer(self, applier, reopen, writer_lost); },
      writer_lost);
}

void on_down(supervisor_pointer self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.by_addr.find(dm.source);
  if (i == st.by_addr.end()) {
    // The ticker or the writer during shutdown.
    advance_stop(self);
    return;
  }
  auto region = i->second;
  st.by_addr.erase(i);
  auto p = st.peers.find(region);
  if (p == st.peers.end() || p->second.address() != dm.source) return;
  st.peers.erase(p);
  if (st.phase != stop_phase::running) {
    advance_stop(self);
    return;
  }
  if (dm.reason == caf::exit_reason::normal) {
    // Only a replica that left its region and destroyed its state stops on its own.
    log(log_level::info, "supervisor", region.value(), "the replica left the region");
    give_up(self, region);
    return;
  }
  log(log_level::warning, "supervisor", region.value(),
      "peer down (" + self->system().render(dm.reason) + "); restarting from disk");
  restart(self, region);
}

/// A replica that left its region writes its tombstone before it destroys its log (see
/// actors/region/peer_destroy.cpp); a crash in between leaves a log nobody reads, destroyed here.
void drop_log_of_tombstone(supervisor_pointer self, region_id region) {
  const auto& st = self->state;
  if (!st.cfg.peer.writer || !st.cfg.peer.store.raft->hard_state(region)) return;
  write_task task;
  task.region = region;
  task.stage = write_stage::log;
  task.destroy = true;
  // Nobody waits for it: the writer acknowledges no anonymous task.
  caf::anon_send(st.cfg.peer.writer, persist_atom::value, std::move(task));
}

std::uint64_t start_from_disk(supervisor_pointer self) {
  auto& st = self->state;
  auto view = st.cfg.peer.store.kv->read();
  if (!view) return 0;
  auto locals = view->regions();
  if (!locals) return 0;
  std::uint64_t started = 0;
  for (const auto& local : *locals) {
    const auto& meta = local.region;
    if (local.state == storage::peer_state::tombstone) {
      drop_log_of_tombstone(self, meta.id);
      continue;
    }
    if (st.registry.contains(meta.id)) continue;
    if (auto refusal = st.registry.check(meta)) {
      log(log_level::error, "supervisor", meta.id.value(), "not starting: " + refusal->detail);
      continue;
    }
    st.registry.add(meta);
    spawn_peer(self, meta.id);
    ++started;
  }
  return started;
}

/// Whether a raft message of type `t` may create the replica it addresses: only what a leader
/// sends a new member (a vote request may come from a removed replica that never learnt it).
bool creates_replica(raft::message_type t) {
  return t == raft::message_type::heartbeat || t == raft::message_type::append ||
         t == raft::message_type::snapshot;
}

/// Why the store may not create the replica `env` addresses, if it may not: it is not a
/// leader's message, or the store holds the region already (initialized, or a tombstone of a
/// membership at least as new as the sender's, which the replica left).
std::optional<std::string> refuse_creation(supervisor_pointer self, const raft_envelope& env) {
  if (!creates_replica(env.msg.type))
    return std::string{"a "} + std::string{raft::to_string(env.msg.type)} +
           " message creates no replica";
  auto view = self->state.cfg.peer.store.kv->read();
  if (!view) return "cannot read the region state: " + view.error().message;
  auto local = view->load_region_state(env.region);
  if (!local) return "cannot read the region state: " + local.error().message;
  if (!*local) return std::nullopt;
  const auto& rs = **local;
  if (rs.state != storage::peer_state::tombstone) return "the store holds an initialized replica";
  if (env.epoch.conf_ver <= rs.region.epoch.conf_ver)
    return "the replica left the region at conf_ver " + std::to_string(rs.region.epoch.conf_ver) +
           "; the message is from conf_ver " + std::to_string(env.epoch.conf_ver);
  return std::nullopt;
}

/// A raft message no local peer took (see transport_interface.hpp): for a replica a leader
/// just added to this store, the first one creates it uninitialized; it then waits for a
/// snapshot (actors/region/raft_storage.hpp). Anything else is dropped.
void on_orphan_message(supervisor_pointer self, raft_envelope& env) {
  auto& st = self->state;
  if (st.phase != stop_phase::running || env.to.store != st.cfg.peer.config.store) return;
  auto region = env.region;
  if (st.registry.contains(region)) {
    // Until its first snapshot routes it, a created replica hears its leader through here; so
    // does a split child until the router publishes its route. The peer checks the address.
    auto p = st.peers.find(region);
    if (p != st.peers.end()) self->send(p->second, raft_msg_atom::value, std::move(env));
    return;
  }
  if (env.msg.type == raft::message_type::vote || env.msg.type == raft::message_type::pre_vote) {
    std::erase_if(st.held_votes, [&](const raft_envelope& held) {
      return held.region == region && held.to.id == env.to.id;
    });
    st.held_votes.push_back(std::move(env));
    if (st.held_votes.size() > held_vote_limit) st.held_votes.pop_front();
    return;
  }
  if (auto why = refuse_creation(self, env)) {
    log(log_level::debug, "supervisor", region.value(),
        "no replica for peer " + std::to_string(env.to.id.value()) + ": " + *why);
    return;
  }
  st.registry.add_created(region, env.to.id);
  spawn_peer(self, region);
  log(log_level::info, "supervisor", region.value(),
      "created peer " + std::to_string(env.to.id.value()) + " for store " +
          std::to_string(env.from.store.value()) + "'s leader; it waits for a snapshot");
  self->send(st.peers.at(region), raft_msg_atom::value, std::move(env));
}

/// A peer applied a split: starts the children and routes them with their parent.
void on_split(supervisor_pointer self, const storage::region_meta& parent,
              const std::vector<storage::region_meta>& children, bool led) {
  auto& st = self->state;
  if (st.phase != stop_phase::running) return;
  auto p = st.peers.find(parent.id);
  if (p == st.peers.end()) return;
  auto parent_peer = p->second;
  st.registry.add(parent);
  for (const auto& child : children) {
    st.registry.add(child);
    if (auto c = st.peers.find(child.id); c != st.peers.end()) {
      // Created uninitialized by the child's leader before this replica split: restarted, it
      // opens from the state the split founded (after the writers drained what it wrote).
      self->send_exit(c->second, caf::exit_reason::kill);
      if (st.cfg.peer.router)
        self->send(st.cfg.peer.router, route_update_atom::value, parent, parent_peer);
      continue;
    }
    spawn_peer(self, child.id, false);
    auto child_peer = st.peers.at(child.id);
    if (st.cfg.peer.router)
      self->send(st.cfg.peer.router, route_split_atom::value, parent, parent_peer, child,
                 child_peer);
    // The parent's leader is the natural leader of both halves: no election timeout lost. Its
    // vote requests reach the other stores before or after they split; before, they wait
    // there for the child.
    if (led) self->send(child_peer, campaign_atom::value);
    std::erase_if(st.held_votes, [&](raft_envelope& held) {
      if (held.region != child.id) return false;
      self->send(child_peer, raft_msg_atom::value, std::move(held));
      return true;
    });
    log(log_level::info, "supervisor", child.id.value(),
        "started, split off region " + std::to_string(parent.id.value()));
  }
}

caf::result<bool> create_region(supervisor_pointer self, const storage::region_meta& meta) {
  auto& st = self->state;
  if (st.phase != stop_phase::running)
    return to_error(make_request_error(errc::server_busy, meta.id, "the store is stopping"));
  if (st.registry.contains(meta.id)) return false;
  if (!(meta.epoch == storage::bootstrap_epoch))
    return to_error(make_request_error(
        errc::invalid_argument, meta.id,
        "only a region of PD's first layout is founded directly; a replica added to a region "
        "is created by its leader's first message"));
  if (auto refusal = st.registry.check(meta)) return to_error(*refusal);
  // Booked before founding, so a second create of the same region answers false meanwhile.
  st.registry.add(meta);
  auto rp = self->make_response_promise<bool>();
  auto failed = [=](caf::error& e) mutable {
    self->state.registry.remove(meta.id);
    rp.deliver(std::move(e));
  };
  auto founded = [=](bool) mutable {
    auto& s = self->state;
    if (s.phase != stop_phase::running) {
      rp.deliver(false);
      return;
    }
    spawn_peer(self, meta.id);
    log(log_level::info, "supervisor", meta.id.value(), "founded a replica");
    campaign_if_first(self, meta);
    rp.deliver(true);
  };
  // The log half first: the replica counts as founded once the apply half (its region local
  // state) is written, so a crash in between leaves nothing a restart would start.
  auto applier = st.cfg.peer.applier;
  auto timeout = st.cfg.writer_timeout;
  self->request(st.cfg.peer.writer, timeout, bootstrap_atom::value, meta)
      .then(
          [=](bool) mutable {
            self->request(applier, timeout, bootstrap_atom::value, meta).then(founded, failed);
          },
          failed);
  return rp;
}

store_supervisor_actor::behavior_type supervisor_fn(supervisor_pointer self,
                                                    supervisor_config cfg) {
  self->state.registry = region_registry{cfg.peer.config.store};
  self->state.cfg = std::move(cfg);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  return {
      [=](start_atom) -> std::uint64_t {
        if (self->state.phase != stop_phase::running) return 0;
        return start_from_disk(self);
      },
      [=](create_region_atom, const storage::region_meta& meta) {
        return create_region(self, meta);
      },
      [=](raft_msg_atom, raft_envelope& env) { on_orphan_message(self, env); },
      [=](split_atom, const storage::region_meta& parent,
          const std::vector<storage::region_meta>& children,
          bool led) { on_split(self, parent, children, led); },
      [=](removed_atom, const storage::region_meta& current) {
        auto& st = self->state;
        auto p = st.peers.find(current.id);
        if (st.phase == stop_phase::running && p != st.peers.end())
          self->send(p->second, removed_atom::value, current);
      },
      [=](regions_atom) -> caf::result<std::vector<storage::region_meta>> {
        auto& st = self->state;
        // The router holds the metas as the peers last reported them.
        if (st.cfg.peer.router) return self->delegate(st.cfg.peer.router, routes_atom::value);
        std::vector<storage::region_meta> out;
        for (auto id : st.registry.ids())
          if (st.peers.count(id) > 0) out.push_back(*st.registry.find(id));
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.start_key < b.start_key; });
        return out;
      },
      [=](stop_atom) {
        auto& st = self->state;
        auto rp = self->make_response_promise<void>();
        if (st.phase == stop_phase::done) {
          static_cast<caf::response_promise&>(rp).deliver(caf::unit);
          return rp;
        }
        st.stop_promises.push_back(static_cast<caf::response_promise&>(rp));
        if (st.phase == stop_phase::running) {
          st.phase = stop_phase::peers;
          for (auto& [region, peer] : st.peers)
            self->send_exit(peer, caf::exit_reason::user_shutdown);
          advance_stop(self);
        }
        return rp;
      },
      [=](connect_atom, const heartbeat_agent_actor& agent) {
        self->state.cfg.peer.heartbeat = agent;
      },
  };
}

}  // namespace

store_supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_config cfg) {
  return sys.spawn(supervisor_fn, std::move(cfg));
}

}  // namespace rdb
