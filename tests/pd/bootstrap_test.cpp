#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

TEST_CASE("bootstrap: regions cover the key space exactly, replicas spread, ids unique") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto req = make_layout({"b", "m", "t"}, 3, 5);
  auto metas = take(cs.bootstrap(req));
  REQUIRE(metas.size() == 4);
  CHECK(metas[0].start_key == "");
  CHECK(metas[0].end_key == "b");
  CHECK(metas[1].start_key == "b");
  CHECK(metas[1].end_key == "m");
  CHECK(metas[2].start_key == "m");
  CHECK(metas[2].end_key == "t");
  CHECK(metas[3].start_key == "t");
  CHECK(metas[3].end_key == "");
  auto regions = take(cs.regions());
  check_coverage(regions);
  REQUIRE(regions.size() == metas.size());
  std::map<store_id, int> load;
  for (std::size_t i = 0; i < metas.size(); ++i) {
    CHECK(regions[i].meta == metas[i]);
    CHECK(metas[i].epoch == storage::region_epoch{1, 1});
    REQUIRE(metas[i].peers.size() == 3);
    std::set<store_id> stores;
    for (const auto& p : metas[i].peers) {
      CHECK(p.role == storage::peer_role::voter);
      stores.insert(p.store);
      ++load[p.store];
    }
    CHECK(stores.size() == 3);
  }
  // 12 replicas on 5 stores: every store carries 2 or 3.
  REQUIRE(load.size() == 5);
  for (auto [store, n] : load)
    CHECK((n == 2 || n == 3));
  auto ids = all_ids(cs);
  CHECK(ids.size() == 5 + 4 * 4);
  CHECK(std::ranges::find(ids, 0) == ids.end());
  std::set<std::uint64_t> distinct(ids.begin(), ids.end());
  CHECK(distinct.size() == ids.size());
  CHECK(cs.status() == bootstrap_status{true, cluster_id{7}});
  auto stores = cs.stores();
  REQUIRE(stores.size() == 5);
  for (std::size_t i = 0; i < stores.size(); ++i) {
    CHECK(stores[i].address == "s" + std::to_string(i + 1));
    CHECK(stores[i].state == store_state::up);
  }
}

TEST_CASE("bootstrap: no split keys make one region over everything") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto metas = take(cs.bootstrap(make_layout({}, 1, 1)));
  REQUIRE(metas.size() == 1);
  CHECK(metas[0].start_key.empty());
  CHECK(metas[0].end_key.empty());
  CHECK(take(cs.region_by_key("anything")).meta == metas[0]);
}

TEST_CASE("bootstrap: replicas go round-robin over equally loaded stores") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto metas = take(cs.bootstrap(make_layout({"k"}, 2, 4)));
  REQUIRE(metas.size() == 2);
  std::set<store_id> first, second;
  for (const auto& p : metas[0].peers)
    first.insert(p.store);
  for (const auto& p : metas[1].peers)
    second.insert(p.store);
  std::vector<store_id> both;
  std::ranges::set_intersection(first, second, std::back_inserter(both));
  CHECK(both.empty());
}

TEST_CASE("bootstrap twice: an identical retry answers the regions, another layout is refused") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto req = make_layout({"g", "p"});
  auto first = take(cs.bootstrap(req));
  auto commits = ms.commits();
  auto again = take(cs.bootstrap(req));
  CHECK(again == first);
  CHECK(ms.commits() == commits);
  auto other = make_layout({"g", "q"});
  CHECK(code_of(cs.bootstrap(other)) == errc::already_bootstrapped);
  auto other_cluster = req;
  other_cluster.cluster = cluster_id{8};
  CHECK(code_of(cs.bootstrap(other_cluster)) == errc::already_bootstrapped);
  CHECK(take(cs.regions()).size() == 3);
  CHECK(cs.status().cluster == cluster_id{7});
}

TEST_CASE("bootstrap: malformed layouts are refused and change nothing") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto refused = [&](bootstrap_request req) {
    CHECK(code_of(cs.bootstrap(req)) == errc::invalid_argument);
  };
  refused(make_layout({"a"}, 0));
  refused(make_layout({"a"}, 4, 3));
  refused(make_layout({"b", "a"}));
  refused(make_layout({"a", "a"}));
  refused(make_layout({""}));
  refused(make_layout({std::string(storage::max_key_size + 1, 'k')}));
  auto no_cluster = make_layout({"a"});
  no_cluster.cluster = cluster_id{};
  refused(no_cluster);
  auto dup = make_layout({"a"});
  dup.stores = {"s1", "s2", "s1"};
  refused(dup);
  auto no_stores = make_layout({"a"}, 1, 0);
  refused(no_stores);
  CHECK_FALSE(cs.status().bootstrapped);
  CHECK(ms.commits() == 0);
  CHECK(code_of(cs.regions()) == errc::not_bootstrapped);
}

TEST_CASE("bootstrap: stores registered beforehand keep their ids") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  CHECK(code_of(cs.region_by_key("a")) == errc::not_bootstrapped);
  store_info s2;
  s2.address = "s2";
  auto id = take(cs.put_store(s2));
  take(cs.bootstrap(make_layout({"m"})));
  auto stores = cs.stores();
  REQUIRE(stores.size() == 3);
  CHECK(std::ranges::count(stores, id, &store_info::id) == 1);
  CHECK(take(cs.store(id)).address == "s2");
  CHECK_FALSE(take(cs.store_regions(id)).empty());
}

TEST_CASE("bootstrap: a failed commit leaves the cluster unbootstrapped, a retry succeeds") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  ms.fail_commits(true);
  CHECK(code_of(cs.bootstrap(make_layout({"m"}))) == errc::storage_failure);
  CHECK_FALSE(cs.status().bootstrapped);
  CHECK(cs.stores().empty());
  ms.fail_commits(false);
  auto metas = take(cs.bootstrap(make_layout({"m"})));
  CHECK(metas.size() == 2);
}

}  // namespace rdb::pd::test
