#include "storage/segment_preparer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace rdb::storage {

segment_preparer::segment_preparer(std::uint64_t bytes)
    : bytes_(bytes), thread_([this] { run(); }) {}

segment_preparer::~segment_preparer() {
  {
    std::lock_guard lock{mutex_};
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (wanted_ && done_ && fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path(*wanted_).c_str());
  }
}

void segment_preparer::prepare(const std::string& final_path) {
  {
    std::lock_guard lock{mutex_};
    if (wanted_) return;
    wanted_ = final_path;
    done_ = false;
    fd_ = -1;
  }
  cv_.notify_all();
}

int segment_preparer::take(const std::string& final_path) {
  std::unique_lock lock{mutex_};
  if (!wanted_ || *wanted_ != final_path) return -1;
  cv_.wait(lock, [&] { return done_; });
  wanted_.reset();
  return std::exchange(fd_, -1);
}

void segment_preparer::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (wanted_ && !done_); });
    if (stop_) return;
    auto path = temp_path(*wanted_);
    lock.unlock();
    int fd = make(path);
    lock.lock();
    fd_ = fd;
    done_ = true;
    cv_.notify_all();
  }
}

int segment_preparer::make(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  if (::posix_fallocate(fd, 0, static_cast<off_t>(bytes_)) != 0 || ::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(path.c_str());
    return -1;
  }
  return fd;
}

}  // namespace rdb::storage
