#include "pd/store_table.hpp"

namespace rdb::pd {

const store_info* store_table::find(store_id id) const {
  auto it = stores_.find(id);
  return it == stores_.end() ? nullptr : &it->second;
}

store_info* store_table::find_mutable(store_id id) {
  auto it = stores_.find(id);
  return it == stores_.end() ? nullptr : &it->second;
}

const store_info* store_table::find_by_address(std::string_view address) const {
  // Registration is rare and store counts are small: a scan beats keeping a second index
  // consistent through address changes and tombstones.
  for (const auto& [id, s] : stores_)
    if (s.state != store_state::tombstone && s.address == address) return &s;
  return nullptr;
}

void store_table::put(store_info s) {
  auto id = s.id;
  stores_.insert_or_assign(id, std::move(s));
}

void store_table::update_liveness(tick_no now) {
  for (auto& [id, s] : stores_)
    if (s.state == store_state::up && now - s.last_heartbeat >= down_after_)
      s.state = store_state::down;
}

std::vector<store_info> store_table::list() const {
  std::vector<store_info> out;
  out.reserve(stores_.size());
  for (const auto& [id, s] : stores_)
    out.push_back(s);
  return out;
}

}  // namespace rdb::pd
