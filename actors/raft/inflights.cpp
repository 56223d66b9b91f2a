#include "actors/raft/inflights.hpp"

#include <algorithm>

#include "actors/raft/invariant.hpp"

namespace rdb::raft {

void inflights::add(log_index last, std::uint64_t bytes) {
  expects(!full(), "inflights window overflow");
  if (buffer_.size() < max_count_ && count_ == buffer_.size()) {
    // Grow in place: re-linearise the ring so the new slot is at the logical end.
    std::rotate(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_),
                buffer_.end());
    start_ = 0;
    buffer_.resize(std::min(max_count_, std::max<std::size_t>(buffer_.size() * 2, 8)));
  }
  auto pos = (start_ + count_) % buffer_.size();
  buffer_[pos] = slot{last, bytes};
  ++count_;
  bytes_ += bytes;
}

void inflights::free_le(log_index to) {
  while (count_ > 0 && buffer_[start_].last <= to) {
    bytes_ -= buffer_[start_].bytes;
    start_ = (start_ + 1) % buffer_.size();
    --count_;
  }
  if (count_ == 0) start_ = 0;
}

bool inflights::full() const {
  return count_ == max_count_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
}

void inflights::reset() {
  start_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace rdb::raft
