#pragma once

#include <memory>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/store_writer_interface.hpp"
#include "storage/store.hpp"

namespace rdb {

/// Spawns a store writer of `st` (see store_writer_interface.hpp), the environment of `stage`
/// (storage/engines.hpp): a store runs one writer per environment, so a slow apply batch never
/// holds up the sync of the next log batch. The writer blocks on fsync, so it runs `detached`
/// on its own thread; tests on CAF's deterministic coordinator spawn it scheduled instead so
/// the coordinator steps it like any other actor. The writer must be the only one that writes
/// `st`. `max_delay` is how long a task that is not urgent may wait for its commit (0: none).
store_writer_actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<storage::store> st,
                                      write_stage stage, bool detached = true,
                                      caf::timespan max_delay = caf::timespan{0});

}  // namespace rdb
