#pragma once

#include <lmdb.h>

#include <cstddef>
#include <memory>
#include <string>

#include "pd/meta_store.hpp"
#include "pd/record_codec.hpp"

namespace rdb::pd {

/// PD state in its own LMDB environment, one directory per PD.
///
/// Three named databases: `pd_meta` holds the bootstrap layout under "bootstrap" and the id
/// allocator's high-water mark under "id_alloc"; `pd_stores` and `pd_regions` hold one record
/// per store and region under its id (u64 big-endian, so a scan is in id order). Records are
/// FlatBuffers (schemas/pd.fbs), verified on every read.
///
/// A commit is one LMDB write transaction with LMDB's default durability (fsync before the
/// commit returns). When the map fills up, the transaction is abandoned, the map doubled (up
/// to `max_map_size`) and the whole change written again, so a change is never half applied.
/// One thread at a time (the PD actor) uses a store; its read transactions never outlive a call.
class lmdb_meta_store final : public meta_store {
 public:
  static constexpr std::size_t default_map_size = std::size_t{64} << 20;
  static constexpr std::size_t default_max_map_size = std::size_t{16} << 30;

  /// Opens the environment in `dir`, creating the directory and databases if needed.
  static result<std::unique_ptr<lmdb_meta_store>> open(
      const std::string& dir, std::size_t map_size = default_map_size,
      std::size_t max_map_size = default_max_map_size);

  lmdb_meta_store(const lmdb_meta_store&) = delete;
  lmdb_meta_store& operator=(const lmdb_meta_store&) = delete;
  ~lmdb_meta_store() override;

  result<persisted_state> load() override;
  result<void> commit(const change_set& changes) override;

 private:
  lmdb_meta_store(MDB_env* env, std::string dir, std::size_t max_map_size);
  result<void> open_databases();
  /// One attempt at writing `changes` in one transaction; sets `map_full` when the attempt
  /// failed only for want of map space.
  result<void> write(const change_set& changes, bool& map_full);
  result<void> grow_map();

  MDB_env* env_;
  std::string dir_;
  std::size_t max_map_size_;
  MDB_dbi meta_ = 0;
  MDB_dbi stores_ = 0;
  MDB_dbi regions_ = 0;
  record_codec codec_;
};

}  // namespace rdb::pd
