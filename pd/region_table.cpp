#include "pd/region_table.hpp"

#include <algorithm>
#include <cassert>

namespace rdb::pd {

const region_info* region_table::find_by_key(std::string_view key) const {
  auto it = by_start_.upper_bound(key);
  if (it == by_start_.begin()) return nullptr;
  const auto& r = by_id_.at(std::prev(it)->second);
  return before_end(key, r.meta.end_key) ? &r : nullptr;
}

const region_info* region_table::find_by_id(region_id id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<const region_info*> region_table::overlapping(std::string_view start,
                                                          std::string_view end) const {
  std::vector<const region_info*> out;
  // Only the region starting last at or before `start` can reach into the range from the
  // left; every other candidate starts inside it.
  auto it = by_start_.upper_bound(start);
  if (it != by_start_.begin()) --it;
  for (; it != by_start_.end() && before_end(it->first, end); ++it) {
    const auto& r = by_id_.at(it->second);
    if (ranges_overlap(start, end, r.meta.start_key, r.meta.end_key)) out.push_back(&r);
  }
  return out;
}

std::vector<region_info> region_table::list() const {
  std::vector<region_info> out;
  out.reserve(by_id_.size());
  for (const auto& [start, id] : by_start_)
    out.push_back(by_id_.at(id));
  return out;
}

std::vector<region_info> region_table::of_store(store_id store) const {
  std::vector<region_info> out;
  for (const auto& [start, id] : by_start_) {
    const auto& r = by_id_.at(id);
    if (std::ranges::any_of(r.meta.peers, [store](const auto& p) { return p.store == store; }))
      out.push_back(r);
  }
  return out;
}

std::uint64_t balance_weight(const region_info& r) {
  return std::max<std::uint64_t>(r.approximate_size, std::uint64_t{1} << 20);
}

void region_table::put(region_info r) {
  remove(r.meta.id);
  assert(overlapping(r.meta.start_key, r.meta.end_key).empty());
  by_start_.emplace(r.meta.start_key, r.meta.id);
  if (!r.leader.id.is_none()) ++leaders_[r.leader.store];
  for (const auto& p : r.meta.peers) {
    ++peers_[p.store];
    weights_[p.store] += balance_weight(r);
  }
  auto id = r.meta.id;
  by_id_.insert_or_assign(id, std::move(r));
}

void region_table::remove(region_id id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_start_.erase(it->second.meta.start_key);
  if (const auto& l = it->second.leader; !l.id.is_none()) --leaders_[l.store];
  for (const auto& p : it->second.meta.peers) {
    --peers_[p.store];
    weights_[p.store] -= balance_weight(it->second);
  }
  by_id_.erase(it);
}

std::size_t region_table::leader_count(store_id store) const {
  auto it = leaders_.find(store);
  return it == leaders_.end() ? 0 : it->second;
}

std::size_t region_table::peer_count(store_id store) const {
  auto it = peers_.find(store);
  return it == peers_.end() ? 0 : it->second;
}

std::uint64_t region_table::peer_weight(store_id store) const {
  auto it = weights_.find(store);
  return it == weights_.end() ? 0 : it->second;
}

}  // namespace rdb::pd
