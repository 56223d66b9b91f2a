#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/raft/types.hpp"
#include "storage/ids.hpp"

/// How records are keyed inside the four databases.
///
/// Integers are fixed-width big-endian so LMDB's bytewise order is numeric order: one region's
/// log is one contiguous run ordered by index, and one region's state records sit together.
namespace rdb::storage::keys {

/// Kinds of per-region record in `raft_state`, stored as the byte after the region id.
enum class state_kind : std::uint8_t {
  hard_state = 1,
  apply_state = 2,
  region_state = 3,
  region_size = 4,
  /// One record per client: the key is the state key followed by the client id (u64 BE).
  client_session = 5,
  /// The applied index the client sessions on disk stand for.
  session_index = 6,
};

using log_key = std::array<char, 16>;
using state_key = std::array<char, 9>;
using session_key = std::array<char, 17>;

/// The first byte of every `data` key. LMDB refuses zero-length keys, so the empty user key
/// needs some prefix; a fixed byte keeps the user keys' order unchanged.
inline constexpr char data_prefix = 'z';

/// The only key in `store_meta`.
inline constexpr std::string_view ident_key = "ident";

void put_u64(char* out, std::uint64_t v);
std::uint64_t get_u64(const char* in);

/// region_id (u64 BE) + index (u64 BE).
log_key make_log_key(region_id region, raft::log_index index);
/// The region and index of a `raft_log` key, or nothing if it is not 16 bytes.
std::optional<std::pair<region_id, raft::log_index>> parse_log_key(std::string_view key);

/// region_id (u64 BE) + kind byte.
state_key make_state_key(region_id region, state_kind kind);
/// The region and kind of a `raft_state` key: a state key, or a session key (17 bytes, kind
/// `client_session`). Nothing for any other key.
std::optional<std::pair<region_id, state_kind>> parse_state_key(std::string_view key);

/// region_id (u64 BE) + `client_session` + client id (u64 BE).
session_key make_session_key(region_id region, std::uint64_t client);

/// Writes the `data` key of the record holding `user_key` into `out` (reused to avoid an
/// allocation per key): the prefix byte and the user key, cut at `bucket_prefix` bytes for a
/// key that lives in a bucket (storage/bucket.hpp).
void make_data_key(std::string& out, std::string_view user_key);
std::string make_data_key(std::string_view user_key);
/// The user key of a `data` key (for a bucket's record, the bucket's prefix), or nothing if
/// the prefix byte is missing.
std::optional<std::string_view> parse_data_key(std::string_view key);
/// Whether a `data` key is a bucket's.
bool is_bucket_key(std::string_view key);

inline std::string_view view(const log_key& k) {
  return {k.data(), k.size()};
}
inline std::string_view view(const state_key& k) {
  return {k.data(), k.size()};
}
inline std::string_view view(const session_key& k) {
  return {k.data(), k.size()};
}

}  // namespace rdb::storage::keys
