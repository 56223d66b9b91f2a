#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/router/router.hpp"
#include "actors/store/snapshot_worker.hpp"
#include "actors/store/store_writer.hpp"
#include "actors/store/supervisor.hpp"
#include "actors/transport/transport.hpp"
#include "tests/support/routing.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace rdb::test {

/// Several stores in one deterministic actor system, each with its LMDB directories, scheduled
/// store writers, router, transport and supervisor, the transports connected all to all. No
/// ticker and no PD: tests send ticks and campaigns themselves, so every step is deterministic.
struct runtime_fixture : store_fixture {
  struct node {
    store_id id;
    storage::engines store;
    std::shared_ptr<route_holder> routes;
    store_writer_actor writer;
    store_writer_actor applier;
    router_actor router;
    local_transport_actor transport;
    snapshot_worker_actor snapshotter;
    store_supervisor_actor supervisor;
  };

  temp_dir dir;
  std::vector<node> nodes;

  /// The peer settings every store starts its regions with (store, seed and hibernation are
  /// set per store).
  peer_config peer_base;

  explicit runtime_fixture(std::size_t stores = 3, peer_config base = {})
      : peer_base(std::move(base)) {
    for (std::size_t i = 0; i < stores; ++i)
      nodes.push_back(node{store_id{1 + i}, {}, {}, {}, {}, {}, {}, {}, {}});
    for (std::size_t i = 0; i < stores; ++i)
      boot(i);
  }

  ~runtime_fixture() {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      halt(i);
  }

  /// Opens store `i` from its directory and spawns its actors (regions not started).
  void boot(std::size_t i) {
    auto& n = nodes[i];
    n.store = open_test_engines(dir.sub("store" + std::to_string(i)), n.id);
    n.routes = std::make_shared<route_holder>();
    n.writer = spawn_log_writer(sys, n.store.raft, false);
    n.applier = spawn_apply_writer(sys, n.store.kv, false);
    n.router = spawn_router(sys, n.routes);
    // Stepped without a clock: held heartbeats would wait for a timer no test advances, so
    // they leave with the next flush instead (still coalesced into compact beats).
    outbox_config tc;
    tc.beat_delay = {};
    auto snap_dir = dir.sub("snap" + std::to_string(i));
    n.snapshotter = spawn_snapshot_worker(sys, n.store, snap_dir, peer_base.sessions, false);
    snapshot_channel_config snap;
    snap.dir = snap_dir;
    snap.detached = false;
    n.transport = spawn_transport(sys, n.id, n.routes, tc, snap);
    supervisor_config sc;
    sc.peer.config = peer_base;
    sc.peer.config.store = n.id;
    sc.peer.config.seed = 1;
    sc.peer.config.hibernate = false;
    sc.peer.store = n.store;
    sc.peer.writer = n.writer;
    sc.peer.applier = n.applier;
    sc.peer.transport = n.transport;
    sc.peer.snapshotter = n.snapshotter;
    sc.peer.router = n.router;
    n.supervisor = spawn_supervisor(sys, std::move(sc));
    caf::anon_send(n.transport, connect_atom::value, raft_sink_actor{n.supervisor});
    for (auto& other : nodes) {
      if (!other.transport) continue;
      caf::anon_send(n.transport, connect_atom::value, other.id,
                     transport_inbox_actor{other.transport});
      caf::anon_send(other.transport, connect_atom::value, n.id,
                     transport_inbox_actor{n.transport});
    }
    sched.run();
  }

  /// Stops store `i` in order (peers, writers, then the rest) and drops its handles.
  void halt(std::size_t i) {
    auto& n = nodes[i];
    if (!n.supervisor) return;
    auto stopped = std::make_shared<bool>(false);
    auto sup = n.supervisor;
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(sup, caf::infinite, stop_atom::value).then([=] { *stopped = true; });
    });
    sched.run();
    CHECK(*stopped);
    for (auto h :
         {caf::actor_cast<caf::actor>(n.supervisor), caf::actor_cast<caf::actor>(n.router),
          caf::actor_cast<caf::actor>(n.transport), caf::actor_cast<caf::actor>(n.snapshotter)})
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched.run();
    auto id = n.id;
    n = node{id, {}, {}, {}, {}, {}, {}, {}, {}};
  }

  /// A region over [start, end) with one voter per store, peer ids `region * 100 + store`.
  storage::region_meta region(std::uint64_t id, std::string start, std::string end) const {
    storage::region_meta m;
    m.id = region_id{id};
    m.start_key = std::move(start);
    m.end_key = std::move(end);
    m.epoch = {1, 1};
    for (const auto& n : nodes)
      m.peers.push_back({peer_id{id * 100 + n.id.value()}, n.id, storage::peer_role::voter});
    return m;
  }

  /// Creates `meta`'s replica on every store it lists.
  void create(const storage::region_meta& meta) {
    for (auto& n : nodes) {
      auto here = false;
      for (const auto& p : meta.peers)
        here = here || p.store == n.id;
      if (!here) continue;
      auto r = ask<bool>(sys, sched, n.supervisor, create_region_atom::value, meta);
      REQUIRE(r.engaged());
    }
  }

  /// The local peer of `region` on store `i`, from its published routes.
  region_peer_actor peer_of(std::size_t i, region_id region) {
    auto table = nodes[i].routes->load();
    REQUIRE(table);
    const auto* r = table->find(region);
    REQUIRE(r != nullptr);
    return r->peer;
  }

  region_status status(std::size_t i, region_id region) {
    return ask<region_status>(sys, sched, peer_of(i, region), status_atom::value).value();
  }

  /// Makes store `i`'s replica of `region` campaign, and lets the cluster settle.
  void elect(std::size_t i, region_id region) {
    caf::anon_send(peer_of(i, region), campaign_atom::value);
    sched.run();
    tick_all(2);
    REQUIRE(status(i, region).is_leader());
  }

  /// `rounds` ticks to every routed peer of every store.
  void tick_all(int rounds) {
    for (int k = 0; k < rounds; ++k) {
      for (auto& n : nodes) {
        if (!n.routes) continue;
        auto table = n.routes->load();
        if (!table) continue;
        for (const auto& m : table->metas())
          caf::anon_send(table->find(m.id)->peer, raft_tick_atom::value);
      }
      sched.run();
    }
  }

  /// Cuts (or, with `cut` false, restores) the links between store `i` and every other store:
  /// raft messages and snapshots between them are dropped, as across a network partition.
  void partition(std::size_t i, bool cut) {
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      if (j == i) continue;
      for (auto [a, b] : {std::pair{i, j}, std::pair{j, i}}) {
        if (cut)
          caf::anon_send(nodes[a].transport, disconnect_atom::value, nodes[b].id);
        else
          caf::anon_send(nodes[a].transport, connect_atom::value, nodes[b].id,
                         transport_inbox_actor{nodes[b].transport});
      }
    }
    sched.run();
  }

  transport_stats transport_stats_of(std::size_t i) {
    return ask<transport_stats>(sys, sched, nodes[i].transport, stats_atom::value).value();
  }

  /// A request sent straight to the peer store `i`'s routes name for `key`, as the KV service
  /// sends it; a routing failure is answered as the service answers it.
  template <class Response, class Atom, class Request>
  caf::expected<Response> routed(std::size_t i, Atom atom, Request req, std::string_view key) {
    auto peer = peer_for(*nodes[i].routes, req.header, key);
    if (!peer) return to_error(peer.error());
    return ask<Response>(sys, sched, *peer, atom, std::move(req));
  }

  /// A put through store `i`, routed by key.
  caf::expected<write_response> put(std::size_t i, std::string key, std::string value) {
    auto k = key;
    return routed<write_response>(
        i, kv_put_atom::value, put_request{{}, std::move(key), std::move(value), client_id{1}, 0},
        k);
  }

  caf::expected<get_response> get(std::size_t i, std::string key) {
    auto k = key;
    return routed<get_response>(i, kv_get_atom::value, get_request{{}, std::move(key)}, k);
  }
};

}  // namespace rdb::test
