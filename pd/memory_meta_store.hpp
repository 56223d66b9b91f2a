#pragma once

#include "pd/meta_store.hpp"

namespace rdb::pd {

/// A meta store in memory, for simulations and tests: "restarts" by handing the same object to
/// a new cluster state, and can be told to refuse commits to exercise `storage_failure`.
class memory_meta_store final : public meta_store {
 public:
  result<persisted_state> load() override;
  result<void> commit(const change_set& changes) override;

  /// While set, every commit fails with `storage_failure` and changes nothing.
  void fail_commits(bool on) { fail_commits_ = on; }

  /// How many commits succeeded so far.
  std::size_t commits() const { return commits_; }

  const persisted_state& state() const { return state_; }

 private:
  persisted_state state_;
  bool fail_commits_ = false;
  std::size_t commits_ = 0;
};

}  // namespace rdb::pd
