#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pd/cluster_state.hpp"
#include "pd/failure.hpp"
#include "pd/types.hpp"
#include "tests/support/temp_dir.hpp"

/// Shared helpers of the PD tests.
namespace rdb::pd::test {

using rdb::test::temp_dir;

/// The value of `r`, failing the current test with the PD failure if there is none.
template <class T>
T take(result<T> r) {
  if (!r) FAIL(r.error());
  return std::move(*r);
}

inline void take(result<void> r) {
  if (!r) FAIL(r.error());
}

/// The failure code of `r`; fails the test if it succeeded.
template <class T>
errc code_of(const result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

/// Cluster 7 on stores "s1".."s<stores>" with the given split keys and replicas.
bootstrap_request make_layout(std::vector<std::string> split_keys, std::uint32_t replicas = 3,
                              std::size_t stores = 3);

/// A heartbeat of `meta` from its first peer as leader.
region_heartbeat heartbeat_of(const storage::region_meta& meta, std::uint64_t size = 0);

/// Fails the test unless `regions` (in key order) cover the key space exactly once.
void check_coverage(const std::vector<region_info>& regions);

/// Writes `value` under `key` in database `db` of the PD environment in `dir`, behind PD's
/// back. The PD store of `dir` must be closed.
void raw_put(const std::string& dir, const char* db, std::string_view key, std::string_view value);

/// A store or region id as PD keys its records (u64 big-endian).
std::string id_key(std::uint64_t id);

/// Every id (regions, peers, stores) that `cs` holds.
std::vector<std::uint64_t> all_ids(const cluster_state& cs);

}  // namespace rdb::pd::test
