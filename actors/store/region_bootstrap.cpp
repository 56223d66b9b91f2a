#include "actors/store/region_bootstrap.hpp"

namespace rdb {

void add_founding_state(storage::write_batch& batch, const storage::region_meta& meta,
                        write_stage stage) {
  batch.set_apply_state(meta.id,
                        storage::apply_state{founding_index, founding_index, founding_term});
  if (stage == write_stage::log)
    batch.set_hard_state(meta.id, raft::hard_state{founding_term, raft::node_id{}, founding_index});
  else
    batch.set_region_state(meta.id, storage::region_local_state{meta, storage::peer_state::normal});
}

}  // namespace rdb
