#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Long user keys. LMDB refuses keys over 511 bytes, so a user key of `bucket_prefix` bytes or
/// more is not stored under a key of its own: every such key that shares its first
/// `bucket_prefix` bytes lives in one record, a bucket, under those bytes, and the bucket holds
/// the rest of each key (its suffix) with its value, in suffix order.
///
/// The byte order of user keys is kept: a shorter key S sorts before every key of a bucket
/// with prefix P exactly when S < P (if S is a prefix of P it is shorter, so smaller; otherwise
/// the first differing byte, inside S, decides for every key of the bucket), and inside a
/// bucket keys sort by suffix. So a cursor walk over the records, expanding buckets, visits the
/// user keys in order, and point operations on shorter keys never touch a bucket. The price is
/// paid by long keys alone: changing one rewrites its bucket.
namespace rdb::storage {

/// User keys at least this long live in buckets; the bucket's record key is the data prefix
/// byte and these bytes (501 bytes, within LMDB's limit).
inline constexpr std::size_t bucket_prefix = 500;

inline bool in_bucket(std::string_view user_key) {
  return user_key.size() >= bucket_prefix;
}

/// The long keys of one record and their values. Encoded as
///   u8 version (1) | u32 count | count x (u32 size | suffix | u32 size | value)
/// with little-endian integers and suffixes strictly ascending.
class bucket {
 public:
  using entry = std::pair<std::string, std::string>;

  /// The bucket in `bytes`; nothing if the bytes are malformed (short, trailing bytes,
  /// suffixes out of order, sizes over the limits).
  static std::optional<bucket> decode(std::string_view bytes);
  std::string encode() const;

  /// The value stored under `suffix`, or null.
  const std::string* find(std::string_view suffix) const;
  /// Stores `value` under `suffix`; the size of the value it replaced, if any.
  std::optional<std::size_t> put(std::string_view suffix, std::string_view value);
  /// Removes `suffix`; the size of the removed value, if there was one.
  std::optional<std::size_t> erase(std::string_view suffix);

  bool empty() const { return entries_.empty(); }
  std::vector<entry>& entries() { return entries_; }
  const std::vector<entry>& entries() const { return entries_; }

 private:
  std::vector<entry>::iterator lower_bound(std::string_view suffix);

  std::vector<entry> entries_;
};

}  // namespace rdb::storage
