#pragma once

#include <cstdint>
#include <string>
#include <string_view>

/// Fixed-width little-endian integers in byte strings: the byte order of every integer the
/// region peer puts into raft entries and messages (commands, read-index contexts), whatever
/// the machine's own.
namespace rdb::little_endian {

template <class T>
void append(std::string& out, T x) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

/// The integer in the first `sizeof(T)` bytes of `in`, which must hold at least that many.
template <class T>
T load(std::string_view in) {
  T x = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    x |= static_cast<T>(static_cast<std::uint8_t>(in[i])) << (8 * i);
  return x;
}

}  // namespace rdb::little_endian
