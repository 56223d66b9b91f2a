#include <doctest/doctest.h>

#include <set>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

/// A cluster of three regions ["", "g"), ["g", "p"), ["p", +inf) on three stores.
struct fixture {
  memory_meta_store ms;
  cluster_state cs = take(cluster_state::open(ms));
  std::vector<storage::region_meta> metas = take(cs.bootstrap(make_layout({"g", "p"})));

  const storage::region_meta& middle() const { return metas[1]; }
};

}  // namespace

TEST_CASE("region heartbeat: an older version is stale and answered with PD's meta") {
  fixture f;
  auto newer = f.middle();
  newer.epoch.version = 3;
  take(f.cs.on_region_heartbeat(heartbeat_of(newer)));
  auto older = f.middle();
  older.epoch.version = 2;
  auto r = f.cs.on_region_heartbeat(heartbeat_of(older));
  CHECK(code_of(r) == errc::stale_epoch);
  REQUIRE(r.error().current);
  CHECK(*r.error().current == newer);
  CHECK(take(f.cs.region_by_id(newer.id)).meta == newer);
}

TEST_CASE("region heartbeat: an older conf_ver is stale even with a newer version") {
  fixture f;
  auto newer = f.middle();
  newer.epoch.conf_ver = 4;
  take(f.cs.on_region_heartbeat(heartbeat_of(newer)));
  auto older = f.middle();
  older.epoch.conf_ver = 3;
  older.epoch.version = 9;
  auto r = f.cs.on_region_heartbeat(heartbeat_of(older));
  CHECK(code_of(r) == errc::stale_epoch);
  REQUIRE(r.error().current);
  CHECK(*r.error().current == newer);
}

TEST_CASE("region heartbeat: leader and size are recorded; equal epochs write nothing") {
  fixture f;
  auto hb = heartbeat_of(f.middle(), 4096);
  hb.leader = f.middle().peers[1].id;
  hb.pending_peers = {f.middle().peers[2]};
  auto commits = f.ms.commits();
  take(f.cs.on_region_heartbeat(hb));
  CHECK(f.ms.commits() == commits + 1);
  auto info = take(f.cs.region_by_id(f.middle().id));
  CHECK(info.leader == f.middle().peers[1]);
  CHECK(info.approximate_size == 4096);
  CHECK(info.pending_peers == hb.pending_peers);
  hb.approximate_size = 8192;
  take(f.cs.on_region_heartbeat(hb));
  CHECK(f.ms.commits() == commits + 1);
  CHECK(take(f.cs.region_by_id(f.middle().id)).approximate_size == 8192);
}

TEST_CASE("region heartbeat: a membership change with a newer conf_ver replaces the meta") {
  fixture f;
  auto changed = f.middle();
  changed.epoch.conf_ver = 2;
  changed.peers.push_back(
      storage::region_peer{peer_id{9000}, changed.peers[0].store, storage::peer_role::learner});
  take(f.cs.on_region_heartbeat(heartbeat_of(changed)));
  CHECK(take(f.cs.region_by_key("h")).meta == changed);
}

TEST_CASE("region heartbeat: a split reported child first, then parent") {
  fixture f;
  auto ids = take(f.cs.ask_split(f.middle()));
  auto parent = f.middle();
  parent.epoch.version = 2;
  parent.end_key = "k";
  auto child = f.middle();
  child.id = ids.new_region;
  child.start_key = "k";
  child.epoch.version = 2;
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = ids.new_peers[i];
  take(f.cs.on_region_heartbeat(heartbeat_of(child)));
  // The parent's wider, older entry is gone until the parent reports its new range.
  CHECK(code_of(f.cs.region_by_id(parent.id)) == errc::unknown_region);
  CHECK(code_of(f.cs.region_by_key("h")) == errc::unknown_region);
  CHECK(take(f.cs.region_by_key("k")).meta == child);
  take(f.cs.on_region_heartbeat(heartbeat_of(parent)));
  auto regions = take(f.cs.regions());
  check_coverage(regions);
  REQUIRE(regions.size() == 4);
  CHECK(regions[1].meta == parent);
  CHECK(regions[2].meta == child);
  // The parent's pre-split report is now stale.
  auto r = f.cs.on_region_heartbeat(heartbeat_of(f.middle()));
  CHECK(code_of(r) == errc::stale_epoch);
  CHECK(r.error().current == parent);
}

TEST_CASE("region heartbeat: a split reported parent first, then child") {
  fixture f;
  auto ids = take(f.cs.ask_split(f.middle()));
  auto parent = f.middle();
  parent.epoch.version = 2;
  parent.end_key = "k";
  auto child = parent;
  child.id = ids.new_region;
  child.start_key = "k";
  child.end_key = "p";
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = ids.new_peers[i];
  take(f.cs.on_region_heartbeat(heartbeat_of(parent)));
  CHECK(code_of(f.cs.region_by_key("m")) == errc::unknown_region);
  take(f.cs.on_region_heartbeat(heartbeat_of(child)));
  auto regions = take(f.cs.regions());
  check_coverage(regions);
  CHECK(regions.size() == 4);
  CHECK(take(f.cs.region_by_key("m")).meta == child);
}

TEST_CASE("region heartbeat: an unknown region overlapping a newer one is stale") {
  fixture f;
  auto newer = f.middle();
  newer.epoch.version = 5;
  take(f.cs.on_region_heartbeat(heartbeat_of(newer)));
  auto ghost = f.middle();
  ghost.id = region_id{7777};
  ghost.epoch.version = 4;
  auto r = f.cs.on_region_heartbeat(heartbeat_of(ghost));
  CHECK(code_of(r) == errc::stale_epoch);
  CHECK(r.error().current == newer);
}

TEST_CASE("region heartbeat: a merge-shaped report removes every older region it covers") {
  fixture f;
  auto merged = f.metas[0];
  merged.end_key = "p";
  merged.epoch.version = 3;
  take(f.cs.on_region_heartbeat(heartbeat_of(merged)));
  auto regions = take(f.cs.regions());
  check_coverage(regions);
  REQUIRE(regions.size() == 2);
  CHECK(regions[0].meta == merged);
}

TEST_CASE("region heartbeat: malformed reports are refused") {
  fixture f;
  auto bad_leader = heartbeat_of(f.middle());
  bad_leader.leader = peer_id{424242};
  CHECK(code_of(f.cs.on_region_heartbeat(bad_leader)) == errc::invalid_argument);
  auto empty_range = f.middle();
  empty_range.end_key = empty_range.start_key;
  empty_range.epoch.version = 2;
  CHECK(code_of(f.cs.on_region_heartbeat(heartbeat_of(empty_range))) == errc::invalid_argument);
  auto no_id = f.middle();
  no_id.id = region_id{};
  CHECK(code_of(f.cs.on_region_heartbeat(heartbeat_of(no_id))) == errc::invalid_argument);
  auto twice = f.middle();
  twice.peers.push_back(twice.peers[0]);
  CHECK(code_of(f.cs.on_region_heartbeat(heartbeat_of(twice))) == errc::invalid_argument);
  check_coverage(take(f.cs.regions()));
}

TEST_CASE("region heartbeat: a failed commit leaves the table as it was") {
  fixture f;
  auto newer = f.middle();
  newer.epoch.version = 2;
  newer.end_key = "k";
  f.ms.fail_commits(true);
  CHECK(code_of(f.cs.on_region_heartbeat(heartbeat_of(newer))) == errc::storage_failure);
  CHECK(take(f.cs.region_by_id(newer.id)).meta == f.middle());
}

TEST_CASE("region lookup by key at the boundaries") {
  fixture f;
  auto region_of = [&](std::string key) { return take(f.cs.region_by_key(key)).meta.id; };
  CHECK(region_of("") == f.metas[0].id);
  CHECK(region_of("a") == f.metas[0].id);
  CHECK(region_of("f\xff\xff\xff") == f.metas[0].id);
  CHECK(region_of("g") == f.metas[1].id);
  CHECK(region_of(std::string("g\0", 2)) == f.metas[1].id);
  CHECK(region_of("o\xff") == f.metas[1].id);
  CHECK(region_of("p") == f.metas[2].id);
  CHECK(region_of(std::string(storage::max_key_size, '\xff')) == f.metas[2].id);
  CHECK(take(f.cs.region_by_id(f.metas[2].id)).meta == f.metas[2]);
  CHECK(code_of(f.cs.region_by_id(region_id{99999})) == errc::unknown_region);
}

TEST_CASE("ask split: fresh ids, one peer id per peer; stale or unknown regions refused") {
  fixture f;
  auto ids = take(f.cs.ask_split(f.middle()));
  CHECK(ids.new_peers.size() == f.middle().peers.size());
  std::set<std::uint64_t> seen;
  for (auto id : all_ids(f.cs))
    seen.insert(id);
  CHECK(seen.insert(ids.new_region.value()).second);
  for (auto p : ids.new_peers)
    CHECK(seen.insert(p.value()).second);
  auto newer = f.middle();
  newer.epoch.version = 2;
  take(f.cs.on_region_heartbeat(heartbeat_of(newer)));
  auto r = f.cs.ask_split(f.middle());
  CHECK(code_of(r) == errc::stale_epoch);
  CHECK(r.error().current == newer);
  auto unknown = f.middle();
  unknown.id = region_id{99999};
  CHECK(code_of(f.cs.ask_split(unknown)) == errc::unknown_region);
}

TEST_CASE("store regions: the regions with a peer on the store") {
  fixture f;
  for (const auto& s : f.cs.stores())
    CHECK(take(f.cs.store_regions(s.id)).size() == 3);
  CHECK(code_of(f.cs.store_regions(store_id{99999})) == errc::unknown_store);
}

}  // namespace rdb::pd::test
