#pragma once

#include <algorithm>
#include <chrono>

namespace rdb {

/// When to try reaching one peer again: exponential backoff from `first` up to `max` (at
/// least `first`).
class backoff {
 public:
  using clock = std::chrono::steady_clock;

  backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
      : first_(first), max_(std::max(first, max)), delay_(first) {}

  bool due(clock::time_point now) const { return now >= next_; }
  /// An attempt at `now` failed: wait the current delay (returned), twice as long next time.
  std::chrono::milliseconds failed(clock::time_point now) {
    auto wait = delay_;
    next_ = now + wait;
    delay_ = std::min(delay_ * 2, max_);
    return wait;
  }
  void succeeded() {
    delay_ = first_;
    next_ = {};
  }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds delay_;
  clock::time_point next_{};
};

}  // namespace rdb
