#include "pd/id_allocator.hpp"

#include <algorithm>

namespace rdb::pd {

id_allocator::id_allocator(std::uint64_t batch) : batch_(std::max<std::uint64_t>(batch, 1)) {}

void id_allocator::restore(std::uint64_t high_water) {
  high_water_ = high_water;
  next_ = high_water + 1;
}

id_allocator::plan id_allocator::reserve(std::uint64_t count) const {
  plan p;
  p.ids = id_range{next_, count};
  auto last = next_ + count - 1;
  // Move the mark a whole batch past the last id so that the next allocations are served from
  // memory without a write.
  if (last > high_water_) p.new_high_water = last + batch_;
  return p;
}

void id_allocator::commit(const plan& p) {
  next_ = p.ids.first + p.ids.count;
  if (p.new_high_water) high_water_ = *p.new_high_water;
}

}  // namespace rdb::pd
