#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "storage/key_codec.hpp"

/// The byte layout of the log engine's segments, shared by its writer, replay and purge (the
/// record table is in log_engine.cpp). Internal to storage.
namespace rdb::storage::log_format {

/// The kind byte that starts each operation of a record's payload. Pinned numbers.
enum class op_kind : std::uint8_t {
  ident = 1,
  append = 2,
  hard_state = 3,
  truncate = 4,
  clear_log = 5,
  destroy = 6,
  checkpoint = 7,
};

/// A record's header: u32 payload length, u32 CRC-32 of the payload.
inline constexpr std::size_t header_bytes = 8;

inline std::string segment_name(const std::string& dir, std::uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "/%016u.log", number);
  return dir + name;
}

inline void put_u8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}

inline void put_op(std::string& out, op_kind k) {
  put_u8(out, static_cast<std::uint8_t>(k));
}

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::uint32_t get_u32(const char* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<std::uint8_t>(in[i]);
  return v;
}

inline void put_u64(std::string& out, std::uint64_t v) {
  char buf[8];
  keys::put_u64(buf, v);
  out.append(buf, 8);
}

inline void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

}  // namespace rdb::storage::log_format
