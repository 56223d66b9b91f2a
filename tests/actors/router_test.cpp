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

/// Answers nothing, ever: a region peer that hangs.
region_peer_actor spawn_black_hole(caf::actor_system& sys) {
  auto h = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {
        [=](kv_put_atom, const put_request&) { return self->make_response_promise(); },
    };
  });
  return caf::actor_cast<region_peer_actor>(h);
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

namespace {

/// Three stores; region 1 [""; "m") led from store 1, region 2 ["m"; "t") led from store 2.
struct routed : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "m");
  storage::region_meta r2 = region(2, "m", "t");

  routed() {
    create(r1);
    create(r2);
    elect(0, r1.id);
    elect(1, r2.id);
  }
};

}  // namespace

TEST_CASE_FIXTURE(routed, "router: requests are routed by key at the boundaries") {
  for (std::string key : {std::string{}, std::string{"l\xff"}})
    REQUIRE(put(0, key, "one").engaged());
  for (std::string key : {std::string{"m"}, std::string{"s"}})
    REQUIRE(put(1, key, "two").engaged());
  // Read back through explicit headers: the keys landed in the regions the ranges say.
  auto get_in = [&](std::size_t i, const storage::region_meta& m, std::string key) {
    return test::ask<get_response>(sys, sched, nodes[i].router, kv_get_atom::value,
                                   get_request{{m.id, m.epoch}, std::move(key)});
  };
  CHECK(get_in(0, r1, "")->value == "one");
  CHECK(get_in(0, r1, "l\xff")->value == "one");
  CHECK(get_in(1, r2, "m")->value == "two");
  CHECK(get_in(1, r2, "s")->value == "two");
  auto wrong = get_in(0, r1, "m");
  REQUIRE_FALSE(wrong.engaged());
  CHECK(code_of(wrong.error()) == errc::key_not_in_region);
}

TEST_CASE_FIXTURE(routed, "router: unknown keys and regions get region_not_found") {
  auto outside = put(0, "t", "x");
  REQUIRE_FALSE(outside.engaged());
  CHECK(code_of(outside.error()) == errc::region_not_found);
  auto unknown = test::ask<get_response>(sys, sched, nodes[0].router, kv_get_atom::value,
                                         get_request{{region_id{99}, {1, 1}}, "a"});
  REQUIRE_FALSE(unknown.engaged());
  CHECK(code_of(unknown.error()) == errc::region_not_found);
}

TEST_CASE_FIXTURE(routed, "router: a follower answers not_leader with the leader") {
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

TEST_CASE_FIXTURE(routed, "router: a stale epoch gets epoch_not_match with current regions") {
  auto stale = r1.epoch;
  stale.version = 0;
  auto r = test::ask<write_response>(sys, sched, nodes[0].router, kv_put_atom::value,
                                     put_request{{r1.id, stale}, "n", "x", client_id{1}, 0});
  REQUIRE_FALSE(r.engaged());
  CHECK(code_of(r.error()) == errc::epoch_not_match);
  auto regions = epoch_not_match_regions(r.error());
  REQUIRE(regions);
  REQUIRE(regions->size() == 2);
  CHECK((*regions)[0] == r1);
  CHECK((*regions)[1] == r2);
}

TEST_CASE_FIXTURE(routed, "router: overlapping routes are refused and the table is unchanged") {
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

TEST_CASE_FIXTURE(test::store_fixture, "router: a hanging peer gets timeout, a full router busy") {
  auto holder = std::make_shared<route_holder>();
  router_config cfg;
  cfg.request_timeout = std::chrono::milliseconds{250};
  cfg.max_pending = 1;
  auto router = spawn_router(sys, holder, cfg);
  caf::anon_send(router, route_update_atom::value, meta_of(1, "", ""), spawn_black_hole(sys));
  sched.run();
  auto first = test::send_request<write_response>(sys, router, kv_put_atom::value,
                                                  put_request{{}, "a", "1", client_id{1}, 0});
  sched.run();
  CHECK_FALSE(first->has_value());
  auto second = test::ask<write_response>(sys, sched, router, kv_put_atom::value,
                                          put_request{{}, "b", "1", client_id{1}, 0});
  REQUIRE_FALSE(second.engaged());
  CHECK(code_of(second.error()) == errc::server_busy);
  sched.advance_time(std::chrono::milliseconds{300});
  sched.run();
  REQUIRE(first->has_value());
  REQUIRE_FALSE((*first)->engaged());
  CHECK(code_of((*first)->error()) == errc::timeout);
  // The timed-out forward no longer counts: the next request is forwarded, not refused.
  auto third = test::send_request<write_response>(sys, router, kv_put_atom::value,
                                                  put_request{{}, "c", "1", client_id{1}, 0});
  sched.run();
  CHECK_FALSE(third->has_value());
  sched.advance_time(std::chrono::milliseconds{300});
  sched.run();
  REQUIRE(third->has_value());
  REQUIRE_FALSE((*third)->engaged());
  CHECK(code_of((*third)->error()) == errc::timeout);
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  sched.run();
}
