#include "actors/store/writer_types.hpp"

#include <string>
#include <utility>

#include "actors/store/region_bootstrap.hpp"

namespace rdb {

namespace {

void add_data_ops(storage::write_batch& batch, const write_task& task) {
  for (const auto& op : task.ops) {
    switch (op.kind) {
      case data_op_kind::put:
        batch.put(task.region, op.key, op.value);
        break;
      case data_op_kind::del:
        batch.del(task.region, op.key);
        break;
      case data_op_kind::delete_range:
        batch.delete_range(task.region, op.key, op.value);
        break;
    }
  }
}

}  // namespace

void add_write_task(storage::write_batch& batch, const write_task& task) {
  if (!task.entries.empty()) batch.append(task.region, task.entries);
  if (task.has_hard_state) batch.set_hard_state(task.region, task.hard_state);
  if (task.has_compaction) batch.compact_log(task.region, task.compact_to);
  if (task.has_snapshot) batch.clear_log(task.region);
  add_data_ops(batch, task);
  if (task.destroy) batch.destroy_region(task.region);
  for (auto client : task.ended_sessions)
    batch.del_session(task.region, client);
  for (const auto& s : task.sessions)
    batch.put_session(task.region, s);
  if (task.has_session_index) batch.set_session_index(task.region, task.session_index);
  if (task.has_apply_state) batch.set_apply_state(task.region, task.apply_state);
  if (task.has_region_state) batch.set_region_state(task.region, task.region_state);
  for (const auto& child : task.children) {
    const auto id = child.meta.id;
    batch.set_region_state(id,
                           storage::region_local_state{child.meta, storage::peer_state::normal});
    batch.set_apply_state(id, storage::apply_state{founding_index, founding_index, founding_term});
    for (const auto& s : child.sessions)
      batch.put_session(id, s);
    batch.set_session_index(id, founding_index);
    batch.move_size(task.region, id, child.bytes);
  }
}

storage::result<void> add_snapshot_install(storage::write_batch& batch, const write_task& task,
                                           const storage::snapshot_contents& snap) {
  if (snap.region.region.id != task.region || snap.applied != task.apply_state.applied_index)
    return storage::fail(storage::errc::invalid_argument,
                         "snapshot file " + task.snapshot_file + " holds region " +
                             std::to_string(snap.region.region.id.value()) + " at index " +
                             std::to_string(snap.applied.value()) + ", not the one installed");
  const auto region = task.region;
  add_data_ops(batch, task);
  batch.delete_range(region, snap.region.region.start_key, snap.region.region.end_key);
  batch.destroy_region(region);
  for (const auto& p : snap.data)
    batch.put(region, p.key, p.value);
  for (const auto& s : snap.sessions)
    batch.put_session(region, s);
  batch.set_session_index(region, snap.applied);
  batch.set_apply_state(region, task.apply_state);
  batch.set_region_state(region, task.region_state);
  return {};
}

write_task split_apply_half(write_task& task) {
  write_task apply;
  apply.region = task.region;
  apply.ready_number = task.ready_number;
  apply.stage = write_stage::apply;
  apply.ops = std::move(task.ops);
  task.ops.clear();
  apply.sessions = std::exchange(task.sessions, {});
  apply.ended_sessions = std::exchange(task.ended_sessions, {});
  apply.has_session_index = std::exchange(task.has_session_index, false);
  apply.session_index = task.session_index;
  apply.has_apply_state = std::exchange(task.has_apply_state, false);
  apply.apply_state = task.apply_state;
  apply.has_region_state = std::exchange(task.has_region_state, false);
  apply.region_state = std::move(task.region_state);
  task.region_state = {};
  apply.children = std::exchange(task.children, {});
  task.stage = write_stage::log;
  return apply;
}

bool is_empty(const write_task& task) {
  return task.entries.empty() && !task.has_hard_state && !task.has_compaction &&
         !task.has_snapshot && !task.destroy && task.snapshot_file.empty() && task.ops.empty() &&
         task.sessions.empty() && task.ended_sessions.empty() && !task.has_session_index &&
         !task.has_apply_state && !task.has_region_state && task.children.empty();
}

}  // namespace rdb
