#pragma once

#include <cstdint>
#include <string_view>

namespace rdb::storage {

/// Every way a storage call can fail. The numbers are pinned: they cross process boundaries
/// (CAF error category, tool exit codes), so a value is never reused or renumbered.
enum class errc : std::uint8_t {
  /// The key, region or record does not exist.
  not_found = 1,
  /// A log read asked for an index at or below the truncated index.
  compacted = 2,
  /// A log read asked for an index past the last one.
  unavailable = 3,
  /// A stored record failed verification; the message names the database, region and key.
  storage_corrupt = 4,
  /// The map could not grow further within the configured limit.
  map_full = 5,
  /// The directory holds a store of another on-disk format version.
  format_mismatch = 6,
  /// The directory belongs to another cluster.
  cluster_mismatch = 7,
  /// The operating system or LMDB failed (missing or unwritable directory, disk error).
  io_error = 8,
  /// The caller broke a documented limit or precondition (key too long, log gap, ...).
  invalid_argument = 9,
  /// The directory belongs to another store of the same cluster.
  store_mismatch = 10,
  /// The directory exists but holds no store, and creation was not requested.
  not_bootstrapped = 11,
};

/// The enumerator's name, e.g. "storage_corrupt".
std::string_view to_string(errc code);

}  // namespace rdb::storage
