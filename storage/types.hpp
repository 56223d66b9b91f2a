#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/ids.hpp"

/// Plain values persisted by the storage engine. They mirror the FlatBuffers records in
/// schemas/raft_state.fbs and schemas/store_meta.fbs, which stay out of public headers.
namespace rdb::storage {

/// The on-disk format this code reads and writes. A store of any other version is refused.
/// Version 2: user keys of 500 bytes or more live in buckets (storage/bucket.hpp); version 1
/// stored keys of 500-510 bytes under keys of their own, which version 2 would misread.
inline constexpr std::uint32_t format_version = 2;

/// Largest user key (4 KiB). LMDB's compile-time key limit is 511 bytes, so keys of 500 bytes
/// or more share records by their first 500 bytes (storage/bucket.hpp), which keeps the exact
/// byte order of user keys that range scans and region boundaries need.
inline constexpr std::size_t max_key_size = 4096;

/// Largest user value and largest raft entry payload (8 MiB).
inline constexpr std::size_t max_value_size = std::size_t{8} << 20;

/// Who a store is. Written once when the directory is created and checked on every open.
struct store_ident {
  cluster_id cluster;
  store_id store;
  std::uint32_t format = format_version;

  bool operator==(const store_ident&) const = default;
};

/// How far the state machine has applied, and where the raft log now starts: the first stored
/// entry is `truncated_index + 1`, and `truncated_term` answers term(truncated_index).
struct apply_state {
  raft::log_index applied_index;
  raft::log_index truncated_index;
  raft::term_id truncated_term;

  bool operator==(const apply_state&) const = default;
};

/// What a region remembers of one client's writes so that a retried write is applied once
/// (raft thesis, section 6.3, extended to several writes in flight). The client promises never
/// to send again a sequence number below `watermark`; `applied` holds, in ascending order, the
/// numbers at or above it whose writes were applied. `last_index` is the log index of the
/// client's latest applied write: when a region keeps too many sessions, the one idle longest
/// in log order goes first, the same on every replica. `failed` lists, ascending, the numbers
/// among `applied` whose compare-and-swap found another value and wrote nothing, so a retry is
/// told the same outcome.
struct client_session {
  std::uint64_t client = 0;
  std::uint64_t watermark = 0;
  std::uint64_t last_index = 0;
  std::vector<std::uint64_t> applied;
  std::vector<std::uint64_t> failed;

  bool operator==(const client_session&) const = default;
};

/// conf_ver grows with every membership change, version with every split or merge.
struct region_epoch {
  std::uint64_t conf_ver = 0;
  std::uint64_t version = 0;

  bool operator==(const region_epoch&) const = default;
};

/// The epoch of every region PD lays out when it bootstraps a cluster: neither split nor
/// changed in membership yet.
inline constexpr region_epoch bootstrap_epoch{1, 1};

enum class peer_role : std::uint8_t { voter = 0, learner = 1 };

struct region_peer {
  peer_id id;
  store_id store;
  peer_role role = peer_role::voter;

  bool operator==(const region_peer&) const = default;
};

/// A region's key range [start_key, end_key) and membership; an empty end key means +infinity.
struct region_meta {
  region_id id;
  std::string start_key;
  std::string end_key;
  region_epoch epoch;
  std::vector<region_peer> peers;

  bool operator==(const region_meta&) const = default;
};

// -- key ranges: the one place that says what [start, end) with an empty end means ------------

/// Whether `key` lies before `end_key`, where an empty end key means +infinity.
inline bool before_end(std::string_view key, std::string_view end_key) {
  return end_key.empty() || key < end_key;
}

/// Whether `meta`'s range [start_key, end_key) holds `key`.
inline bool contains_key(const region_meta& meta, std::string_view key) {
  return key >= meta.start_key && before_end(key, meta.end_key);
}

/// Whether [a_start, a_end) and [b_start, b_end) share a key.
inline bool ranges_overlap(std::string_view a_start, std::string_view a_end,
                           std::string_view b_start, std::string_view b_end) {
  return before_end(a_start, b_end) && before_end(b_start, a_end);
}

enum class peer_state : std::uint8_t { normal = 0, applying = 1, tombstone = 2 };

/// What this store knows about its replica of a region.
struct region_local_state {
  region_meta region;
  peer_state state = peer_state::normal;

  bool operator==(const region_local_state&) const = default;
};

/// The approximate bytes (keys + values) and number of keys of a region's data.
struct region_usage {
  std::uint64_t bytes = 0;
  std::uint64_t keys = 0;

  bool operator==(const region_usage&) const = default;
};

/// One data record.
struct kv_pair {
  std::string key;
  std::string value;

  bool operator==(const kv_pair&) const = default;
};

}  // namespace rdb::storage
