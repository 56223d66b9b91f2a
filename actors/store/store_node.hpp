#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/pd_client/heartbeat_agent.hpp"
#include "actors/router/router.hpp"
#include "actors/store/snapshot_worker_interface.hpp"
#include "actors/store/split_checker.hpp"
#include "actors/store/store_writer_interface.hpp"
#include "actors/store/supervisor.hpp"
#include "actors/store/ticker_interface.hpp"
#include "actors/transport/transport.hpp"
#include "pd/pd_interface.hpp"
#include "storage/engines.hpp"
#include "storage/error.hpp"

namespace rdb {

/// Everything one store needs to run.
struct store_node_config {
  std::string dir;
  storage::store_options store;
  /// Raft tuning of every region peer; `store` and `region` are filled in.
  peer_config peer;
  caf::timespan tick_interval = std::chrono::milliseconds{100};
  /// How long the apply writer lets an apply batch wait for more (store_writer_interface.hpp);
  /// reads and membership changes never wait for it.
  caf::timespan apply_max_delay = std::chrono::milliseconds{5};
  outbox_config transport;
  /// The snapshot channel's tuning; its directory is the store's `snap` subdirectory.
  snapshot_channel_config snapshot;
  /// Without a PD handle the store runs no heartbeat agent (regions come from disk and
  /// `create_region` only).
  pd::pd_actor pd;
  caf::timespan heartbeat_interval = std::chrono::seconds{1};
  /// The split checker's rounds and threshold (actors/store/split_checker.hpp); it runs only
  /// with a PD, which hands out the new regions' ids.
  caf::timespan split_check_interval = std::chrono::seconds{10};
  std::uint64_t region_split_size = std::uint64_t{96} << 20;
  std::uint64_t region_split_keys = 960'000;
  /// Bound on the blocking calls of `start`, `create_region` and `stop`.
  caf::timespan call_timeout = std::chrono::seconds{30};
};

/// One store assembled from its actors, for the node binary, tests and benchmarks. Spawns, in
/// order: the two store writers, of the raft and the kv environment (detached: they block on
/// fsync), the ticker, the router, the snapshot worker (detached: it copies files), the
/// transport, the supervisor and, with a PD, the heartbeat agent; `stop` takes them down
/// explicitly in the reverse order, waiting for each step, because a detached actor with a live
/// handle would hang the actor system's destructor.
///
/// The blocking calls use a `scoped_actor` with `call_timeout`: call them from a plain thread
/// (main, a test), never from inside an actor.
class store_node {
 public:
  /// Opens the store directory (created if the options say so) and spawns the actors. Regions
  /// are not started yet: call `start`.
  static storage::result<std::unique_ptr<store_node>> open(caf::actor_system& sys,
                                                           store_node_config cfg);

  store_node(const store_node&) = delete;
  store_node& operator=(const store_node&) = delete;

  /// Stops the store if still running.
  ~store_node();

  /// Teaches this store's transport to reach `other`'s (one direction).
  void connect(const store_node& other);

  /// Starts every region with local state; answers how many were started (0 on timeout).
  std::uint64_t start();

  /// Founds and starts this store's replica of `meta` (see supervisor_interface.hpp).
  caf::expected<bool> create_region(const storage::region_meta& meta);

  /// Stops the agent, the region peers, the ticker and the writers, then the transport and the
  /// router. Idempotent.
  void stop();

  // -- handles ------------------------------------------------------------------------------

  store_id id() const { return cfg_.store.store; }
  const storage::engines& store() const { return store_; }
  const std::shared_ptr<route_holder>& routes() const { return routes_; }
  /// The read leases its leaders publish, for the KV service's local reads.
  const std::shared_ptr<lease_grants>& leases() const { return leases_; }
  const router_actor& router() const { return router_; }
  const local_transport_actor& transport() const { return transport_; }
  const store_supervisor_actor& supervisor() const { return supervisor_; }
  const store_writer_actor& writer() const { return writer_; }
  const store_writer_actor& applier() const { return applier_; }
  const ticker_actor& ticker() const { return ticker_; }
  const store_agent_actor& agent() const { return agent_; }

 private:
  store_node(caf::actor_system& sys, store_node_config cfg, storage::engines st);

  void spawn_actors();

  caf::actor_system& sys_;
  store_node_config cfg_;
  storage::engines store_;
  std::shared_ptr<route_holder> routes_ = std::make_shared<route_holder>();
  std::shared_ptr<lease_grants> leases_ = std::make_shared<lease_grants>();
  store_writer_actor writer_;
  store_writer_actor applier_;
  ticker_actor ticker_;
  router_actor router_;
  local_transport_actor transport_;
  snapshot_worker_actor snapshotter_;
  store_supervisor_actor supervisor_;
  store_agent_actor agent_;
  split_checker_actor split_checker_;
  bool stopped_ = false;
};

}  // namespace rdb
