#pragma once

#include <lmdb.h>

#include <string_view>

#include "storage/error.hpp"

namespace rdb::storage {

/// Views an LMDB value as bytes. Valid only while the transaction that produced it is open.
inline std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// Wraps bytes for LMDB, which takes non-const pointers but never writes through them for
/// keys and for values without `MDB_RESERVE`.
inline MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

/// One LMDB transaction; aborted on destruction unless committed.
///
/// Calls return the raw LMDB code so the caller can tell `MDB_MAP_FULL` (grow and retry the
/// whole batch) and `MDB_NOTFOUND` (a normal answer) from real failures.
class txn {
 public:
  /// Begins a read transaction (`read_only`) or the environment's single write transaction.
  /// When another process has grown the map, LMDB refuses with `MDB_MAP_RESIZED`: then
  /// `*map_resized` (if given) is set, and the caller adopts the new size with no transaction
  /// open and tries again.
  static result<txn> begin(MDB_env* env, bool read_only, bool* map_resized = nullptr);

  txn(txn&& other) noexcept;
  txn& operator=(txn&& other) noexcept;
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;
  ~txn();

  MDB_txn* get() const { return txn_; }

  /// Looks `key` up; on success `out` points into the map until the transaction ends.
  int get(MDB_dbi dbi, std::string_view key, MDB_val& out) const;
  int put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  int del(MDB_dbi dbi, std::string_view key);

  /// Commits (for a write transaction: durably, see env). The transaction is gone afterwards
  /// whatever the outcome.
  int commit();

  /// Abandons the transaction now rather than at destruction.
  void abort();

 private:
  explicit txn(MDB_txn* t) : txn_(t) {}

  MDB_txn* txn_ = nullptr;
};

}  // namespace rdb::storage
