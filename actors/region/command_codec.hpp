#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/errc.hpp"
#include "actors/region/requests.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

namespace rdb {

/// What a region command does when applied.
enum class command_kind : std::uint8_t {
  put = 1,
  del = 2,
  /// Carried in the context of a raft conf change entry: who asked, and the full peer
  /// (store, role) that raft's node id alone does not name.
  change_peer = 3,
  /// Compare-and-swap: decided at apply against the key's value then.
  cas = 4,
  /// The leader's decision that every replica may drop its log up to an index (each does so
  /// once its own apply of that prefix is durable).
  compact_log = 5,
  /// Cuts the region in two at `key`: the keys from it on go to a new region (the child).
  split = 6,
};

/// One command of a region's replicated state machine, as proposed and as applied.
struct command {
  command_kind kind = command_kind::put;
  /// The replica that proposed it, and its local tag for the waiting client: only that
  /// replica answers the client, and only if the applied entry is the one it proposed.
  peer_id proposer;
  std::uint64_t tag = 0;
  /// Client session and sequence, for deduplication of retried writes.
  client_id client;
  std::uint64_t seq = 0;
  std::uint64_t first_incomplete = 0;
  /// put, del, cas: the key; put, cas: the (new) value.
  std::string key;
  std::string value;
  /// cas: what the key must hold (or, with expect_absent, that it holds nothing).
  bool expect_absent = false;
  std::string expected;
  /// change_peer: the change, the peer it is about, and the region's conf_ver once it is
  /// applied. Carrying the resulting conf_ver (rather than adding one on apply) keeps the
  /// apply idempotent for a replica founded from a meta that already includes the change.
  peer_change_kind change = peer_change_kind::add_voter;
  storage::region_peer peer;
  std::uint64_t conf_ver = 0;
  /// compact_log: the last entry that may go, and its term.
  std::uint64_t compact_index = 0;
  std::uint64_t compact_term = 0;
  /// split: the child's region id, its peer ids (one per peer of the parent, in the order of
  /// the parent's meta), and the parent's epoch it was proposed against (`conf_ver` above
  /// and `version`): applied only if the region still has it.
  region_id new_region;
  std::vector<peer_id> new_peers;
  std::uint64_t version = 0;
  /// split: about how many bytes of the region's data lie at or after the key (its approximate
  /// size moves to the child with them).
  std::uint64_t child_bytes = 0;

  bool operator==(const command&) const = default;
};

/// Encodes commands into raft entry data and back. The layout is persisted in every log, so it
/// is versioned by its first byte and never changes in place:
///   u8 version (2) | u8 kind | u64 proposer | u64 tag | u64 client | u64 seq |
///   u64 first_incomplete |
///   put/del:     u32 key size | key | (put) u32 value size | value
///   cas:         u32 key size | key | u8 expect_absent | u32 size | expected | u32 size | value
///   change_peer: u8 change | u64 peer id | u64 store id | u8 role | u64 conf_ver
///   compact_log: u64 index | u64 term
///   split:       u32 key size | key | u64 new region | u32 count | count x u64 peer id |
///                u64 conf_ver | u64 version | u64 child bytes
/// Version 1 lacks first_incomplete (read as 0) and is still decoded. Integers are little-endian.
/// Decoding checks every length against the bytes present and refuses trailing bytes, so a torn or
/// foreign record is reported, never misread.
class command_codec {
 public:
  static std::string encode(const command& cmd);

  /// The command in `data`; `storage_corrupt` (with what was wrong) for malformed data.
  static std::expected<command, request_error> decode(std::string_view data);

  /// Who proposed the command in `data` and under which tag, read from the fixed header
  /// alone (no copy of key or value): what a replica needs to bind its proposals to their
  /// entries. Nothing if the header is malformed; the full `decode` at apply reports why.
  static std::optional<std::pair<peer_id, std::uint64_t>> decode_origin(std::string_view data);
};

}  // namespace rdb
