#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/errc.hpp"
#include "actors/raft/types.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The KV requests a client sends and the answers it gets. Plain C++ (no CAF) so the region
/// peer's logic works on the same types the actors carry; their CAF `inspect()` overloads are in
/// actors/region/requests_inspect.hpp. Every type is default-constructible, copyable and
/// comparable.
///
/// A request names the region and epoch the client routed it by. The KV service fills both in
/// from its store's route table for clients that only know the key; a replica checks them against
/// its own meta and answers `region_not_found`, `epoch_not_match` or `key_not_in_region` rather
/// than serve a key it does not own.
namespace rdb {

/// The largest key and value a store takes from clients: one setting of the store (the node's
/// `max-key-bytes` and `max-value-bytes`, at most what storage holds), checked by one function
/// wherever a request enters: the KV service (before anything of a batch is written) and the
/// region peer (for requests from anywhere).
struct request_limits {
  std::size_t max_key_bytes = storage::max_key_size;
  std::size_t max_value_bytes = storage::max_value_size;

  /// `invalid_argument` naming the size and the limit, for a request about `region`.
  std::optional<request_error> check_key(std::string_view key, region_id region) const;
  std::optional<request_error> check_value(std::string_view value, region_id region) const;

  bool operator==(const request_limits&) const = default;
};

/// Identifies a client session; with a per-client sequence number it lets a replica recognise a
/// retried write and apply it once (actors/region/session_table.hpp).
using client_id = strong_id<struct client_id_tag>;

/// Where the client believes its request belongs.
struct request_header {
  region_id region;
  /// The epoch of the client's region cache entry. Data requests compare `version` only
  /// (membership changes do not move keys); admin requests compare both fields.
  storage::region_epoch epoch;

  bool operator==(const request_header&) const = default;
};

/// Reads `key` linearizably (ReadIndex on the leader).
struct get_request {
  request_header header;
  std::string key;

  bool operator==(const get_request&) const = default;
};

struct get_response {
  bool found = false;
  /// Empty when not found.
  std::string value;

  bool operator==(const get_response&) const = default;
};

/// Writes `value` under `key` once committed by a quorum and applied.
struct put_request {
  request_header header;
  std::string key;
  std::string value;
  client_id client;
  /// Grows by one per write of `client`; zero means "no dedup wanted".
  std::uint64_t seq = 0;
  /// The client's lowest sequence number still waiting for an answer (at most `seq`): it
  /// promises never to send a lower one again, so the region may forget those.
  std::uint64_t first_incomplete = 0;

  bool operator==(const put_request&) const = default;
};

/// Deletes `key` (absent keys are fine) once committed and applied.
struct delete_request {
  request_header header;
  std::string key;
  client_id client;
  std::uint64_t seq = 0;
  std::uint64_t first_incomplete = 0;

  bool operator==(const delete_request&) const = default;
};

/// Writes `value` under `key` if the key holds `expected` now (with `expect_absent`: if it is
/// absent), decided when the command is applied, so every replica decides alike. Answered
/// once that apply is durable on the leader.
struct cas_request {
  request_header header;
  std::string key;
  bool expect_absent = false;
  std::string expected;
  std::string value;
  client_id client;
  std::uint64_t seq = 0;
  std::uint64_t first_incomplete = 0;

  bool operator==(const cas_request&) const = default;
};

struct cas_response {
  bool swapped = false;
  /// What the key held when the command was applied (found false: absent). For a retry (see
  /// `retried`), what it holds now.
  bool found = false;
  std::string previous;
  /// This (client, seq) was applied before: nothing was written now, and `swapped` is the
  /// outcome of that first apply.
  bool retried = false;
  raft::log_index index;

  bool operator==(const cas_response&) const = default;
};

/// The answer to every write: it is durable on a quorum and applied on the leader.
struct write_response {
  /// The raft log index the write was applied at.
  raft::log_index index;

  bool operator==(const write_response&) const = default;
};

/// Reads up to `limit` records with keys in [start_key, end_key) linearizably. `start_key`
/// must lie in the region; the range is clipped at the region's end, and the client continues
/// in the next region when the answer has fewer than `limit` records and the region ended
/// before `end_key`. An empty `end_key` means +infinity; `limit` must be at least 1.
struct scan_request {
  request_header header;
  std::string start_key;
  std::string end_key;
  std::uint32_t limit = 0;

  bool operator==(const scan_request&) const = default;
};

struct scan_response {
  std::vector<storage::kv_pair> pairs;
  /// The end of the range that was searched: the smaller of the request's end and the region's
  /// end key (empty means +infinity). A client resumes from here.
  std::string scanned_end;

  bool operator==(const scan_response&) const = default;
};

/// Kinds of single-step membership change. Pinned numbers.
enum class peer_change_kind : std::uint8_t { add_voter = 0, add_learner = 1, remove = 2 };

/// The enumerator's name; a `std::string` so CAF prints it inside messages.
inline std::string to_string(peer_change_kind k) {
  switch (k) {
    case peer_change_kind::add_voter:
      return "add_voter";
    case peer_change_kind::add_learner:
      return "add_learner";
    case peer_change_kind::remove:
      return "remove";
  }
  return "unknown";
}

/// Asks the leader to change the region's membership by one peer. The header's epoch must
/// match in both `conf_ver` and `version`. Applied on every replica as a raft conf change; the
/// region meta gets conf_ver + 1 in the same write as the apply state.
struct change_peer_request {
  request_header header;
  peer_change_kind kind = peer_change_kind::add_voter;
  /// The peer to add, promote (add_voter of an existing learner) or remove.
  storage::region_peer peer;

  bool operator==(const change_peer_request&) const = default;
};

/// Asks the leader to split the region at `split_key`: the keys from it on go to a new region
/// `new_region`, whose replicas sit on the parent's stores under `new_peers` (one id per peer of
/// the parent, in the order of the parent's meta; PD hands them out). The header's epoch must
/// match in both `conf_ver` and `version`, and the key must lie strictly inside the range.
/// Answered once the split is applied on the leader: both halves then have version + 1.
struct split_request {
  request_header header;
  std::string split_key;
  region_id new_region;
  std::vector<peer_id> new_peers;
  /// About how many bytes lie at or after the key (the split checker's count; 0 if unknown):
  /// that much of the region's approximate size goes to the new region.
  std::uint64_t child_bytes = 0;

  bool operator==(const split_request&) const = default;
};

/// What a region peer reports about itself, for the supervisor, heartbeats and tests.
struct region_status {
  /// The replica's current meta (range, epoch, peers).
  storage::region_meta region;
  /// This replica.
  storage::region_peer self;
  /// The leader it knows of; `leader.id` is none if it knows none.
  storage::region_peer leader;
  raft::term_id term;
  raft::log_index commit;
  /// Applied and durable: reads at or below it are served.
  raft::log_index applied;
  /// Writes and reads waiting for an answer.
  std::uint64_t pending_proposals = 0;
  std::uint64_t pending_reads = 0;
  /// True while the peer asks the ticker for no ticks.
  bool hibernating = false;
  /// Reads this replica served by its lease, without a ReadIndex round (a leader's count).
  std::uint64_t lease_reads = 0;
  /// A leader's view of the other replicas: those whose log is more than
  /// `peer_config::transfer_max_lag` entries behind the commit index, and those it has not
  /// heard from within `peer_config::down_after` (what it reports to PD).
  std::vector<storage::region_peer> pending_peers;
  std::vector<storage::region_peer> down_peers;

  bool is_leader() const { return !self.id.is_none() && leader.id == self.id; }
  bool operator==(const region_status&) const = default;
};

}  // namespace rdb
