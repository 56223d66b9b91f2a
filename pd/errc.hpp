#pragma once

#include <cstdint>
#include <string_view>

/// Error codes of the placement driver. Plain C++ so the pure cluster state can use them; the
/// CAF error category that carries them between actors is in pd/error.hpp.
namespace rdb::pd {

/// Every way a PD request can fail. The numbers are pinned: they cross process boundaries as
/// the code of a `caf::error` in category "pd", so a value is never reused or renumbered.
enum class errc : std::uint8_t {
  /// The cluster has no initial layout yet; only bootstrap, ID allocation and store
  /// registration work before it has one.
  not_bootstrapped = 1,
  /// A bootstrap request differs from the layout the cluster was bootstrapped with.
  already_bootstrapped = 2,
  /// The reported region epoch is older than PD's (smaller version or conf_ver), or an
  /// overlapping region is newer. The error context carries PD's current region meta.
  stale_epoch = 3,
  /// No store with that id was ever registered.
  unknown_store = 4,
  /// No region with that id, or no region covers that key (a gap left while a split is
  /// reported piece by piece).
  unknown_region = 5,
  /// Persisting PD state failed; the request had no effect.
  storage_failure = 6,
  /// The request breaks a documented precondition (unsorted split keys, zero replicas, ...).
  invalid_argument = 7,
  /// A persisted PD record failed verification; PD refuses to start on it.
  storage_corrupt = 8,
  /// The store was removed from the cluster and may not rejoin under its old id.
  store_tombstone = 9,
  /// Answered by a node's link to PD, not by PD: no connection to PD right now. Retry later.
  unreachable = 10,
  /// What was asked did not happen within PD's bound; it may still happen later.
  timeout = 11,
};

/// The enumerator's name, e.g. "stale_epoch".
constexpr std::string_view to_string(errc code) {
  switch (code) {
    case errc::not_bootstrapped:
      return "not_bootstrapped";
    case errc::already_bootstrapped:
      return "already_bootstrapped";
    case errc::stale_epoch:
      return "stale_epoch";
    case errc::unknown_store:
      return "unknown_store";
    case errc::unknown_region:
      return "unknown_region";
    case errc::storage_failure:
      return "storage_failure";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::storage_corrupt:
      return "storage_corrupt";
    case errc::store_tombstone:
      return "store_tombstone";
    case errc::unreachable:
      return "unreachable";
    case errc::timeout:
      return "timeout";
  }
  return "unknown";
}

}  // namespace rdb::pd
