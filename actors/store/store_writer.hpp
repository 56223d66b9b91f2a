#pragma once

#include <memory>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/store/store_writer_interface.hpp"
#include "storage/log_engine.hpp"
#include "storage/store.hpp"

namespace rdb {

/// Spawns a store's log writer: the only writer of its log engine, taking the log halves of
/// readys (see store_writer_interface.hpp and storage/engines.hpp). A store runs one writer per
/// environment, so a slow apply batch never holds up the sync of the next log batch. Writers
/// block on fsync, so they run `detached` on their own threads; tests on CAF's deterministic
/// coordinator spawn them scheduled instead so the coordinator steps them like any other actor.
store_writer_actor spawn_log_writer(caf::actor_system& sys,
                                    std::shared_ptr<storage::log_engine> log, bool detached = true);

/// Spawns a store's apply writer: the only writer of its kv environment, taking the apply
/// halves. `max_delay` is how long a task that is not urgent may wait for its commit (0: none).
store_writer_actor spawn_apply_writer(caf::actor_system& sys, std::shared_ptr<storage::store> kv,
                                      bool detached = true,
                                      caf::timespan max_delay = caf::timespan{0});

}  // namespace rdb
