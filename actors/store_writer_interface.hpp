#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/inspect.hpp"
#include "actors/raft/types.hpp"
#include "actors/raft_inspect.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The store writer: the only LMDB writer of its store, a detached actor (it blocks on fsync).
///
/// Group commit: region peers send one `write_task` per raft ready. The first task after a
/// flush makes the writer send itself `flush_atom`; that message queues behind every task
/// already in the mailbox, so when it arrives the writer turns everything collected since into
/// ONE `storage::write_batch`, commits it with ONE `store::write` (one transaction, one sync),
/// and only then acknowledges each task to its sender with `(persisted_atom, persisted)`.
/// Under load a batch holds the readys of many regions; an idle store still commits a single
/// task at once.
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

/// Everything one ready of one region asks to be made durable, written in this order in the
/// same transaction: log entries (a conflicting suffix replaced), hard state, then the data
/// changes of the ready's committed entries, the new apply state and the region state they
/// produce. So apply state, data and region meta changed by an entry are never apart on disk.
struct write_task {
  region_id region;
  /// The ready's number, echoed in the acknowledgement.
  std::uint64_t ready_number = 0;
  std::vector<raft::entry> entries;
  bool has_hard_state = false;
  raft::hard_state hard_state;
  std::vector<data_op> ops;
  bool has_apply_state = false;
  storage::apply_state apply_state;
  /// Set when an applied entry changed the region meta (a conf change, later a split).
  bool has_region_state = false;
  storage::region_local_state region_state;

  bool operator==(const write_task&) const = default;

  /// True if the task changes nothing on disk (it is still acknowledged, in order).
  bool empty() const {
    return entries.empty() && !has_hard_state && ops.empty() && !has_apply_state &&
           !has_region_state;
  }
};

/// The acknowledgement of one `write_task`: ready `ready_number` of `region` is durable (or,
/// with `failed`, could not be written: nothing of its batch is on disk and the peer must stop
/// and be restarted from disk by its supervisor).
struct persisted {
  region_id region;
  std::uint64_t ready_number = 0;
  bool failed = false;
  std::string detail;

  bool operator==(const persisted&) const = default;
};

/// Counters since the writer started. `syncs` equals `batches` (one `store::write` each);
/// `tasks / syncs` is the group commit factor.
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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, data_op& x) {
  return f(caf::meta::type_name("data_op"), x.kind, x.key, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_task& x) {
  return f(caf::meta::type_name("write_task"), x.region, x.ready_number, x.entries,
           x.has_hard_state, x.hard_state, x.ops, x.has_apply_state, x.apply_state,
           x.has_region_state, x.region_state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, persisted& x) {
  return f(caf::meta::type_name("persisted"), x.region, x.ready_number, x.failed, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, writer_stats& x) {
  return f(caf::meta::type_name("writer_stats"), x.batches, x.tasks, x.entries, x.data_ops, x.syncs,
           x.failed_batches, x.max_batch_tasks);
}

/// Messages of the store writer.
///
/// - `(persist_atom, write_task)` — from a region peer: make the task durable in the next
///   group commit. Acknowledged to the sender, never answered as a request, with
///   `(persisted_atom, persisted)` once the batch holding it is committed. Tasks of one sender
///   are acknowledged in the order they were sent.
/// - `(flush_atom)` — sent by the writer to itself only: commit what has been collected.
/// - `(bootstrap_atom, storage::region_meta)` -> bool — founds this store's replica of a region
///   from PD's meta: region local state, and raft state at the founding index 5 (truncated
///   index and term 5, hard state term 5 commit 5), so every replica, founding or added later,
///   starts from the same log position. Answers true if written, false if the store already
///   has state for the region (nothing changed). Storage failures answer a `caf::error` of
///   category "rdb" with `storage_corrupt`.
/// - `(stats_atom)` -> writer_stats.
using store_writer_actor =
    caf::typed_actor<caf::reacts_to<persist_atom, write_task>, caf::reacts_to<flush_atom>,
                     caf::replies_to<bootstrap_atom, storage::region_meta>::with<bool>,
                     caf::replies_to<stats_atom>::with<writer_stats>>;

}  // namespace rdb
