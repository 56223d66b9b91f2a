#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "actors/common/raft_inspect.hpp"
#include "actors/raft/types.hpp"
#include "actors/store/writer_types.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// A store writer: the only writer of one of its store's two parts (storage/engines.hpp), the
/// log engine or the kv environment, a detached actor (it blocks on fsync). The log writer
/// takes the log halves of readys, the apply writer their apply halves.
///
/// Group commit: region peers send one `write_task` per raft ready. The first task after a
/// flush makes the writer send itself `flush_atom`; that message queues behind every task
/// already in the mailbox, so when it arrives the writer turns everything collected since into
/// ONE `storage::write_batch`, commits it with ONE write (one record or transaction, one sync),
/// and only then acknowledges each task to its sender with `(persisted_atom, persisted)`.
/// Under load a batch holds the readys of many regions; an idle store still commits a single
/// task at once.
///
/// A writer may be given a commit delay (the apply writer is): a task that is not `urgent`
/// then waits up to that long for others to share its commit, since fewer, larger apply
/// batches rewrite fewer LMDB pages per client write and leave the disk to the log's syncs.
/// An urgent task, or any task of a writer without delay, is committed at once.
namespace rdb {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, data_op& x) {
  return f(caf::meta::type_name("data_op"), x.kind, x.key, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_child& x) {
  return f(caf::meta::type_name("split_child"), x.meta, x.sessions, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_task& x) {
  return f(caf::meta::type_name("write_task"), x.region, x.ready_number, x.stage, x.entries,
           x.has_hard_state, x.hard_state, x.ops, x.has_apply_state, x.apply_state,
           x.has_region_state, x.region_state, x.sessions, x.ended_sessions, x.has_session_index,
           x.session_index, x.has_compaction, x.compact_to, x.snapshot_file, x.has_snapshot,
           x.destroy, x.children, x.urgent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, persisted& x) {
  return f(caf::meta::type_name("persisted"), x.region, x.ready_number, x.stage, x.failed,
           x.detail);
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
///   `(persisted_atom, persisted)` once the batch holding it is committed: one acknowledgement
///   per sender, region and batch, naming the last such task in it, covers that task and every
///   earlier one. Tasks of one sender are committed in the order they were sent.
/// - `(flush_atom)` — commit what has been collected. Sent by the writer to itself, and by a
///   region peer whose read waits for an apply half the writer may be holding back.
/// - `(commit_due_atom)` — sent by the writer to itself only, the commit delay after the first task
///   that may wait: commit what has been collected.
/// - `(bootstrap_atom, storage::region_meta)` -> bool — writes this writer's half of the
///   founding state of the store's replica of a region, from PD's meta (region_bootstrap.hpp):
///   the log writer the hard state (term 5, commit 5), the apply writer the region local
///   state; both the apply state at the founding index 5. So every replica of PD's first
///   layout starts from the same log position. Answers true if written, false if this half was
///   already there (nothing changed). Storage failures answer a `caf::error` of category "rdb"
///   with `storage_corrupt`.
/// - `(stats_atom)` -> writer_stats — after committing every task received before it, so the
///   answer also tells that they are written.
using store_writer_actor =
    caf::typed_actor<caf::reacts_to<persist_atom, write_task>, caf::reacts_to<flush_atom>,
                     caf::reacts_to<commit_due_atom>,
                     caf::replies_to<bootstrap_atom, storage::region_meta>::with<bool>,
                     caf::replies_to<stats_atom>::with<writer_stats>>;

}  // namespace rdb
