#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pd/types.hpp"

namespace rdb::pd {

using storage::before_end;
using storage::ranges_overlap;

/// What a replica of `r` weighs when PD balances stores: the region's approximate size, at
/// least 1 MiB, so that empty and small regions count as one unit each and balance by weight is
/// balance by count while sizes are alike.
std::uint64_t balance_weight(const region_info& r);

/// PD's regions, indexed by id and by range.
///
/// Invariant: the ranges of the entries are pairwise disjoint, so each key lies in at most one
/// region. The table may have gaps while a split is reported piece by piece (a child's report
/// removes its parent's wider, older entry before the parent reports its narrower range).
/// Enforcing the epoch rules is the caller's job; the table only keeps the index consistent.
class region_table {
 public:
  /// The region containing `key`, or null.
  const region_info* find_by_key(std::string_view key) const;

  const region_info* find_by_id(region_id id) const;

  /// The regions sharing a key with [start, end), in key order.
  std::vector<const region_info*> overlapping(std::string_view start, std::string_view end) const;

  /// All regions in key order.
  std::vector<region_info> list() const;

  /// The regions with a peer on `store`, in key order.
  std::vector<region_info> of_store(store_id store) const;

  /// How many regions report a leader on `store`; kept up to date by `put` and `remove`.
  std::size_t leader_count(store_id store) const;

  /// How many regions have a peer (voter or learner) on `store`; kept up to date likewise.
  std::size_t peer_count(store_id store) const;

  /// The balance weights of the regions with a peer on `store`, summed; kept up to date likewise.
  std::uint64_t peer_weight(store_id store) const;

  /// Inserts or replaces the entry of `r.meta.id`. Precondition: `r`'s range overlaps no other
  /// region's (remove those first).
  void put(region_info r);

  void remove(region_id id);

 private:
  /// start key -> region id.
  std::map<std::string, region_id, std::less<>> by_start_;
  std::unordered_map<region_id, region_info> by_id_;
  std::unordered_map<store_id, std::size_t> leaders_;
  std::unordered_map<store_id, std::size_t> peers_;
  std::unordered_map<store_id, std::uint64_t> weights_;
};

}  // namespace rdb::pd
