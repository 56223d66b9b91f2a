#include "actors/transport/transport.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/router/route_table.hpp"

namespace rdb {

namespace {

struct transport_state {
  static inline const char* name = "rdb.transport";

  transport_state() : outbox(store_id{}, outbox_config{}) {}

  store_id self;
  outbox_config cfg;
  std::shared_ptr<route_holder> routes;
  transport_outbox outbox;
  std::unordered_map<store_id, transport_inbox_actor> peers;
  /// Batches delivered from each store and not yet acknowledged to it.
  std::unordered_map<store_id, std::uint64_t> owed;
  /// True between sending ourselves `flush` and receiving it.
  bool flush_scheduled = false;
  /// True while the timer that sends held heartbeats is on its way.
  bool beat_timer_armed = false;
  /// True while the timer that checks full windows is on its way.
  bool stall_timer_armed = false;
  /// Takes envelopes no local peer takes (none: they are dropped).
  raft_sink_actor supervisor;
  snapshot_channel_config snap;
  /// Stages received snapshot files (none without a snapshot directory).
  snapshot_receiver_actor receiver;
  /// Snapshot streams under way from this store.
  std::size_t streams = 0;
  /// Stores cut off by a partition (`partition_atom`): nothing goes to or comes from them.
  std::unordered_set<store_id> cut;
};

using transport_pointer = local_transport_actor::stateful_pointer<transport_state>;

/// Whether `meta` lists peer `id` on `store`: traffic for another replica (an old peer id of a
/// removed replica, another region's peer) is never handed to this region's peer.
bool has_peer(const storage::region_meta& meta, peer_id id, store_id store) {
  return std::any_of(meta.peers.begin(), meta.peers.end(),
                     [&](const storage::region_peer& p) { return p.id == id && p.store == store; });
}

/// Hands `env` to the local peer of its region, or else to the supervisor; false if neither
/// takes it.
bool deliver_local(transport_pointer self, const route_table* table, raft_envelope&& env) {
  auto& st = self->state;
  if (env.to.store != st.self) return false;
  const auto* r = table != nullptr ? table->find(env.region) : nullptr;
  if (r != nullptr && has_peer(r->meta, env.to.id, st.self)) {
    self->send(r->peer, raft_msg_atom::value, std::move(env));
    return true;
  }
  if (!st.supervisor) return false;
  ++st.outbox.stats().to_supervisor;
  self->send(st.supervisor, raft_msg_atom::value, std::move(env));
  return true;
}

/// Sends `batch`, carrying every acknowledgement owed to its store.
void send_batch(transport_pointer self, raft_batch&& batch) {
  auto& st = self->state;
  auto i = st.peers.find(batch.to_store);
  if (i == st.peers.end()) return;
  batch.acks = std::exchange(st.owed[batch.to_store], 0);
  self->send(i->second, deliver_atom::value, std::move(batch));
}

void on_send(transport_pointer self, std::vector<raft_envelope>& envs) {
  auto& st = self->state;
  route_snapshot table;
  std::vector<peer_id> unreachable;
  bool flush_now = false;
  bool hold_beats = false;
  for (auto& env : envs) {
    if (env.to.store == st.self) {
      if (!table) table = st.routes->load();
      auto& stats = st.outbox.stats();
      if (deliver_local(self, table.get(), std::move(env)))
        ++stats.local_delivered;
      else
        ++stats.dropped_no_peer;
      continue;
    }
    auto dest = env.to.store;
    auto to = env.to.id;
    if (st.cut.count(dest) > 0) {
      ++st.outbox.stats().dropped_partitioned;
      continue;
    }
    switch (st.outbox.add(std::move(env))) {
      case transport_outbox::add_result::send_now:
        if (auto b = st.outbox.take(dest)) send_batch(self, std::move(*b));
        // What the batch left queued goes with the flush.
        flush_now = true;
        break;
      case transport_outbox::add_result::unreachable:
        if (std::find(unreachable.begin(), unreachable.end(), to) == unreachable.end())
          unreachable.push_back(to);
        break;
      case transport_outbox::add_result::queued:
        flush_now = true;
        break;
      case transport_outbox::add_result::beat_queued:
        (st.cfg.beat_delay.count() > 0 ? hold_beats : flush_now) = true;
        break;
      case transport_outbox::add_result::dropped:
        break;
    }
  }
  if (!unreachable.empty()) {
    auto sender = caf::actor_cast<region_peer_actor>(self->current_sender());
    if (sender)
      for (auto id : unreachable)
        self->send(sender, unreachable_atom::value, id);
  }
  if (flush_now && !st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  // Held heartbeats leave with the next flush, or when the timer fires, whichever is first.
  if (hold_beats && !st.beat_timer_armed) {
    st.beat_timer_armed = true;
    self->delayed_send(self, caf::timespan{st.cfg.beat_delay}, beats_due_atom::value);
  }
}

/// Arms the stall check if a destination's window is full and no check is on its way.
void watch_windows(transport_pointer self) {
  auto& st = self->state;
  if (st.stall_timer_armed || st.cfg.stall_timeout.count() == 0 || !st.outbox.watch_stalls())
    return;
  st.stall_timer_armed = true;
  self->delayed_send(self, caf::timespan{st.cfg.stall_timeout}, stall_check_atom::value);
}

void flush_all(transport_pointer self) {
  for (auto& b : self->state.outbox.take_all())
    send_batch(self, std::move(b));
  watch_windows(self);
}

void on_stall_check(transport_pointer self) {
  auto& st = self->state;
  st.stall_timer_armed = false;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.stall_timeout).count();
  for (auto store : st.outbox.reopen_stalled())
    log_warning("transport", "no acknowledgement from store " + std::to_string(store.value()) +
                                 " for " + std::to_string(ms) +
                                 " ms with a full window: its batches in flight count as lost");
  flush_all(self);
}

void on_deliver(transport_pointer self, raft_batch& batch) {
  auto& st = self->state;
  auto& stats = st.outbox.stats();
  auto from = batch.from_store;
  auto& owed = st.owed[from];
  if (st.cut.count(from) > 0) {
    // Acknowledgements still count: the window must be open when the partition heals.
    stats.dropped_partitioned += batch.envelopes.size() + batch.beats.size();
    batch.envelopes.clear();
    batch.beats.clear();
  }
  if (!batch.envelopes.empty() || !batch.beats.empty()) {
    ++stats.batches_received;
    auto table = st.routes->load();
    auto deliver = [&](raft_envelope&& env) {
      if (deliver_local(self, table.get(), std::move(env)))
        ++stats.envelopes_delivered;
      else
        ++stats.dropped_no_peer;
    };
    for (auto& env : batch.envelopes)
      deliver(std::move(env));
    for (const auto& beat : batch.beats)
      deliver(expand_beat(beat, from, batch.to_store));
    ++owed;
  }
  if (batch.acks > 0) {
    st.outbox.on_ack(from, batch.acks);
    // Freed slots send what waited for them (with our acknowledgements).
    while (auto b = st.outbox.take(from))
      send_batch(self, std::move(*b));
    watch_windows(self);
  }
  if (owed < st.cfg.ack_every) return;
  // Nothing went back in time to carry them: acknowledge alone, to whoever sent the batch
  // (a store may deliver to us before we have its handle).
  auto sender = caf::actor_cast<transport_inbox_actor>(self->current_sender());
  if (!sender) return;
  ++stats.acks_alone;
  self->send(sender, deliver_atom::value,
             raft_batch{st.self, from, {}, {}, std::exchange(owed, 0)});
}

void on_disconnect(transport_pointer self, store_id store) {
  auto& st = self->state;
  st.peers.erase(store);
  st.outbox.disconnect(store);
  // Regions led from that store may be hibernating: nothing else would tell them.
  auto table = st.routes->load();
  if (!table) return;
  for (const auto& m : table->metas()) {
    const auto* r = table->find(m.id);
    if (r->leader.store == store && !r->leader.id.is_none())
      self->send(r->peer, unreachable_atom::value, r->leader.id);
  }
}

void on_send_snapshot(transport_pointer self, raft_envelope& env) {
  auto& st = self->state;
  auto origin = self->current_sender();
  auto peer = st.peers.find(env.to.store);
  if (peer == st.peers.end() || st.streams >= st.snap.max_streams ||
      st.cut.count(env.to.store) > 0) {
    if (auto p = caf::actor_cast<region_peer_actor>(origin))
      self->send(p, snapshot_status_atom::value, env.to.id, false);
    return;
  }
  auto stream =
      spawn_snapshot_stream(self->system(), st.self, peer->second, std::move(env), origin, st.snap);
  ++st.streams;
  self->monitor(stream);
  self->link_to(stream);
}

local_transport_actor::behavior_type transport_fn(transport_pointer self, store_id me,
                                                  std::shared_ptr<route_holder> routes,
                                                  outbox_config cfg, snapshot_channel_config snap) {
  self->state.self = me;
  self->state.routes = std::move(routes);
  // Owing more than a window's worth without acknowledging would close it for good.
  cfg.ack_every = std::clamp<std::size_t>(cfg.ack_every, 1, std::max<std::size_t>(cfg.window, 1));
  self->state.cfg = cfg;
  self->state.outbox = transport_outbox{me, cfg};
  self->state.snap = snap;
  if (!snap.dir.empty()) {
    self->state.receiver = spawn_snapshot_receiver(self->system(), me, self->state.routes,
                                                   caf::actor_cast<raft_sink_actor>(self), snap);
    self->link_to(self->state.receiver);
  }
  self->set_down_handler([=](caf::down_msg&) { --self->state.streams; });
  return {
      [=](send_raft_atom, std::vector<raft_envelope>& envs) { on_send(self, envs); },
      [=](send_snapshot_atom, raft_envelope& env) { on_send_snapshot(self, env); },
      [=](deliver_atom, raft_batch& batch) { on_deliver(self, batch); },
      [=](snapshot_chunk_atom, snapshot_chunk& c) -> caf::result<bool> {
        if (!self->state.receiver)
          return to_error(make_request_error(errc::invalid_argument, c.region,
                                             "this store takes no snapshots"));
        return self->delegate(self->state.receiver, snapshot_chunk_atom::value, std::move(c));
      },
      [=](connect_atom, store_id store, const transport_inbox_actor& inbox) {
        // Acknowledgements owed stay owed: each side reconnects on its own schedule, and an
        // extra acknowledgement only frees a slot that is free already.
        self->state.peers[store] = inbox;
        self->state.outbox.connect(store);
      },
      [=](disconnect_atom, store_id store) { on_disconnect(self, store); },
      [=](partition_atom, const std::vector<store_id>& cut) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.cfg.allow_partitions)
          return to_error(make_request_error(
              errc::invalid_argument, region_id{},
              "store " + std::to_string(st.self.value()) + " was not started to allow partitions"));
        st.cut = {cut.begin(), cut.end()};
        log_warning("transport", "cut off from " + std::to_string(cut.size()) +
                                     " stores by a partition (none: healed)");
        return true;
      },
      [=](raft_msg_atom, raft_envelope& env) {
        auto table = self->state.routes->load();
        if (!deliver_local(self, table.get(), std::move(env)))
          ++self->state.outbox.stats().dropped_no_peer;
      },
      [=](connect_atom, const raft_sink_actor& supervisor) { self->state.supervisor = supervisor; },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        flush_all(self);
      },
      [=](beats_due_atom) {
        self->state.beat_timer_armed = false;
        flush_all(self);
      },
      [=](stall_check_atom) { on_stall_check(self); },
      [=](stats_atom) { return self->state.outbox.stats(); },
  };
}

}  // namespace

local_transport_actor spawn_transport(caf::actor_system& sys, store_id self,
                                      std::shared_ptr<route_holder> routes, outbox_config cfg,
                                      snapshot_channel_config snap) {
  return sys.spawn(transport_fn, self, std::move(routes), cfg, std::move(snap));
}

}  // namespace rdb
