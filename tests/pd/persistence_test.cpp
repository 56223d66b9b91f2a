#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "pd/cluster_state.hpp"
#include "pd/lmdb_meta_store.hpp"
#include "pd/record_codec.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

/// A cluster with some history: bootstrap, a split, a leader, an extra and a removed store.
void make_history(cluster_state& cs) {
  auto metas = take(cs.bootstrap(make_layout({"g", "p"}, 3, 4)));
  auto ids = take(cs.ask_split(metas[1]));
  auto parent = metas[1];
  parent.end_key = "k";
  parent.epoch.version = 2;
  auto child = parent;
  child.id = ids.new_region;
  child.start_key = "k";
  child.end_key = "p";
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = ids.new_peers[i];
  auto hb = heartbeat_of(parent, 1234);
  hb.leader = parent.peers[2].id;
  take(cs.on_region_heartbeat(hb));
  take(cs.on_region_heartbeat(heartbeat_of(child, 99)));
  store_info extra;
  extra.address = "s9";
  take(cs.put_store(extra));
  take(cs.remove_store(cs.stores().front().id));
  take(cs.alloc_ids(5));
}

}  // namespace

TEST_CASE("restart keeps everything") {
  temp_dir dir;
  std::vector<region_info> regions;
  std::vector<store_info> stores;
  bootstrap_status status;
  std::uint64_t high_water = 0;
  {
    auto store = take(lmdb_meta_store::open(dir.path()));
    auto cs = take(cluster_state::open(*store));
    make_history(cs);
    regions = take(cs.regions());
    for (const auto& s : cs.stores())
      stores.push_back(durable_part(s));
    status = cs.status();
    high_water = take(store->load()).id_high_water;
  }
  auto store = take(lmdb_meta_store::open(dir.path()));
  auto cs = take(cluster_state::open(*store));
  CHECK(cs.status() == status);
  CHECK(take(cs.regions()) == regions);
  CHECK(cs.stores() == stores);
  check_coverage(take(cs.regions()));
  CHECK(take(cs.region_by_key("k")).leader == regions[2].leader);
  CHECK(take(cs.region_by_key("k")).approximate_size == 99);
  CHECK(take(cs.region_by_key("h")).leader == regions[1].leader);
  CHECK(take(cs.region_by_key("h")).approximate_size == 1234);
  CHECK(take(cs.alloc_ids(1)).first == high_water + 1);
  CHECK(code_of(cs.bootstrap(make_layout({"x"}))) == errc::already_bootstrapped);
  CHECK(take(cs.bootstrap(make_layout({"g", "p"}, 3, 4))).size() == 4);
}

TEST_CASE("restart: a store's liveness window starts again") {
  temp_dir dir;
  {
    auto store = take(lmdb_meta_store::open(dir.path()));
    auto cs = take(cluster_state::open(*store, cluster_config{1000, 2}));
    take(cs.bootstrap(make_layout({}, 1, 1)));
    cs.advance_to(tick_no{10});
    CHECK(cs.stores().front().state == store_state::down);
  }
  auto store = take(lmdb_meta_store::open(dir.path()));
  auto cs = take(cluster_state::open(*store, cluster_config{1000, 2}));
  CHECK(cs.stores().front().state == store_state::up);
  cs.tick();
  cs.tick();
  CHECK(cs.stores().front().state == store_state::down);
}

TEST_CASE("persistence: the map grows when PD state outgrows it") {
  temp_dir dir;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i)
    keys.push_back("key" + std::to_string(100000 + i));
  {
    auto store = take(lmdb_meta_store::open(dir.path(), std::size_t{64} << 10));
    auto cs = take(cluster_state::open(*store));
    CHECK(take(cs.bootstrap(make_layout(keys))).size() == keys.size() + 1);
  }
  auto store = take(lmdb_meta_store::open(dir.path(), std::size_t{64} << 10));
  auto cs = take(cluster_state::open(*store));
  auto regions = take(cs.regions());
  CHECK(regions.size() == keys.size() + 1);
  check_coverage(regions);
}

TEST_CASE("persistence: a full map at its limit is a storage failure, not a crash") {
  temp_dir dir;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i)
    keys.push_back("key" + std::to_string(100000 + i));
  auto store =
      take(lmdb_meta_store::open(dir.path(), std::size_t{64} << 10, std::size_t{128} << 10));
  auto cs = take(cluster_state::open(*store));
  CHECK(code_of(cs.bootstrap(make_layout(keys))) == errc::storage_failure);
  CHECK_FALSE(cs.status().bootstrapped);
  CHECK(take(cs.bootstrap(make_layout({"m"}))).size() == 2);
}

TEST_CASE("corrupt persisted records are a typed error, not a crash") {
  struct damage {
    const char* name;
    const char* db;
    std::string key;
    std::string value;
  };
  record_codec codec;
  region_info wrong_key_region;
  wrong_key_region.meta.id = region_id{12345};
  wrong_key_region.meta.peers.push_back({peer_id{1}, store_id{1}, storage::peer_role::voter});
  auto valid_region = std::string{codec.encode(wrong_key_region)};
  store_info bad_state_store;
  bad_state_store.id = store_id{3};
  bad_state_store.address = "x";
  auto store_bytes = std::string{codec.encode(bad_state_store)};
  damage cases[] = {
      {"garbage region", "pd_regions", id_key(1), "not a flatbuffer at all"},
      {"truncated region", "pd_regions", id_key(1),
       valid_region.substr(0, valid_region.size() / 2)},
      {"region under another id", "pd_regions", id_key(2), valid_region},
      {"garbage store", "pd_stores", id_key(3), std::string(40, '\x7f')},
      {"bad bootstrap layout", "pd_meta", "bootstrap", "xx"},
      {"bad id mark", "pd_meta", "id_alloc", std::string(3, '\0')},
      {"store under another id", "pd_stores", id_key(4), store_bytes},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    temp_dir dir;
    {
      auto store = take(lmdb_meta_store::open(dir.path()));
      auto cs = take(cluster_state::open(*store));
      take(cs.bootstrap(make_layout({"m"})));
    }
    raw_put(dir.path(), c.db, c.key, c.value);
    auto store = take(lmdb_meta_store::open(dir.path()));
    CHECK(code_of(store->load()) == errc::storage_corrupt);
    CHECK(code_of(cluster_state::open(*store)) == errc::storage_corrupt);
  }
}

TEST_CASE("persisted state that breaks PD's invariants is corrupt") {
  temp_dir dir;
  {
    auto store = take(lmdb_meta_store::open(dir.path()));
    auto cs = take(cluster_state::open(*store));
    take(cs.bootstrap(make_layout({"m"})));
  }
  SUBCASE("overlapping regions") {
    record_codec codec;
    region_info r;
    r.meta.id = region_id{2};
    r.meta.start_key = "a";
    r.meta.end_key = "z";
    r.meta.peers.push_back({peer_id{1}, store_id{1}, storage::peer_role::voter});
    raw_put(dir.path(), "pd_regions", id_key(2), codec.encode(r));
  }
  SUBCASE("an id above the high-water mark") {
    record_codec codec;
    raw_put(dir.path(), "pd_meta", "id_alloc", codec.encode_high_water(2));
  }
  auto store = take(lmdb_meta_store::open(dir.path()));
  CHECK(code_of(cluster_state::open(*store)) == errc::storage_corrupt);
}

TEST_CASE("record codec: every record decodes to what was encoded") {
  record_codec codec;
  auto layout = make_layout({std::string("\0\xff", 2), "m"}, 2, 3);
  CHECK(record_codec::decode_bootstrap(codec.encode(layout)) == layout);
  CHECK(record_codec::decode_high_water(codec.encode_high_water(77)) == 77u);
  store_info s;
  s.id = store_id{5};
  s.address = "h:1";
  s.client_address = "h:2";
  s.state = store_state::tombstone;
  CHECK(record_codec::decode_store(codec.encode(s)) == durable_part(s));
  s.state = store_state::down;
  CHECK(record_codec::decode_store(codec.encode(s))->state == store_state::up);
  region_info r;
  r.meta.id = region_id{9};
  r.meta.start_key = std::string("a\0b", 3);
  r.meta.epoch = {3, 4};
  r.meta.peers = {{peer_id{10}, store_id{1}, storage::peer_role::voter},
                  {peer_id{11}, store_id{2}, storage::peer_role::learner}};
  r.leader = r.meta.peers[0];
  r.approximate_size = 1 << 20;
  r.pending_peers = {r.meta.peers[1]};
  CHECK(record_codec::decode_region(codec.encode(r)) == durable_part(r));
}

}  // namespace rdb::pd::test
