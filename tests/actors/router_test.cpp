#include <memory>
#include <string>

#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

storage::region_meta meta_of(std::uint64_t id, std::string start, std::string end,
                             std::uint64_t version = 1) {
  storage::region_meta m;
  m.id = region_id{id};
  m.start_key = std::move(start);
  m.end_key = std::move(end);
  m.epoch = {1, version};
  m.peers.push_back({peer_id{id * 10}, store_id{1}, storage::peer_role::voter});
  return m;
}

/// Regions [""; "m") and ["m"; "t"): "t" and beyond lie in no region.
route_table two_regions() {
  auto t = route_table{}.with_update(meta_of(1, "", "m"), {});
  REQUIRE(t);
  auto u = t->with_update(meta_of(2, "m", "t"), {});
  REQUIRE(u);
  return *u;
}

std::optional<errc> code_of(const caf::error& e) {
  return rdb_code(e);
}

}  // namespace

TEST_CASE("route table: keys at region boundaries") {
  auto t = two_regions();
  REQUIRE(t.find_by_key("") != nullptr);
  CHECK(t.find_by_key("")->meta.id == region_id{1});
  CHECK(t.find_by_key("l")->meta.id == region_id{1});
  CHECK(t.find_by_key("l\xff\xff")->meta.id == region_id{1});
  CHECK(t.find_by_key("m")->meta.id == region_id{2});
  CHECK(t.find_by_key("m\x01")->meta.id == region_id{2});
  CHECK(t.find_by_key("s\xff")->meta.id == region_id{2});
  CHECK(t.find_by_key("t") == nullptr);
  CHECK(t.find_by_key("zzz") == nullptr);
  CHECK(t.find(region_id{3}) == nullptr);
  CHECK(t.version() == 2);
}

TEST_CASE("route table: overlapping ranges are refused with the regions named") {
  auto t = two_regions();
  request_error why;
  CHECK_FALSE(t.with_update(meta_of(3, "k", "n"), {}, &why));
  CHECK(why.code == errc::invalid_argument);
  CHECK(why.detail.find("overlaps region 1") != std::string::npos);
  CHECK_FALSE(t.with_update(meta_of(3, "s", ""), {}, &why));
  CHECK(why.detail.find("overlaps region 2") != std::string::npos);
  CHECK_FALSE(t.with_update(meta_of(3, "x", "b"), {}, &why));
  CHECK(why.detail.find("inverted") != std::string::npos);
  auto gap = t.with_update(meta_of(3, "t", ""), {});
  REQUIRE(gap);
  CHECK(gap->find_by_key("zzz")->meta.id == region_id{3});
}

TEST_CASE("route table: epochs only move forward") {
  auto t = two_regions();
  auto newer = t.with_update(meta_of(2, "m", "p", 2), {});
  REQUIRE(newer);
  CHECK(newer->find_by_key("q") == nullptr);
  CHECK(newer->find_by_key("o")->meta.epoch.version == 2);
  CHECK_FALSE(newer->with_update(meta_of(2, "m", "t", 1), {}));
  auto gone = newer->without(region_id{1});
  REQUIRE(gone);
  CHECK(gone->find_by_key("a") == nullptr);
  CHECK(gone->metas().size() == 1);
}

TEST_CASE("route table: a request is routed by its region, or by its key when it names none") {
  auto t = two_regions();
  request_header by_key;
  auto r = t.route(by_key, "n");
  REQUIRE(r);
  CHECK((*r)->meta.id == region_id{2});
  CHECK(by_key.region == region_id{2});
  CHECK(by_key.epoch == meta_of(2, "m", "t").epoch);
  // A named region is taken as named: the key and the epoch are its peer's to check.
  request_header named{region_id{1}, {1, 7}};
  r = t.route(named, "n");
  REQUIRE(r);
  CHECK((*r)->meta.id == region_id{1});
  CHECK(named.epoch.version == 7);
  request_header outside;
  auto none = t.route(outside, "t");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::region_not_found);
  CHECK(outside.region.is_none());
  request_header unknown{region_id{9}, {1, 1}};
  none = t.route(unknown, "a");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::region_not_found);
  CHECK(none.error().region == region_id{9});
}

TEST_CASE("route table: an epoch_not_match answer is completed with the key's region") {
  auto t = two_regions();
  auto e = make_epoch_not_match(meta_of(1, "", "m"), "stale");
  t.add_holder(e, "n");
  REQUIRE(e.regions.size() == 2);
  CHECK(e.regions[1].id == region_id{2});
  // Listed already, or no local region holds the key: nothing to add.
  t.add_holder(e, "o");
  t.add_holder(e, "zz");
  CHECK(e.regions.size() == 2);
  auto other = make_request_error(errc::not_leader, region_id{1}, "x");
  t.add_holder(other, "n");
  CHECK(other.regions.empty());
}

namespace {

/// Three stores; region 1 [""; "m") led from store 1, region 2 ["m"; "t") led from store 2.
struct two_led_regions : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "m");
  storage::region_meta r2 = region(2, "m", "t");

  two_led_regions() {
    create(r1);
    create(r2);
    elect(0, r1.id);
    elect(1, r2.id);
  }
};

}  // namespace

TEST_CASE_FIXTURE(two_led_regions,
                  "routing: requests reach the region holding the key at the boundaries") {
  for (std::string key : {std::string{}, std::string{"l\xff"}})
    REQUIRE(put(0, key, "one").engaged());
  for (std::string key : {std::string{"m"}, std::string{"s"}})
    REQUIRE(put(1, key, "two").engaged());
  // Read back through explicit headers: the keys landed in the regions the ranges say.
  auto get_in = [&](std::size_t i, const storage::region_meta& m, std::string key) {
    auto k = key;
    return routed<get_response>(i, kv_get_atom::value, get_request{{m.id, m.epoch}, std::move(key)},
                                k);
  };
  CHECK(get_in(0, r1, "")->value == "one");
  CHECK(get_in(0, r1, "l\xff")->value == "one");
  CHECK(get_in(1, r2, "m")->value == "two");
  CHECK(get_in(1, r2, "s")->value == "two");
  auto wrong = get_in(0, r1, "m");
  REQUIRE_FALSE(wrong.engaged());
  CHECK(code_of(wrong.error()) == errc::key_not_in_region);
}

TEST_CASE_FIXTURE(two_led_regions, "routing: unknown keys and regions get region_not_found") {
  auto outside = put(0, "t", "x");
  REQUIRE_FALSE(outside.engaged());
  CHECK(code_of(outside.error()) == errc::region_not_found);
  auto unknown =
      routed<get_response>(0, kv_get_atom::value, get_request{{region_id{99}, {1, 1}}, "a"}, "a");
  REQUIRE_FALSE(unknown.engaged());
  CHECK(code_of(unknown.error()) == errc::region_not_found);
}

TEST_CASE_FIXTURE(two_led_regions, "routing: a follower answers not_leader with the leader") {
  auto r = put(1, "a", "x");
  REQUIRE_FALSE(r.engaged());
  CHECK(code_of(r.error()) == errc::not_leader);
  auto hint = not_leader_hint(r.error());
  REQUIRE(hint);
  CHECK(hint->id == peer_id{101});
  CHECK(hint->store == store_id{1});
  // The router's published table carries the same hint without a message hop.
  auto table = nodes[1].routes->load();
  CHECK(table->find(r1.id)->leader.store == store_id{1});
}

TEST_CASE_FIXTURE(two_led_regions,
                  "routing: a stale epoch gets epoch_not_match with the current meta") {
  auto stale = r1.epoch;
  stale.version = 0;
  auto r = routed<write_response>(0, kv_put_atom::value,
                                  put_request{{r1.id, stale}, "n", "x", client_id{1}, 0}, "n");
  REQUIRE_FALSE(r.engaged());
  CHECK(code_of(r.error()) == errc::epoch_not_match);
  auto regions = epoch_not_match_regions(r.error());
  REQUIRE(regions);
  REQUIRE(regions->size() == 1);
  CHECK((*regions)[0] == r1);
}

TEST_CASE_FIXTURE(two_led_regions,
                  "router: overlapping routes are refused and the table is unchanged") {
  auto before = nodes[0].routes->load();
  caf::anon_send(nodes[0].router, route_update_atom::value, region(3, "k", "z"), peer_of(0, r1.id));
  sched.run();
  auto after = nodes[0].routes->load();
  CHECK(after->version() == before->version());
  auto routes =
      test::ask<std::vector<storage::region_meta>>(sys, sched, nodes[0].router, routes_atom::value);
  REQUIRE(routes->size() == 2);
  CHECK((*routes)[0].id == r1.id);
  CHECK((*routes)[1].id == r2.id);
}
