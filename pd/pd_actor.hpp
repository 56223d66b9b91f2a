#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "pd/cluster_state.hpp"
#include "pd/meta_store.hpp"
#include "pd/pd_interface.hpp"

namespace rdb::pd {

struct pd_config {
  cluster_config cluster;
  /// Period of PD's own tick timer. Zero: PD time advances only by `pd_tick_atom` messages from
  /// outside (tests drive it that way).
  caf::timespan tick_interval{0};
  /// Run PD on a thread of its own. A durable meta store (LMDB) syncs to disk in every commit:
  /// on a scheduler worker that sync would stall every actor queued behind PD. Off for the
  /// in-memory store and CAF's deterministic test scheduler, which runs detached actors on
  /// real threads.
  bool detached = false;
  /// How many ticks a `split_region` request waits for the child to be reported.
  std::uint64_t split_wait_ticks = 30;
};

/// What the PD actor owns: the meta store and the cluster state that writes through it.
struct pd_core {
  std::unique_ptr<meta_store> store;
  cluster_state cluster;
};

/// A `split_region` request waiting for its child to be reported.
struct pending_split {
  directive ordered;
  tick_no deadline;
  caf::response_promise answer;
};

struct pd_state {
  static inline const char* name = "pd";
  std::shared_ptr<pd_core> core;
  caf::timespan tick_interval{0};
  std::uint64_t split_wait_ticks = 30;
  std::vector<pending_split> splits;
  /// Run PD on a thread of its own. A durable meta store (LMDB) syncs to disk in every commit:
  /// on a scheduler worker that sync would stall every actor queued behind PD. Off for the
  /// in-memory store and CAF's deterministic test scheduler, which runs detached actors on
  /// real threads.
  bool detached = false;
};

/// The PD actor's behavior over an opened core. It only dispatches: each handler is one call
/// into the cluster state, whose failures become `caf::error`s of category "pd".
pd_actor::behavior_type pd_actor_impl(pd_actor::stateful_pointer<pd_state> self,
                                      std::shared_ptr<pd_core> core, caf::timespan tick_interval,
                                      std::uint64_t split_wait_ticks);

/// Opens the cluster state persisted in `store` and spawns the PD actor over it. Fails (with
/// `storage_corrupt` or `storage_failure`) without spawning if the state cannot be read.
result<pd_actor> spawn_pd(caf::actor_system& sys, std::unique_ptr<meta_store> store,
                          pd_config cfg = {});

/// Opens (or creates) the LMDB directory `dir` and spawns the PD actor over it.
result<pd_actor> spawn_pd(caf::actor_system& sys, const std::string& dir, pd_config cfg = {});

}  // namespace rdb::pd
