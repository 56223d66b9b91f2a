#include "raw_lmdb.hpp"

#include <doctest/doctest.h>
#include <lmdb.h>

namespace rdb::storage::test {

namespace {

/// Runs `fn(txn, dbi)` in a write transaction on `db` and commits.
template <class Fn>
void with_db(const std::string& dir, const char* db, Fn fn) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 4);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  fn(txn, dbi);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

}  // namespace

void raw_put(const std::string& dir, const char* db, std::string_view key, std::string_view value) {
  with_db(dir, db, [&](MDB_txn* txn, MDB_dbi dbi) {
    MDB_val k = val(key);
    MDB_val v = val(value);
    REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  });
}

std::string raw_get(const std::string& dir, const char* db, std::string_view key) {
  std::string out;
  with_db(dir, db, [&](MDB_txn* txn, MDB_dbi dbi) {
    MDB_val k = val(key);
    MDB_val v;
    REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
    out.assign(static_cast<const char*>(v.mv_data), v.mv_size);
  });
  return out;
}

}  // namespace rdb::storage::test
