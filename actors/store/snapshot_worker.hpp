#pragma once

#include <string>

#include <caf/fwd.hpp>

#include "actors/region/session_table.hpp"
#include "actors/store/snapshot_worker_interface.hpp"
#include "storage/engines.hpp"

namespace rdb {

/// Spawns the snapshot worker of the store `st` (see snapshot_worker_interface.hpp), writing
/// its files to `dir` (created, and emptied of earlier files). `limits` are the client session
/// bounds of the store's regions, which a snapshot's session replay keeps as their apply did.
/// With `detached` false it runs on the scheduler (tests on the deterministic coordinator).
snapshot_worker_actor spawn_snapshot_worker(caf::actor_system& sys, storage::engines st,
                                            std::string dir, session_table::limits limits,
                                            bool detached = true);

/// Removes every file in `dir` and makes sure it exists: snapshots a crash left behind, made
/// or received, are never used.
void reset_snapshot_dir(const std::string& dir);

}  // namespace rdb
