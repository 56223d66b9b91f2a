#pragma once

#include <cstdint>
#include <expected>
#include <vector>

#include "actors/raft/errors.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// The persisted state a node restarts from.
struct storage_state {
  raft::hard_state hard{};
  raft::conf_state conf{};
};

/// Read access to the durable part of a raft log. The raft core reads through this interface
/// and never writes: the application persists what a `ready` hands it and then updates the
/// storage before calling `raw_node::advance`.
///
/// Shape: a snapshot covers indexes [1, first_index() - 1]; entries cover
/// [first_index(), last_index()]. `term(first_index() - 1)` is the snapshot's term, so an
/// append right after the snapshot can still be checked for log matching (§5.3).
///
/// Errors: `compacted` for an index below the snapshot, `unavailable` for an index beyond the
/// last one, `snapshot_temporarily_unavailable` when a snapshot is being produced.
class log_storage {
 public:
  virtual ~log_storage() = default;

  /// Hard state and membership persisted last.
  virtual std::expected<storage_state, error> initial_state() = 0;

  /// Entries in [lo, hi), stopping once their byte size would exceed `max_bytes` but always
  /// returning at least one entry when [lo, hi) is not empty.
  virtual std::expected<std::vector<entry>, error> entries(log_index lo, log_index hi,
                                                           std::uint64_t max_bytes) = 0;

  /// Term of the entry at `i`, for i in [first_index() - 1, last_index()].
  virtual std::expected<term_id, error> term(log_index i) = 0;

  /// Index of the first entry still available (the snapshot index + 1).
  virtual std::expected<log_index, error> first_index() = 0;

  /// Index of the last entry (the snapshot index if there are no entries).
  virtual std::expected<log_index, error> last_index() = 0;

  /// The most recent snapshot.
  virtual std::expected<raft::snapshot, error> snapshot() = 0;
};

/// Byte size of an entry as counted against the message and ready size limits.
inline std::uint64_t entry_size(const entry& e) {
  return e.data.size() + 24;
}

}  // namespace rdb::raft
