#pragma once

#include <string>

namespace rdb::test {

/// A fresh directory under the system's temporary directory, removed with everything in it on
/// destruction. Each test gets its own, so tests never see each other's stores.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();

  const std::string& path() const { return path_; }

  /// A path inside the directory (not created).
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace rdb::test
