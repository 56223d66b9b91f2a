#include "test_support.hpp"

#include <lmdb.h>

#include "storage/key_codec.hpp"

namespace rdb::pd::test {

bootstrap_request make_layout(std::vector<std::string> split_keys, std::uint32_t replicas,
                              std::size_t stores) {
  bootstrap_request req;
  req.cluster = cluster_id{7};
  req.split_keys = std::move(split_keys);
  req.replicas = replicas;
  for (std::size_t i = 1; i <= stores; ++i)
    req.stores.push_back("s" + std::to_string(i));
  return req;
}

region_heartbeat heartbeat_of(const storage::region_meta& meta, std::uint64_t size) {
  region_heartbeat hb;
  hb.region = meta;
  hb.leader = meta.peers.front().id;
  hb.approximate_size = size;
  return hb;
}

void check_coverage(const std::vector<region_info>& regions) {
  REQUIRE_FALSE(regions.empty());
  CHECK(regions.front().meta.start_key.empty());
  CHECK(regions.back().meta.end_key.empty());
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& m = regions[i].meta;
    CHECK((m.end_key.empty() || m.start_key < m.end_key));
    if (i > 0) CHECK(regions[i - 1].meta.end_key == m.start_key);
    if (i + 1 < regions.size()) CHECK_FALSE(m.end_key.empty());
  }
}

void raw_put(const std::string& dir, const char* db, std::string_view key, std::string_view value) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 3) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

std::string id_key(std::uint64_t id) {
  std::string k(8, '\0');
  storage::keys::put_u64(k.data(), id);
  return k;
}

std::vector<std::uint64_t> all_ids(const cluster_state& cs) {
  std::vector<std::uint64_t> out;
  for (const auto& s : cs.stores())
    out.push_back(s.id.value());
  if (auto regions = cs.regions()) {
    for (const auto& r : *regions) {
      out.push_back(r.meta.id.value());
      for (const auto& p : r.meta.peers)
        out.push_back(p.id.value());
    }
  }
  return out;
}

}  // namespace rdb::pd::test
