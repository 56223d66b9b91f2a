#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "pd/types.hpp"

namespace rdb::pd {

/// The registered stores and their liveness.
///
/// Time is PD ticks, passed in by the caller: a store that has not sent a heartbeat for
/// `down_after` ticks is down, and its next heartbeat makes it up again. Tombstones are final.
class store_table {
 public:
  explicit store_table(std::uint64_t down_after) : down_after_(down_after) {}

  const store_info* find(store_id id) const;
  store_info* find_mutable(store_id id);

  /// The live (not tombstoned) store registered under `address`, or null.
  const store_info* find_by_address(std::string_view address) const;

  /// Inserts or replaces the entry of `s.id`.
  void put(store_info s);

  /// Re-evaluates liveness at tick `now`: up stores silent for `down_after` ticks go down.
  void update_liveness(tick_no now);

  /// All stores ordered by id, tombstones included.
  std::vector<store_info> list() const;

 private:
  std::uint64_t down_after_;
  std::map<store_id, store_info> stores_;
};

}  // namespace rdb::pd
