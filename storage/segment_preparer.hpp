#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace rdb::storage {

/// Prepares the log engine's next segment file on a thread of its own: created under a
/// temporary name (`<segment>.prep`), preallocated and synced. Starting a segment then costs
/// the log writer a rename and a directory sync instead of allocating and syncing 64 MiB on
/// the path of every write waiting in that batch.
///
/// One file at a time: `prepare(path)` asks for the segment at `path`, `take(path)` waits for
/// it and hands over its descriptor. Failures only mean the caller creates the segment itself.
class segment_preparer {
 public:
  /// Files are made `bytes` long.
  explicit segment_preparer(std::uint64_t bytes);
  /// Stops the thread and removes a prepared file nobody took.
  ~segment_preparer();

  segment_preparer(const segment_preparer&) = delete;
  segment_preparer& operator=(const segment_preparer&) = delete;

  /// Starts preparing `final_path + ".prep"` unless a file is already wanted.
  void prepare(const std::string& final_path);
  /// Waits for the file prepared for `final_path` and returns its descriptor (open for reading
  /// and writing), or -1 if none was asked for or preparing it failed. The file keeps its
  /// temporary name: the caller renames it.
  int take(const std::string& final_path);

  static std::string temp_path(const std::string& final_path) { return final_path + ".prep"; }

 private:
  void run();
  /// Creates, preallocates and syncs the file; its descriptor, or -1.
  int make(const std::string& path) const;

  std::uint64_t bytes_;
  std::mutex mutex_;
  std::condition_variable cv_;
  /// The segment wanted, and whether its file is done (with `fd_`, -1 on failure).
  std::optional<std::string> wanted_;
  bool done_ = false;
  int fd_ = -1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rdb::storage
