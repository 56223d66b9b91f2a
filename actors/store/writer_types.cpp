#include "actors/store/writer_types.hpp"

#include <utility>

namespace rdb {

void add_write_task(storage::write_batch& batch, const write_task& task) {
  if (!task.entries.empty()) batch.append(task.region, task.entries);
  if (task.has_hard_state) batch.set_hard_state(task.region, task.hard_state);
  if (task.has_compaction) batch.compact_log(task.region, task.compact_to);
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
  for (auto client : task.ended_sessions)
    batch.del_session(task.region, client);
  for (const auto& s : task.sessions)
    batch.put_session(task.region, s);
  if (task.has_session_index) batch.set_session_index(task.region, task.session_index);
  if (task.has_apply_state) batch.set_apply_state(task.region, task.apply_state);
  if (task.has_region_state) batch.set_region_state(task.region, task.region_state);
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
  task.stage = write_stage::log;
  return apply;
}

bool is_empty(const write_task& task) {
  return task.entries.empty() && !task.has_hard_state && !task.has_compaction && task.ops.empty() &&
         task.sessions.empty() && task.ended_sessions.empty() && !task.has_session_index &&
         !task.has_apply_state && !task.has_region_state;
}

}  // namespace rdb
