#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/snapshot_file.hpp"
#include "storage/types.hpp"
#include "storage/write_batch.hpp"

/// Value types of the store writer's messages (actors/store/store_writer_interface.hpp). Plain C++
/// so the region peer's logic builds tasks without CAF.
namespace rdb {

/// Kinds of change an applied command makes to the data database. Pinned numbers.
enum class data_op_kind : std::uint8_t { put = 0, del = 1, delete_range = 2 };

/// The enumerator's name; a `std::string` so CAF prints it inside messages.
inline std::string to_string(data_op_kind k) {
  switch (k) {
    case data_op_kind::put:
      return "put";
    case data_op_kind::del:
      return "del";
    case data_op_kind::delete_range:
      return "delete_range";
  }
  return "unknown";
}

/// One change to the data database, made by applying a committed entry.
struct data_op {
  data_op_kind kind = data_op_kind::put;
  std::string key;
  /// put: the value; delete_range: the end key of [key, end) (empty means +infinity).
  std::string value;

  bool operator==(const data_op&) const = default;
};

/// Which half of a ready a task carries, and so which writer takes it (storage/engines.hpp).
/// Pinned numbers.
enum class write_stage : std::uint8_t {
  /// Log entries and hard state, for the raft environment's writer.
  log = 0,
  /// Data changes, apply state and region meta of the committed entries, for the kv
  /// environment's writer; sent only once the ready's log half is durable.
  apply = 1,
};

/// The enumerator's name; a `std::string` so CAF prints it inside messages.
inline std::string to_string(write_stage s) {
  return s == write_stage::log ? "log" : "apply";
}

/// A region a split creates: founded in the kv commit that shrinks its parent (see
/// `write_task::children`).
struct split_child {
  storage::region_meta meta;
  /// The parent's client sessions at the split: a write retried after it is still recognised.
  std::vector<storage::client_session> sessions;
  /// Approximate size that moves from the parent to the child.
  std::uint64_t bytes = 0;

  bool operator==(const split_child&) const = default;
};

/// What one ready of one region asks to be made durable. The region peer builds it whole, then
/// splits it (`split_apply_half`): the log half (log entries, a conflicting suffix replaced,
/// and hard state) goes to the log engine; the apply half (the data changes of the ready's
/// committed entries, the new apply state and the region state they produce) goes to the kv
/// environment in one transaction, so apply state, data and region meta changed by an entry
/// are never apart on disk.
struct write_task {
  region_id region;
  /// The ready's number, echoed in the acknowledgement.
  std::uint64_t ready_number = 0;
  write_stage stage = write_stage::log;
  std::vector<raft::entry> entries;
  bool has_hard_state = false;
  raft::hard_state hard_state;
  std::vector<data_op> ops;
  bool has_apply_state = false;
  storage::apply_state apply_state;
  /// Set when an applied entry changed the region meta (a conf change, later a split).
  bool has_region_state = false;
  storage::region_local_state region_state;
  /// A checkpoint of the client sessions: those changed since the last one, those evicted (by
  /// client id), and the applied index they now stand for (actors/region/session_table.hpp).
  std::vector<storage::client_session> sessions;
  std::vector<std::uint64_t> ended_sessions;
  bool has_session_index = false;
  raft::log_index session_index;
  /// Log stage: the log may be dropped up to `compact_to` (after the entries above).
  bool has_compaction = false;
  raft::log_index compact_to;
  /// Apply stage: the region's kv state is replaced by this received snapshot file (its data,
  /// client sessions and session index; `apply_state` and `region_state` come with the task,
  /// and `ops` delete what the replica held before). See `add_snapshot_install`.
  std::string snapshot_file;
  /// Log stage: a snapshot at this index and term replaced the log (`apply_state` carries the
  /// same truncation): every entry goes.
  bool has_snapshot = false;
  /// The replica left the region: every record of it in this stage's environment goes (log,
  /// states, sessions), after the data changes and before the region state, which then marks
  /// it tombstone.
  bool destroy = false;
  /// Apply stage: regions split off by the applied entries, each founded with this commit: its
  /// region state, its apply state at the founding index (actors/store/region_bootstrap.hpp)
  /// and its client sessions. Its log needs nothing: a replica whose kv state is founded and
  /// whose log is empty resets the log at open (actors/region/raft_storage.hpp).
  std::vector<split_child> children;
  /// Someone waits for this task (a read, a membership change): a writer with a commit delay
  /// commits it at once.
  bool urgent = false;

  bool operator==(const write_task&) const = default;
};

/// The acknowledgement of one `write_task`: half `stage` of ready `ready_number` of `region`
/// is written (or,
/// with `failed`, could not be written: nothing of its batch is on disk and the peer must stop
/// and be restarted from disk by its supervisor).
struct persisted {
  region_id region;
  std::uint64_t ready_number = 0;
  write_stage stage = write_stage::log;
  bool failed = false;
  std::string detail;

  bool operator==(const persisted&) const = default;
};

/// Counters since the writer started. `syncs` counts every `store::write` (one durable sync
/// each): one per batch that changed anything, plus one per bootstrap. `tasks / batches` is
/// the group commit factor.
struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t tasks = 0;
  std::uint64_t entries = 0;
  std::uint64_t data_ops = 0;
  std::uint64_t syncs = 0;
  std::uint64_t failed_batches = 0;
  /// The most tasks one batch carried.
  std::uint64_t max_batch_tasks = 0;

  bool operator==(const writer_stats&) const = default;
};

/// Adds one task's changes to `batch` in the documented order: entries, hard state, data
/// changes, client sessions, apply state, region state.
void add_write_task(storage::write_batch& batch, const write_task& task);

/// Adds the install of a received snapshot `snap` for an apply-stage task whose
/// `snapshot_file` it was read from: the task's deletions (the replica's old range), the
/// snapshot's range cleared, the region's kv records (states, sessions, size) dropped, then
/// the snapshot's data and sessions with the task's apply and region state. Fails (adding
/// nothing) if the snapshot is not the one the task names: another region or applied index.
storage::result<void> add_snapshot_install(storage::write_batch& batch, const write_task& task,
                                           const storage::snapshot_contents& snap);

/// Splits a whole ready's task in its two halves: `task` keeps the log entries and hard state
/// (stage log); the returned task takes the data changes, client sessions, apply state and
/// region state (stage apply).
write_task split_apply_half(write_task& task);

/// Whether a task carries nothing to write.
bool is_empty(const write_task& task);

}  // namespace rdb
