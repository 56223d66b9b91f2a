#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "actors/pd_client/heartbeat_agent_interface.hpp"
#include "actors/router/router_interface.hpp"
#include "actors/store/split_checker.hpp"
#include "actors/store/supervisor_interface.hpp"
#include "pd/pd_interface.hpp"

namespace rdb {

/// Counters of the heartbeat agent, for tests and the console.
struct agent_stats {
  std::uint64_t rounds = 0;
  std::uint64_t store_heartbeats = 0;
  std::uint64_t region_heartbeats = 0;
  /// Region reports sent as soon as they arrived because leader or epoch changed.
  std::uint64_t immediate_reports = 0;
  std::uint64_t directives = 0;
  /// Requests to PD that failed (timeout, PD error); retried next round.
  std::uint64_t pd_failures = 0;
  /// Regions PD lists for this store that the agent asked the supervisor to create.
  std::uint64_t regions_created = 0;
  /// Replicas PD's metas show removed while this store was away, reported to the supervisor.
  std::uint64_t removals_found = 0;

  bool operator==(const agent_stats&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_stats& x) {
  return f(caf::meta::type_name("agent_stats"), x.rounds, x.store_heartbeats, x.region_heartbeats,
           x.immediate_reports, x.directives, x.pd_failures, x.regions_created, x.removals_found);
}

/// The heartbeat agent as the store assembly spawns it: `heartbeat_agent_actor` plus
/// - `(stats_atom)` -> agent_stats.
/// - `(resync_atom)` — sent by the agent to itself only, `unsynced_retry` after PD could not
///   list this store's regions yet: ask again, outside the round.
using store_agent_actor =
    heartbeat_agent_actor::extend<caf::replies_to<stats_atom>::with<agent_stats>,
                                  caf::reacts_to<resync_atom>>;

struct agent_config {
  store_id store;
  /// The store directory, for the capacity figures of the store heartbeat.
  std::string dir;
  pd::pd_actor pd;
  /// Receives `create_region` for every region of PD's first layout placed on this store that
  /// has no local route yet (a replica added later is created by its leader's first message).
  supervisor_actor supervisor;
  /// Carries out the splits PD orders; without one they go to the region's peer, which
  /// ignores them.
  split_checker_actor splitter;
  /// The store's routes: region and leader counts, and which regions run here.
  std::shared_ptr<route_holder> routes;
  /// The agent's own timer. Zero: no timer, rounds come from `agent_round_atom` sent by others
  /// (tests on the deterministic coordinator).
  caf::timespan interval = std::chrono::seconds{1};
  /// Bound on every request to PD and to the supervisor: CAF 0.17 loses answers owed by dead
  /// actors, so a lost answer only costs one round.
  caf::timespan request_timeout = std::chrono::seconds{3};
  /// Every how many rounds the agent asks PD which regions this store should carry (every
  /// round until PD has answered once, e.g. while the cluster is not bootstrapped yet) and asks
  /// the leaders here to report, so PD's directives reach quiet regions too.
  std::uint64_t sync_every = 10;
  /// Until PD has listed this store's regions once (a cluster being bootstrapped), the list is
  /// asked again this soon after a failure instead of a round later: a fresh cluster's regions
  /// start on every store within about this much of each other. Only with a timer (`interval`).
  caf::timespan unsynced_retry = std::chrono::milliseconds{100};
};

/// Spawns the PD heartbeat agent of one store (see heartbeat_agent_interface.hpp). Its first
/// round runs at once, so a fresh store learns its regions from PD without waiting.
store_agent_actor spawn_heartbeat_agent(caf::actor_system& sys, agent_config cfg);

}  // namespace rdb
