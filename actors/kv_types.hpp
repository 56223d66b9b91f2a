#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The KV requests a client sends and the answers it gets. Plain C++ (no CAF) so the region
/// peer's logic works on the same types the actors carry; their CAF `inspect()` overloads are in
/// actors/kv_inspect.hpp. Every type is default-constructible, copyable and comparable.
///
/// A request names the region and epoch the client routed it by. The router fills both in for
/// clients that only know the key; a replica checks them against its own meta and answers
/// `region_not_found`, `epoch_not_match` or `key_not_in_region` rather than serve a key it does
/// not own.
namespace rdb {

/// Identifies a client session; with a per-client sequence number it lets a replica recognise a
/// retried write (dedup is applied later; the fields travel with every write from the start).
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

  bool operator==(const put_request&) const = default;
};

/// Deletes `key` (absent keys are fine) once committed and applied.
struct delete_request {
  request_header header;
  std::string key;
  client_id client;
  std::uint64_t seq = 0;

  bool operator==(const delete_request&) const = default;
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

}  // namespace rdb
