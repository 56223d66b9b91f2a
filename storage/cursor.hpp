#pragma once

#include <lmdb.h>

#include <string_view>

#include "storage/error.hpp"
#include "storage/txn.hpp"

namespace rdb::storage {

/// One LMDB cursor over one database, closed on destruction. Must be destroyed before its
/// transaction ends: LMDB itself frees a write transaction's cursors at commit or abort.
///
/// Positioning calls return the raw LMDB code (`MDB_NOTFOUND` when there is no such record)
/// and leave the current record in `key()` / `value()`, which point into the map.
class cursor {
 public:
  static result<cursor> open(const txn& t, MDB_dbi dbi);

  cursor(cursor&& other) noexcept;
  cursor& operator=(cursor&& other) noexcept;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor();

  /// Positions on the first record whose key is >= `key`.
  int seek(std::string_view key);
  /// Positions on exactly `key`.
  int find(std::string_view key);
  int first();
  int last();
  int next();
  int prev();

  /// Inserts or replaces `k` and positions the cursor on it.
  int put(std::string_view k, std::string_view value);
  /// Replaces the value of the current record (which must have key `k`).
  int put_current(std::string_view k, std::string_view value);
  /// Deletes the current record; the cursor then stands on its successor.
  int del();

  std::string_view key() const { return as_view(key_); }
  std::string_view value() const { return as_view(value_); }

 private:
  explicit cursor(MDB_cursor* c) : cursor_(c) {}
  int move(MDB_cursor_op op);

  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{};
  MDB_val value_{};
};

}  // namespace rdb::storage
