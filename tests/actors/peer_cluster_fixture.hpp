#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/common/errors.hpp"
#include "actors/region/region_peer.hpp"
#include "actors/store/snapshot_worker.hpp"
#include "actors/store/store_writer.hpp"
#include "actors/store/ticker.hpp"
#include "tests/support/direct_transport.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace rdb::test {

/// Stands between a region peer and one of its writers and, while `hold` is set, keeps back
/// every task until it gets `commit_due_atom` (sent by the test: "commit now"); counts the peer's
/// urges (`flush_atom`) meanwhile, which a held-back writer cannot follow.
struct writer_gate {
  bool hold = false;
  int urges = 0;
  /// Halves of snapshot installs that came through, held or not (a kv half carries the file, a
  /// log half is flagged).
  int installs = 0;
  std::vector<std::pair<caf::strong_actor_ptr, write_task>> held;
};

inline store_writer_actor spawn_gate(caf::actor_system& sys, store_writer_actor writer,
                                     std::shared_ptr<writer_gate> gate) {
  return sys.spawn([=](store_writer_actor::pointer self) -> store_writer_actor::behavior_type {
    auto pass = [=](const caf::strong_actor_ptr& from, write_task task) {
      caf::send_as(caf::actor_cast<caf::actor>(from), writer, persist_atom::value, std::move(task));
    };
    return {
        [=](persist_atom, write_task& task) {
          if (task.has_snapshot || !task.snapshot_file.empty()) ++gate->installs;
          if (gate->hold)
            gate->held.emplace_back(self->current_sender(), std::move(task));
          else
            pass(self->current_sender(), std::move(task));
        },
        [=](flush_atom) { ++gate->urges; },
        [=](commit_due_atom) {
          gate->hold = false;
          for (auto& [from, task] : gate->held)
            pass(from, std::move(task));
          gate->held.clear();
        },
        [=](bootstrap_atom, storage::region_meta& m) {
          return self->delegate(writer, bootstrap_atom::value, std::move(m));
        },
        [=](stats_atom) { return self->delegate(writer, stats_atom::value); },
    };
  });
}

/// One region with three replicas on three in-process stores (and room for a fourth that joins
/// later), each store with its own LMDB directory, writer and transport, all on the
/// deterministic coordinator.
struct cluster : store_fixture {
  struct node {
    storage::engines store;
    store_writer_actor writer;
    store_writer_actor applier;
    transport_actor transport;
    region_peer_actor peer;
    /// Only when the cluster runs with `tick_interval`.
    ticker_actor ticker;
    snapshot_worker_actor snapshotter;
  };

  temp_dir dir;
  std::shared_ptr<direct_network> net = std::make_shared<direct_network>();
  std::array<node, 4> nodes;
  storage::region_meta meta;
  /// When set, every store started from now on gets its own ticker with this interval;
  /// otherwise ticks come from `tick_all`.
  caf::timespan tick_interval{0};
  bool hibernate = false;
  std::size_t max_pending_requests = 10000;
  session_table::limits sessions;
  /// When set, the replica on store `i` sends its apply halves to `applier_for(i, applier)`
  /// instead of the store's apply writer (a stand-in that delays acknowledgements).
  std::function<store_writer_actor(std::size_t, store_writer_actor)> applier_for;
  /// The same for the log halves.
  std::function<store_writer_actor(std::size_t, store_writer_actor)> writer_for;
  std::size_t max_outstanding_readies = 1;
  request_limits limits;
  /// The leader's read lease (zero: every read takes a ReadIndex round).
  std::chrono::nanoseconds lease{0};
  std::uint64_t transfer_max_lag = peer_config{}.transfer_max_lag;
  int log_gc_ticks = peer_config{}.log_gc_ticks;
  std::uint64_t log_gc_threshold = peer_config{}.log_gc_threshold;
  std::uint64_t log_gc_count_limit = peer_config{}.log_gc_count_limit;
  /// Where the replica on store `i` publishes its lease for local reads.
  std::array<std::shared_ptr<lease_grant>, 4> grants{
      std::make_shared<lease_grant>(), std::make_shared<lease_grant>(),
      std::make_shared<lease_grant>(), std::make_shared<lease_grant>()};

  /// When set before a replica starts, its reports to PD are kept in `reports` (all stores').
  bool collect_reports = false;
  std::shared_ptr<std::vector<pd::region_heartbeat>> reports =
      std::make_shared<std::vector<pd::region_heartbeat>>();

  peer_id joining_as_;

  cluster() {
    meta.id = region_id{1};
    meta.start_key = "";
    meta.end_key = "m";
    meta.epoch = {1, 1};
    for (std::uint64_t i = 0; i < 3; ++i)
      meta.peers.push_back({peer_id{11 + i}, store_id{1 + i}, storage::peer_role::voter});
  }

  ~cluster() { stop_all(); }

  static store_id store_of(std::size_t i) { return store_id{1 + i}; }

  void start(std::size_t i, bool found) { start(i, found, meta); }

  /// Starts the replica on store `i`, founding it from `founding` first if `found`.
  void start(std::size_t i, bool found, const storage::region_meta& founding) {
    auto& n = nodes[i];
    n.store = open_test_engines(dir.sub("store" + std::to_string(i)), store_of(i));
    n.writer = spawn_log_writer(sys, n.store.raft, false);
    n.applier = spawn_apply_writer(sys, n.store.kv, false);
    if (found) {
      REQUIRE(ask<bool>(sys, sched, n.writer, bootstrap_atom::value, founding).value());
      REQUIRE(ask<bool>(sys, sched, n.applier, bootstrap_atom::value, founding).value());
    }
    n.transport = spawn_direct_transport(sys, store_of(i), net);
    region_peer_context ctx;
    ctx.config.store = store_of(i);
    ctx.config.region = meta.id;
    ctx.config.created_as = joining_as_;
    ctx.config.seed = 1;
    ctx.config.hibernate = hibernate;
    ctx.config.max_pending_requests = max_pending_requests;
    ctx.config.sessions = sessions;
    ctx.config.max_outstanding_readies = max_outstanding_readies;
    ctx.config.limits = limits;
    ctx.config.lease = lease;
    ctx.config.transfer_max_lag = transfer_max_lag;
    ctx.config.log_gc_ticks = log_gc_ticks;
    ctx.config.log_gc_threshold = log_gc_threshold;
    ctx.config.log_gc_count_limit = log_gc_count_limit;
    n.snapshotter =
        spawn_snapshot_worker(sys, n.store, dir.sub("snap" + std::to_string(i)), sessions, false);
    ctx.snapshotter = n.snapshotter;
    ctx.grant = grants[i];
    if (tick_interval.count() > 0) n.ticker = spawn_ticker(sys, tick_interval);
    ctx.ticker = n.ticker;
    ctx.store = n.store;
    ctx.writer = writer_for ? writer_for(i, n.writer) : n.writer;
    ctx.applier = applier_for ? applier_for(i, n.applier) : n.applier;
    ctx.transport = n.transport;
    if (collect_reports) ctx.heartbeat = spawn_report_collector();
    n.peer = spawn_region_peer(sys, ctx);
    net->add(store_of(i), meta.id, n.peer);
    sched.run();
  }

  heartbeat_agent_actor spawn_report_collector() {
    auto kept = reports;
    return sys.spawn([kept]() -> heartbeat_agent_actor::behavior_type {
      return {
          [kept](report_atom, pd::region_heartbeat& hb, const region_peer_actor&) {
            kept->push_back(std::move(hb));
          },
          [](agent_round_atom) {},
      };
    });
  }

  /// Starts the replica on store `i` as a leader's first message to peer `as` creates it on a
  /// store (the supervisor's part): not founded, uninitialized until a snapshot comes.
  void join(std::size_t i, peer_id as) {
    joining_as_ = as;
    start(i, false);
    joining_as_ = peer_id{};
  }

  void start_all(bool found) {
    for (std::size_t i = 0; i < 3; ++i)
      start(i, found);
  }

  void stop_all() {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      auto& n = nodes[i];
      if (!n.peer) continue;
      net->remove_store(store_of(i));
      caf::anon_send_exit(n.peer, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(n.writer, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(n.applier, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(n.transport, caf::exit_reason::user_shutdown);
      if (n.ticker) caf::anon_send_exit(n.ticker, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(n.snapshotter, caf::exit_reason::user_shutdown);
    }
    sched.run();
    for (auto& n : nodes)
      n = node{};
  }

  region_status status(std::size_t i) {
    return ask<region_status>(sys, sched, nodes[i].peer, status_atom::value).value();
  }

  void tick_all(int rounds) {
    for (int k = 0; k < rounds; ++k) {
      for (auto& n : nodes)
        caf::anon_send(n.peer, raft_tick_atom::value);
      sched.run();
    }
  }

  request_header header() const { return request_header{meta.id, meta.epoch}; }

  /// PD's order to the leader (store 0) to hand leadership to the replica on store `i`.
  void transfer_to(std::size_t i) {
    pd::directive d;
    d.kind = pd::directive_kind::transfer_leader;
    d.region = meta.id;
    d.epoch = meta.epoch;
    d.peer = meta.peers[i];
    caf::anon_send(nodes[0].peer, directive_atom::value, d);
  }

  caf::expected<write_response> put(std::size_t i, std::string key, std::string value,
                                    std::uint64_t seq = 0) {
    return ask<write_response>(
        sys, sched, nodes[i].peer, kv_put_atom::value,
        put_request{header(), std::move(key), std::move(value), client_id{1}, seq});
  }

  caf::expected<get_response> get(std::size_t i, std::string key) {
    return ask<get_response>(sys, sched, nodes[i].peer, kv_get_atom::value,
                             get_request{header(), std::move(key)});
  }
};

inline std::optional<errc> code_of(const caf::error& e) {
  return rdb_code(e);
}

}  // namespace rdb::test
