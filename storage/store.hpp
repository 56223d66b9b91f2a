#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "storage/env.hpp"
#include "storage/error.hpp"
#include "storage/read_view.hpp"
#include "storage/record_codec.hpp"
#include "storage/store_options.hpp"
#include "storage/types.hpp"
#include "storage/write_batch.hpp"

/// How the storage engine works, and why.
///
/// One LMDB environment per store directory holds four named databases: `raft_log` (region id
/// + index, both u64 big-endian, so one region's log is one contiguous, index-ordered run),
/// `raft_state` (region id + a kind byte: hard state, apply state, region local state, region
/// size), `data` (a prefix byte + the user key) and `store_meta` (the store identity). Every
/// record except user values is a FlatBuffers table, verified whenever it is read back.
///
/// Durability: all changes go through write batches, and one batch is one LMDB write
/// transaction committed with LMDB's default synchronous commit (data pages flushed, then the
/// meta page), so `write` returns only once the batch is on disk, and a crash at any moment
/// leaves every batch all there or not at all. One commit costs about one fsync; the store
/// writer amortises it over many regions by group commit (see write_batch).
///
/// Keys: LMDB's compile-time key limit is 511 bytes, so user keys of 500 bytes or more share
/// records by their first 500 bytes (storage/bucket.hpp), which keeps the byte order that range
/// scans and region boundaries rely on and leaves point operations on shorter keys as they
/// are. Keys over `max_key_size` (4 KiB) are refused with `invalid_argument`.
///
/// Region sizes: each write batch books the key + value byte change of every data operation
/// to the region named with it and folds the sum into that region's size record in the same
/// transaction. The old value's size comes from the cursor lookup that positions the write, so
/// the cost is one small record per region per batch; split checks then read one record
/// instead of scanning. `read_view::range_size` gives the exact figure by walking a range when
/// a split key must be chosen.
namespace rdb::storage {

/// One store directory: an LMDB environment with the databases `raft_log`, `raft_state`,
/// `data` and `store_meta`, and the store's identity.
///
/// Writes go through `write`, one batch per durable LMDB transaction. Reads go through short
/// lived `read_view`s. `write` may be called from one thread at a time (the store writer);
/// views may be taken from any thread, concurrently with writes.
///
/// Map growth: when a batch hits `MDB_MAP_FULL` the transaction is aborted, the map doubled
/// (up to `max_map_size`) and the whole batch replayed, so growth is invisible to callers.
/// LMDB may only remap while no transaction of the process is open, so views hold a shared
/// lock that growth takes exclusively; a thread must not hold a view while it writes.
class store {
 public:
  /// Opens (and with `create_if_missing` initialises) the store in `dir`.
  static result<std::unique_ptr<store>> open(const std::string& dir, const store_options& opts);

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const store_ident& ident() const { return ident_; }
  const std::string& dir() const { return env_.dir(); }
  std::size_t map_size() const { return env_.map_size(); }
  /// How often the map has grown since open.
  std::size_t map_grow_count() const { return grow_count_; }

  /// Validates and commits `batch` atomically and durably: when this returns success every
  /// change is on disk; on failure none is.
  result<void> write(const write_batch& batch);

  /// A consistent snapshot of the whole store. Keep it for one unit of work only: an open view
  /// pins old pages (the file grows) and delays map growth.
  result<read_view> read() const;

 private:
  store(env e, const store_options& opts);
  result<void> load_ident();
  result<void> write_once(const write_batch& batch);
  result<void> grow();

  env env_;
  store_options opts_;
  store_ident ident_;
  record_codec codec_;
  std::mutex write_mutex_;
  mutable std::shared_timed_mutex remap_mutex_;
  std::size_t grow_count_ = 0;
};

}  // namespace rdb::storage
