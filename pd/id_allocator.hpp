#pragma once

#include <cstdint>
#include <optional>

#include "pd/types.hpp"

namespace rdb::pd {

/// Hands out cluster-wide unique ids (region, peer and store ids share one sequence), the way
/// etcd and TiKV's PD do it: the allocator persists a high-water mark `batch` ids ahead of what
/// it has handed out and serves ids below the mark from memory. After a restart it continues
/// above the persisted mark, so ids reserved but unused before a crash are skipped, never
/// reused. Id 0 means "none" and is never handed out.
///
/// Allocation is two-phase so the caller can persist the new mark in the same transaction as
/// whatever the ids are for: `plan` says which ids and whether the mark must move, and
/// `commit` takes the plan once it is durable.
class id_allocator {
 public:
  static constexpr std::uint64_t default_batch = 1000;

  /// One planned allocation.
  struct plan {
    id_range ids;
    /// The mark to persist before the ids may be used; nothing when the old one still covers
    /// them.
    std::optional<std::uint64_t> new_high_water;
  };

  explicit id_allocator(std::uint64_t batch = default_batch);

  /// Continues after a restart: ids up to `high_water` may have been handed out already.
  void restore(std::uint64_t high_water);

  /// Plans `count` (>= 1) fresh ids. Pure: changes nothing until `commit`.
  plan reserve(std::uint64_t count) const;

  /// Takes a plan whose mark (if any) is now durable.
  void commit(const plan& p);

  /// The next id `reserve` hands out.
  std::uint64_t next() const { return next_; }

  /// The durable mark: no id above it has been handed out.
  std::uint64_t high_water() const { return high_water_; }

 private:
  std::uint64_t batch_;
  std::uint64_t next_ = 1;
  std::uint64_t high_water_ = 0;
};

}  // namespace rdb::pd
