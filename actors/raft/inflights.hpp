#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "actors/raft/types.hpp"

namespace rdb::raft {

/// The append messages a leader sent to one follower in replicate state and has not yet seen
/// acknowledged: a sliding window that bounds memory and network use per follower (flow
/// control). Each slot remembers the last index of a message and its byte size.
class inflights {
 public:
  inflights(std::size_t max_count, std::uint64_t max_bytes)
      : max_count_(max_count), max_bytes_(max_bytes) {}

  /// Records a message whose last entry is `last`; the window must not be full.
  void add(log_index last, std::uint64_t bytes);

  /// Frees every message whose last index is <= `to` (acknowledged).
  void free_le(log_index to);

  bool full() const;
  std::size_t count() const { return count_; }
  std::uint64_t bytes() const { return bytes_; }
  void reset();

 private:
  struct slot {
    log_index last;
    std::uint64_t bytes = 0;
  };

  std::size_t max_count_;
  std::uint64_t max_bytes_;
  /// Ring buffer, grown lazily up to max_count_.
  std::vector<slot> buffer_;
  std::size_t start_ = 0;
  std::size_t count_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace rdb::raft
