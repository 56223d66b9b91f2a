#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tools/lincheck/history.hpp"

namespace rdb::console {

/// Background load for scenarios: closed-loop clients, each on a thread of its own with its
/// own client, writing unique values and reading 16 keys (one in each region of a fresh
/// cluster), and recording every operation in the shared history format, so that a scenario
/// can check what its faults did to the clients' view.
class load_runner {
 public:
  struct summary {
    std::uint64_t operations = 0;
    std::uint64_t errors = 0;
    /// Writes whose outcome is unknown (they may have been applied).
    std::uint64_t unknown = 0;
    double seconds = 0;
    std::vector<lincheck::operation> history;
  };

  /// Starts `clients` clients against the stores at `stores` (client addresses), each
  /// operation bounded by `deadline`.
  load_runner(std::vector<std::string> stores, std::size_t clients,
              std::chrono::milliseconds deadline);
  /// Stops the clients if `stop` was not called.
  ~load_runner();
  load_runner(const load_runner&) = delete;
  load_runner& operator=(const load_runner&) = delete;

  /// Stops the clients, waits for their last operations, and returns what they did.
  summary stop();

 private:
  void run(std::size_t client);

  std::vector<std::string> stores_;
  std::chrono::milliseconds deadline_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stopping_{false};
  std::mutex mtx_;
  summary done_;
  std::vector<std::thread> threads_;
};

}  // namespace rdb::console
