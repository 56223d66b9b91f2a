#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/ids.hpp"

namespace rdb::storage {

/// How to open a store directory.
struct store_options {
  /// The cluster the store must belong to. Required to create a store; when opening an
  /// existing one, none accepts any cluster (tools) and anything else must match.
  cluster_id cluster;
  /// Same rules as `cluster`, for the store id.
  store_id store;
  /// Write the store identity if the directory holds none yet.
  bool create_if_missing = false;
  /// Open without any write access (rdb-dump); `store::write` is then refused.
  bool read_only = false;
  /// True: every `store::write` is durable when it returns (two syncs: the pages, then the
  /// meta page). False: the pages are synced but the meta page only with the next write
  /// (LMDB's `MDB_NOMETASYNC`): integrity is kept, but a system crash may undo the last
  /// write. Only for data that can be rebuilt, like the state machine that the raft log
  /// replays from its applied index.
  bool sync_meta = true;
  /// Map size to start with. LMDB raises it to at least the space the file already uses.
  std::size_t initial_map_size = std::size_t{64} << 20;
  /// Size of one raft log segment file (log_engine), preallocated when it is started.
  std::uint64_t log_segment_bytes = std::uint64_t{64} << 20;
  /// Sealed raft log segments (all but the one being written) held open for reads at once;
  /// a read of another opens it, closing the least recently read. Bounds the descriptors a
  /// store uses however long a lagging region keeps old segments alive.
  std::size_t log_open_segments = 8;
  /// The map grows (doubling) on `MDB_MAP_FULL` up to this size; past it writes fail with
  /// `map_full`.
  std::size_t max_map_size = std::size_t{64} << 30;
};

}  // namespace rdb::storage
