#include "actors/writer_types.hpp"

namespace rdb {

void add_write_task(storage::write_batch& batch, const write_task& task) {
  if (!task.entries.empty()) batch.append(task.region, task.entries);
  if (task.has_hard_state) batch.set_hard_state(task.region, task.hard_state);
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
  if (task.has_apply_state) batch.set_apply_state(task.region, task.apply_state);
  if (task.has_region_state) batch.set_region_state(task.region, task.region_state);
}

}  // namespace rdb
