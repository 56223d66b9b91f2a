#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rdb::raft {

/// Failure codes of the raft core and of every `log_storage`. The numbers are pinned: they may be
/// persisted in logs or sent between processes, so never renumber, only append.
enum class errc : std::uint8_t {
  none = 0,
  /// The requested index is below the first index kept by the storage (compacted away).
  compacted = 1,
  /// The requested index is above the last index known to the storage.
  unavailable = 2,
  /// A snapshot older than what the storage already holds was offered.
  snapshot_out_of_date = 3,
  /// The storage cannot produce a snapshot right now; the leader retries later.
  snapshot_temporarily_unavailable = 4,
  /// A proposal was refused: no leader, leadership transfer in flight, a conf change pending,
  /// the uncommitted tail too large, or this node is not a voter any more.
  proposal_dropped = 5,
  /// A local-only message type (hup, beat, ...) arrived through `step` from the network.
  step_local_msg = 6,
  /// A response came from a node that is not (or no longer) a member.
  step_peer_not_found = 7,
  /// The configuration failed `config::validate`.
  invalid_config = 8,
  /// Bytes that should hold an encoded record (a conf change) could not be decoded.
  malformed = 9,
  /// The storage backend failed for a reason of its own (IO, corruption).
  storage_failure = 10,
};

/// Human-readable name of an error code, for logs and test output.
std::string_view to_string(errc code);

/// An error code plus optional detail text. Implicitly built from an `errc`, so
/// `return std::unexpected{errc::compacted};` works in any function returning
/// `std::expected<T, error>`.
struct error {
  errc code = errc::none;
  std::string detail;

  error() = default;
  error(errc c) : code(c) {}  // NOLINT: implicit by design, see above.
  error(errc c, std::string d) : code(c), detail(std::move(d)) {}

  bool operator==(const error& other) const { return code == other.code; }
  bool operator==(errc other) const { return code == other; }
};

}  // namespace rdb::raft
