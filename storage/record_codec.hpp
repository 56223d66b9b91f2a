#pragma once

#include <flatbuffers/flatbuffer_builder.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "actors/raft/types.hpp"
#include "storage/types.hpp"

namespace rdb::storage {

/// Encodes and decodes the FlatBuffers records stored in the databases.
///
/// Decoding always runs the FlatBuffers Verifier and then checks enum ranges, so a damaged
/// record is answered with "nothing" (which callers turn into `storage_corrupt` naming region
/// and key) rather than read out of bounds. LMDB only guarantees 2-byte alignment for values;
/// a misaligned record is copied into an 8-aligned buffer before it is verified or read.
///
/// One codec per writer: the encode functions reuse one builder and return a view of its
/// buffer, valid until the next encode.
class record_codec {
 public:
  std::string_view encode(const raft::entry& e);
  std::string_view encode(const raft::hard_state& hs);
  std::string_view encode(const apply_state& as);
  std::string_view encode(const region_local_state& rs);
  std::string_view encode(const store_ident& ident);
  std::string_view encode(const region_usage& usage);
  std::string_view encode(const client_session& s);
  std::string_view encode_session_index(raft::log_index index);

  static std::optional<raft::entry> decode_entry(std::string_view bytes);
  /// Only the term and index of an entry, without copying its payload.
  static std::optional<std::pair<raft::term_id, raft::log_index>> decode_entry_position(
      std::string_view bytes);
  static std::optional<raft::hard_state> decode_hard_state(std::string_view bytes);
  static std::optional<apply_state> decode_apply_state(std::string_view bytes);
  static std::optional<region_local_state> decode_region_state(std::string_view bytes);
  static std::optional<store_ident> decode_store_ident(std::string_view bytes);
  static std::optional<region_usage> decode_region_usage(std::string_view bytes);
  /// Also refuses a session whose applied numbers are not ascending or lie below its watermark,
  /// or whose failed numbers are not ascending or not among the applied ones.
  static std::optional<client_session> decode_client_session(std::string_view bytes);
  static std::optional<raft::log_index> decode_session_index(std::string_view bytes);

 private:
  std::string_view finished() const;

  flatbuffers::FlatBufferBuilder builder_{256};
};

}  // namespace rdb::storage
