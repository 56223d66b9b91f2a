#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/env.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/txn.hpp"
#include "storage/types.hpp"

namespace rdb::storage {

/// Reads and verifies the per-region records of `raft_state` inside one transaction (a read
/// view's or the writer's, which sees the batch's own earlier changes). An absent record is
/// an empty optional; a record that fails verification is `storage_corrupt`.
class state_reader {
 public:
  state_reader(const txn& t, const databases& dbs) : txn_(t), dbs_(dbs) {}

  result<std::optional<raft::hard_state>> hard_state(region_id region) const;
  result<std::optional<storage::apply_state>> apply_state(region_id region) const;
  /// The apply state, or all zeros for a region that has none yet.
  result<storage::apply_state> apply_state_or_default(region_id region) const;
  result<std::optional<region_local_state>> region_state(region_id region) const;
  /// Approximate bytes and keys of the region's data; zeros when nothing was ever recorded.
  result<region_usage> usage(region_id region) const;
  /// The applied index the region's client sessions stand for; 0 when none was recorded.
  result<raft::log_index> session_index(region_id region) const;
  /// The region's client sessions, in client id order.
  result<std::vector<client_session>> client_sessions(region_id region) const;
  /// Every region with any record in `raft_state`, in region id order.
  result<std::vector<region_id>> region_ids() const;
  /// Every region with a region local state, in region id order.
  result<std::vector<region_local_state>> regions() const;

 private:
  const txn& txn_;
  const databases& dbs_;
};

}  // namespace rdb::storage
