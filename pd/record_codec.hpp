#pragma once

#include <flatbuffers/flatbuffer_builder.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "pd/types.hpp"

namespace rdb::pd {

/// Encodes and decodes PD's FlatBuffers records (schemas/pd.fbs).
///
/// Decoding runs the FlatBuffers Verifier and checks enum ranges, so a damaged record yields
/// "nothing" (which the meta store reports as `storage_corrupt`) instead of a read out of
/// bounds. Records are copied to an 8-aligned buffer first when LMDB hands out a less aligned
/// pointer. Only the durable part of a store or region is encoded (see meta_store.hpp).
///
/// The encode functions reuse one builder and return a view of its buffer, valid until the
/// next encode.
class record_codec {
 public:
  std::string_view encode(const bootstrap_request& layout);
  std::string_view encode_high_water(std::uint64_t high_water);
  std::string_view encode(const store_info& store);
  std::string_view encode(const region_info& region);

  static std::optional<bootstrap_request> decode_bootstrap(std::string_view bytes);
  static std::optional<std::uint64_t> decode_high_water(std::string_view bytes);
  static std::optional<store_info> decode_store(std::string_view bytes);
  static std::optional<region_info> decode_region(std::string_view bytes);

 private:
  std::string_view finished() const;

  flatbuffers::FlatBufferBuilder builder_{256};
};

}  // namespace rdb::pd
