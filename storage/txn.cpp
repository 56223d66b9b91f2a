#include "storage/txn.hpp"

#include <utility>

#include "storage/lmdb_error.hpp"

namespace rdb::storage {

result<txn> txn::begin(MDB_env* env, bool read_only, bool* map_resized) {
  MDB_txn* t = nullptr;
  int rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0u, &t);
  if (map_resized) *map_resized = rc == MDB_MAP_RESIZED;
  if (rc != 0)
    return std::unexpected(
        lmdb_error(rc, read_only ? "beginning read transaction" : "beginning write transaction"));
  return txn{t};
}

txn::txn(txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}

txn& txn::operator=(txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = std::exchange(other.txn_, nullptr);
  }
  return *this;
}

txn::~txn() {
  abort();
}

int txn::get(MDB_dbi dbi, std::string_view key, MDB_val& out) const {
  MDB_val k = as_val(key);
  return mdb_get(txn_, dbi, &k, &out);
}

int txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  return mdb_put(txn_, dbi, &k, &v, flags);
}

int txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = as_val(key);
  return mdb_del(txn_, dbi, &k, nullptr);
}

int txn::commit() {
  return mdb_txn_commit(std::exchange(txn_, nullptr));
}

void txn::abort() {
  if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

}  // namespace rdb::storage
