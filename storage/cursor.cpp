#include "storage/cursor.hpp"

#include <cerrno>
#include <utility>

#include "storage/lmdb_error.hpp"

namespace rdb::storage {

result<cursor> cursor::open(const txn& t, MDB_dbi dbi) {
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(t.get(), dbi, &c); rc != 0)
    return std::unexpected(lmdb_error(rc, "opening cursor"));
  return cursor{c};
}

cursor::cursor(cursor&& other) noexcept
    : cursor_(std::exchange(other.cursor_, nullptr)), key_(other.key_), value_(other.value_) {}

cursor& cursor::operator=(cursor&& other) noexcept {
  if (this != &other) {
    if (cursor_) mdb_cursor_close(cursor_);
    cursor_ = std::exchange(other.cursor_, nullptr);
    key_ = other.key_;
    value_ = other.value_;
  }
  return *this;
}

cursor::~cursor() {
  if (cursor_) mdb_cursor_close(cursor_);
}

int cursor::move(MDB_cursor_op op) {
  return mdb_cursor_get(cursor_, &key_, &value_, op);
}

int cursor::seek(std::string_view key) {
  key_ = as_val(key);
  return move(MDB_SET_RANGE);
}

int cursor::find(std::string_view key) {
  key_ = as_val(key);
  return move(MDB_SET_KEY);
}

int cursor::first() {
  return move(MDB_FIRST);
}
int cursor::last() {
  return move(MDB_LAST);
}
int cursor::next() {
  return move(MDB_NEXT);
}
int cursor::prev() {
  return move(MDB_PREV);
}

int cursor::put(std::string_view k, std::string_view value) {
  MDB_val key = as_val(k);
  MDB_val v = as_val(value);
  return mdb_cursor_put(cursor_, &key, &v, 0);
}

int cursor::put_current(std::string_view k, std::string_view value) {
  MDB_val key = as_val(k);
  MDB_val v = as_val(value);
  return mdb_cursor_put(cursor_, &key, &v, MDB_CURRENT);
}

int cursor::del() {
  // After a delete LMDB leaves the cursor on the successor; MDB_GET_CURRENT reads it back.
  // When the database became empty the cursor is uninitialised and LMDB answers EINVAL.
  if (int rc = mdb_cursor_del(cursor_, 0); rc != 0) return rc;
  int rc = move(MDB_GET_CURRENT);
  return rc == EINVAL ? MDB_NOTFOUND : rc;
}

}  // namespace rdb::storage
