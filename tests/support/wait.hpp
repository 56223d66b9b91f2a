#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace rdb::test {

/// Re-checks `pred` until it holds or `bound` has passed; answers whether it held. The pause
/// between checks is a bounded wait on a condition nobody signals, so a slow machine only
/// costs time up to the bound, never a wrong answer. For conditions outside the test's
/// control (another process's log, the kernel's socket table) that nothing can notify.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds bound = std::chrono::seconds{30},
                       std::chrono::milliseconds poll = std::chrono::milliseconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  std::mutex mtx;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock{mtx};
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    cv.wait_for(lock, poll);
  }
  return true;
}

}  // namespace rdb::test
