#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/store_writer_interface.hpp"
#include "storage/store.hpp"

namespace rdb {

/// Spawns the store writer of `st` (see store_writer_interface.hpp). The writer blocks on
/// fsync, so it runs `detached` on its own thread; tests on CAF's deterministic coordinator
/// spawn it scheduled instead so the coordinator steps it like any other actor. The writer
/// must be the only one that writes `st`.
store_writer_actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<storage::store> st,
                                      bool detached = true);

}  // namespace rdb
