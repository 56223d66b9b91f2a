#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/errc.hpp"
#include "actors/router/persistent_map.hpp"
#include "actors/router/router_interface.hpp"

namespace rdb {

/// An immutable snapshot of a store's routes: key range -> region (with epoch) and region id
/// -> local peer. Built by the router and published through a `route_holder`; readers on any
/// thread use it without locks because nothing changes it after publication.
///
/// Changes produce a new table (`with_update`, `without`, `with_leader`) that shares all but
/// O(log n) of its nodes with the old one (actors/router/persistent_map.hpp): readers stay free
/// of locks, and a change costs the same for ten regions as for a hundred thousand, so a storm
/// of leader changes or a store booting its regions one by one stays linear overall.
///
/// Invariant: the ranges of the routed regions are pairwise disjoint. `by_start_` indexes every
/// route by its start key, so the region holding a key is the one with the greatest start key
/// not above it, if its end key lies beyond.
class route_table {
 public:
  route_table() = default;

  // -- lookups (the contract in router_interface.hpp) ---------------------------------------

  /// The route of `region`, or null.
  const region_route* find(region_id region) const;

  /// The region whose range [start_key, end_key) holds `key`, or null.
  const region_route* find_by_key(std::string_view key) const;

  /// Grows by one per publication.
  std::uint64_t version() const { return version_; }

  std::size_t size() const { return routes_.size(); }

  /// The routed regions in key order.
  std::vector<storage::region_meta> metas() const;

  /// The routed regions whose ranges overlap [start, end) (empty end: +infinity), key order.
  std::vector<storage::region_meta> overlapping(std::string_view start, std::string_view end) const;

  // -- client requests ------------------------------------------------------------------------

  /// The local route of a client request about `key`: the region `header` names, or, when it
  /// names none, the region holding `key`, whose id and epoch are then filled into `header`.
  /// `region_not_found` when there is none. The epoch and the key range are the region peer's
  /// to check: it alone knows its current meta.
  std::expected<const region_route*, request_error> route(request_header& header,
                                                          std::string_view key) const;

  /// Completes an `epoch_not_match` answer of a region peer with the local region that now
  /// holds `key`, if the answer does not list it: the client refreshes its cache from it.
  void add_holder(request_error& e, std::string_view key) const;

  // -- derived tables -----------------------------------------------------------------------

  /// A table with `meta`'s route added or replaced by `peer`; the leader hint is kept when the
  /// region was known. Refuses (`invalid_argument`) a range overlapping another region and an
  /// empty or inverted range; ignores (returns nothing) an epoch older than the known one.
  /// A newer version with a changed range replaces the region's old range.
  std::optional<route_table> with_update(const storage::region_meta& meta,
                                         const region_peer_actor& peer,
                                         request_error* refusal = nullptr) const;

  /// A table without `region` (nothing if it had none).
  std::optional<route_table> without(region_id region) const;

  /// A table where `region`'s leader hint is `leader` (nothing if unknown or unchanged).
  std::optional<route_table> with_leader(region_id region,
                                         const storage::region_peer& leader) const;

 private:
  /// Bumps the version of a table about to be published.
  route_table next() const;

  persistent_map<region_id, region_route> routes_;
  persistent_map<std::string, region_id> by_start_;
  std::uint64_t version_ = 0;
};

}  // namespace rdb
