#pragma once

#include <memory>
#include <string>

#include "storage/error.hpp"
#include "storage/log_engine.hpp"
#include "storage/store.hpp"
#include "storage/store_options.hpp"

namespace rdb::storage {

/// The two parts of one store directory, split as TiKV splits raft-engine and kvdb so that the
/// sync on every client write's path writes little more than the entries.
///
/// - `raft` (`<dir>/raft`): each region's log, its hard state, and the log's truncated index
///   and term, in the append-only log engine (log_engine.hpp). Every write is synced before it
///   returns: a ready is acknowledged only once its entries and vote are on disk.
/// - `kv` (`<dir>/kv`): the state machine — user data, the applied index (`apply_state`),
///   region meta and region sizes, always changed together in one transaction. Opened with
///   `sync_meta` false: a system crash may undo its last write, which the raft log replays.
///
/// The contract between them: an entry reaches `kv` only after it is durable in `raft`, and
/// the log is never truncated past the applied index that `kv` has made durable. So on restart
/// `kv`'s applied index never exceeds `raft`'s last index, and every entry after it is still
/// in the log. It may exceed the hard state's commit: a new commit index alone is not written
/// before its entries are applied, and a replica takes the applied index as committed. Durable in
/// `kv` means: written by a commit that a later commit (or an `mdb_env_sync`) followed, since the
/// meta page of the last one is not synced.
struct engines {
  std::shared_ptr<log_engine> raft;
  std::shared_ptr<store> kv;

  /// Opens both under `dir` with `opts` (`sync_meta` is set for `kv` as above). With
  /// `create_if_missing` the subdirectories are created.
  static result<engines> open(const std::string& dir, const store_options& opts);
};

}  // namespace rdb::storage
