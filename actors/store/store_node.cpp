#include "actors/store/store_node.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/store/snapshot_worker.hpp"
#include "actors/store/store_writer.hpp"
#include "actors/store/ticker.hpp"

namespace rdb {

storage::result<std::unique_ptr<store_node>> store_node::open(caf::actor_system& sys,
                                                              store_node_config cfg) {
  auto st = storage::engines::open(cfg.dir, cfg.store);
  if (!st) return std::unexpected{st.error()};
  std::unique_ptr<store_node> node{new store_node(sys, std::move(cfg), std::move(*st))};
  node->spawn_actors();
  return node;
}

store_node::store_node(caf::actor_system& sys, store_node_config cfg, storage::engines st)
    : sys_(sys), cfg_(std::move(cfg)), store_(std::move(st)) {}

store_node::~store_node() {
  stop();
}

void store_node::spawn_actors() {
  auto self_id = id();
  writer_ = spawn_log_writer(sys_, store_.raft);
  applier_ = spawn_apply_writer(sys_, store_.kv, true, cfg_.apply_max_delay);
  ticker_ = spawn_ticker(sys_, cfg_.tick_interval);
  router_ = spawn_router(sys_, routes_);
  // Snapshots made here and received from other stores share one directory, emptied first.
  auto snap_dir = cfg_.dir + "/snap";
  snapshotter_ = spawn_snapshot_worker(sys_, store_, snap_dir, cfg_.peer.sessions);
  auto snap = cfg_.snapshot;
  snap.dir = snap_dir;
  transport_ = spawn_transport(sys_, self_id, routes_, cfg_.transport, snap);
  supervisor_config sc;
  sc.peer.config = cfg_.peer;
  sc.peer.config.store = self_id;
  sc.peer.store = store_;
  sc.peer.writer = writer_;
  sc.peer.applier = applier_;
  sc.peer.transport = transport_;
  sc.peer.ticker = ticker_;
  sc.peer.router = router_;
  sc.peer.snapshotter = snapshotter_;
  sc.leases = leases_;
  supervisor_ = spawn_supervisor(sys_, std::move(sc));
  // A leader's first message to a replica added here reaches no peer: the supervisor creates it.
  caf::anon_send(transport_, connect_atom::value, raft_sink_actor{supervisor_});
  if (cfg_.pd) {
    agent_config ac;
    ac.store = self_id;
    ac.dir = cfg_.dir;
    ac.pd = cfg_.pd;
    ac.supervisor = supervisor_;
    ac.routes = routes_;
    ac.interval = cfg_.heartbeat_interval;
    split_checker_config kc;
    kc.store = self_id;
    kc.routes = routes_;
    kc.kv = store_.kv;
    kc.pd = cfg_.pd;
    kc.interval = cfg_.split_check_interval;
    kc.split_size = cfg_.region_split_size;
    kc.split_keys = cfg_.region_split_keys;
    split_checker_ = spawn_split_checker(sys_, std::move(kc));
    ac.splitter = split_checker_;
    agent_ = spawn_heartbeat_agent(sys_, std::move(ac));
    caf::anon_send(supervisor_, connect_atom::value, heartbeat_agent_actor{agent_});
  }
}

void store_node::connect(const store_node& other) {
  caf::anon_send(transport_, connect_atom::value, other.id(),
                 transport_inbox_actor{other.transport()});
}

std::uint64_t store_node::start() {
  caf::scoped_actor self{sys_};
  std::uint64_t started = 0;
  self->request(supervisor_, cfg_.call_timeout, start_atom::value)
      .receive([&](std::uint64_t n) { started = n; }, [](caf::error&) {});
  return started;
}

caf::expected<bool> store_node::create_region(const storage::region_meta& meta) {
  caf::scoped_actor self{sys_};
  caf::expected<bool> out{false};
  self->request(supervisor_, cfg_.call_timeout, create_region_atom::value, meta)
      .receive([&](bool created) { out = created; }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

void store_node::stop() {
  if (stopped_) return;
  stopped_ = true;
  caf::scoped_actor self{sys_};
  auto stop_and_wait = [&](const auto& handle) {
    if (!handle) return;
    self->monitor(handle);
    self->send_exit(handle, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {}, caf::after(cfg_.call_timeout) >> [] {});
  };
  // The agent first: it would otherwise ask the supervisor to re-create stopped regions.
  stop_and_wait(agent_);
  // A detached actor with a live handle would hang the actor system's shutdown.
  stop_and_wait(split_checker_);
  self->request(supervisor_, cfg_.call_timeout, stop_atom::value)
      .receive([] {}, [](caf::error&) {});
  stop_and_wait(supervisor_);
  stop_and_wait(transport_);
  stop_and_wait(snapshotter_);
  stop_and_wait(router_);
  // The supervisor stopped these; they are down already unless the call timed out.
  stop_and_wait(ticker_);
  stop_and_wait(writer_);
  stop_and_wait(applier_);
  agent_ = nullptr;
  split_checker_ = nullptr;
  supervisor_ = nullptr;
  transport_ = nullptr;
  snapshotter_ = nullptr;
  router_ = nullptr;
  ticker_ = nullptr;
  writer_ = nullptr;
  applier_ = nullptr;
}

}  // namespace rdb
