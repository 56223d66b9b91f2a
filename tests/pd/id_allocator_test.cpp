#include <doctest/doctest.h>

#include <memory>
#include <set>

#include "pd/cluster_state.hpp"
#include "pd/id_allocator.hpp"
#include "pd/lmdb_meta_store.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

TEST_CASE("id allocator: the mark moves a batch ahead and only when exhausted") {
  id_allocator ids{10};
  auto p = ids.reserve(3);
  CHECK(p.ids == id_range{1, 3});
  REQUIRE(p.new_high_water);
  CHECK(*p.new_high_water == 13);
  ids.commit(p);
  auto q = ids.reserve(10);
  CHECK(q.ids == id_range{4, 10});
  CHECK_FALSE(q.new_high_water);
  ids.commit(q);
  auto r = ids.reserve(1);
  CHECK(r.ids == id_range{14, 1});
  CHECK(r.new_high_water == 24);
}

TEST_CASE("id allocator: an uncommitted plan hands out nothing") {
  id_allocator ids{10};
  auto p = ids.reserve(5);
  CHECK(ids.reserve(5).ids == p.ids);
  CHECK(ids.next() == 1);
}

TEST_CASE("id allocation: monotonic, unique, persisted once per batch") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms, cluster_config{10, 10}));
  std::set<std::uint64_t> seen;
  std::uint64_t last = 0;
  for (int i = 0; i < 25; ++i) {
    auto r = take(cs.alloc_ids(1));
    CHECK(r.count == 1);
    CHECK(r.first > last);
    last = r.first;
    CHECK(seen.insert(r.first).second);
  }
  CHECK(ms.commits() == 3);
  auto big = take(cs.alloc_ids(100));
  CHECK(big.first == last + 1);
  CHECK(ms.state().id_high_water >= big.first + big.count - 1);
  CHECK(code_of(cs.alloc_ids(0)) == errc::invalid_argument);
}

TEST_CASE("id allocation: a failed commit hands out nothing") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms, cluster_config{5, 10}));
  auto first = take(cs.alloc_ids(5));
  ms.fail_commits(true);
  // Ids up to the mark come from memory; one past it needs a write.
  CHECK(code_of(cs.alloc_ids(6)) == errc::storage_failure);
  ms.fail_commits(false);
  CHECK(take(cs.alloc_ids(1)).first == first.first + first.count);
}

TEST_CASE("id allocation: unique across restarts, reserved but unused ids skipped") {
  temp_dir dir;
  std::set<std::uint64_t> seen;
  std::uint64_t high_water = 0;
  for (int restart = 0; restart < 3; ++restart) {
    auto store = take(lmdb_meta_store::open(dir.path()));
    auto cs = take(cluster_state::open(*store, cluster_config{100, 10}));
    for (int i = 0; i < 7; ++i) {
      auto r = take(cs.alloc_ids(3));
      if (i == 0) CHECK(r.first == high_water + 1);
      for (std::uint64_t k = 0; k < r.count; ++k)
        CHECK(seen.insert(r.first + k).second);
    }
    high_water = take(store->load()).id_high_water;
    CHECK(high_water == 3 + 100 + restart * 103);
  }
  CHECK(seen.size() == 3 * 7 * 3);
}

}  // namespace rdb::pd::test
