// Region splits on three in-process stores with their supervisors, routers and real
// transports, stepped deterministically: the split applies on every replica, the child starts
// on every store and is routed together with its shrunk parent, and nothing is applied twice
// or in the wrong region.
#include <string>
#include <vector>

#include "actors/store/split_checker.hpp"
#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

struct split_fixture : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "");

  split_fixture() {
    create(r1);
    elect(0, r1.id);
  }

  split_request request(const storage::region_meta& m, std::string key, std::uint64_t child) {
    std::vector<peer_id> ids;
    for (const auto& p : m.peers)
      ids.push_back(peer_id{child * 100 + p.store.value()});
    return split_request{{m.id, m.epoch}, std::move(key), region_id{child}, std::move(ids)};
  }

  caf::expected<write_response> split(const split_request& req) {
    return test::ask<write_response>(sys, sched, peer_of(0, req.header.region), split_atom::value,
                                     req);
  }

  caf::expected<write_response> put_as(std::uint64_t client, std::uint64_t seq, std::string key,
                                       std::string value) {
    auto k = key;
    return routed<write_response>(
        0, kv_put_atom::value,
        put_request{{}, std::move(key), std::move(value), client_id{client}, seq}, k);
  }

  /// Lets every replica apply a split (a follower that had not acknowledged it when it
  /// committed learns of it with the next heartbeat) and the child's first campaign, which
  /// waits for that, happen.
  void settle_split() {
    tick_all(2);
    sched.advance_time(supervisor_config{}.first_campaign_delay);
    sched.run();
  }

  std::optional<std::string> stored(std::size_t i, const std::string& key) {
    return nodes[i].store.kv->read().value().get(key).value();
  }
};

}  // namespace

TEST_CASE_FIXTURE(split_fixture,
                  "split: both halves serve on every store, routed at once, and survive a "
                  "restart") {
  for (std::string k : {"a", "l", "m", "x"})
    REQUIRE(put(0, k, "v" + k).engaged());
  REQUIRE(split(request(r1, "m", 2)).engaged());
  settle_split();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto table = nodes[i].routes->load();
    INFO("store " << i);
    REQUIRE(table->size() == 2);
    const auto* left = table->find(region_id{1});
    const auto* right = table->find(region_id{2});
    REQUIRE(left != nullptr);
    REQUIRE(right != nullptr);
    CHECK(left->meta.end_key == "m");
    CHECK(left->meta.epoch.version == 2);
    CHECK(right->meta.start_key == "m");
    CHECK(right->meta.end_key.empty());
    CHECK(right->meta.epoch == left->meta.epoch);
    REQUIRE(right->meta.peers.size() == 3);
    CHECK(right->meta.peers[i].id == peer_id{200 + nodes[i].id.value()});
    CHECK(table->find_by_key("l")->meta.id == region_id{1});
    CHECK(table->find_by_key("m")->meta.id == region_id{2});
  }
  // Where the parent led, the child campaigned at once.
  CHECK(status(0, region_id{2}).is_leader());
  for (std::string k : {"a", "l", "m", "x"})
    CHECK(get(0, k)->value == "v" + k);
  REQUIRE(put(0, "y", "vy").engaged());
  REQUIRE(put(0, "b", "vb").engaged());
  tick_all(2);
  CHECK(status(1, region_id{2}).applied == status(0, region_id{2}).applied);
  // Both start from disk after a restart.
  halt(1);
  boot(1);
  CHECK(test::ask<std::uint64_t>(sys, sched, nodes[1].supervisor, start_atom::value).value() == 2);
  tick_all(4);
  auto table = nodes[1].routes->load();
  REQUIRE(table->size() == 2);
  CHECK(table->find(region_id{2})->meta.start_key == "m");
  CHECK(stored(1, "y") == std::string{"vy"});
}

TEST_CASE_FIXTURE(split_fixture, "split: bad and stale requests are refused") {
  auto outside = split(request(r1, "", 2));
  REQUIRE_FALSE(outside.engaged());
  CHECK(rdb_code(outside.error()) == errc::invalid_argument);
  auto few = request(r1, "m", 2);
  few.new_peers.pop_back();
  auto refused = split(few);
  REQUIRE_FALSE(refused.engaged());
  CHECK(rdb_code(refused.error()) == errc::invalid_argument);
  REQUIRE(split(request(r1, "m", 2)).engaged());
  tick_all(2);
  // Against the epoch before the split.
  auto stale = split(request(r1, "f", 3));
  REQUIRE_FALSE(stale.engaged());
  CHECK(rdb_code(stale.error()) == errc::epoch_not_match);
  // A key the parent no longer holds.
  auto now = status(0, r1.id).region;
  auto moved = split(request(now, "x", 3));
  REQUIRE_FALSE(moved.engaged());
  CHECK(rdb_code(moved.error()) == errc::invalid_argument);
  CHECK(nodes[0].routes->load()->size() == 2);
}

TEST_CASE_FIXTURE(split_fixture,
                  "split: a write retried after the split is applied once, and a write committed "
                  "behind the split for a key that moved is refused") {
  REQUIRE(put_as(7, 1, "x", "first").engaged());
  // Proposed in one go: the write of "z" commits right after the split, in the parent's log.
  auto peer = peer_of(0, r1.id);
  auto split_answer = std::make_shared<std::optional<bool>>();
  auto late_answer = std::make_shared<std::optional<errc>>();
  auto req = request(r1, "m", 2);
  request_header header{r1.id, r1.epoch};
  sys.spawn([peer, req, header, split_answer, late_answer](caf::event_based_actor* self) {
    self->request(peer, caf::infinite, split_atom::value, req)
        .then([=](write_response) { *split_answer = true; },
              [=](caf::error&) { *split_answer = false; });
    self->request(peer, caf::infinite, kv_put_atom::value,
                  put_request{header, "z", "late", client_id{8}, 1})
        .then([=](write_response) { *late_answer = errc{}; },
              [=](caf::error& e) { *late_answer = rdb_code(e).value_or(errc{}); });
  });
  sched.run();
  settle_split();
  REQUIRE(split_answer->has_value());
  CHECK(**split_answer);
  REQUIRE(late_answer->has_value());
  CHECK(**late_answer == errc::epoch_not_match);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    CHECK_FALSE(stored(i, "z").has_value());
  // The child knows client 7's first write: the retry is answered and applies nothing.
  auto retry = put_as(7, 1, "x", "second");
  REQUIRE(retry.engaged());
  tick_all(2);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    CHECK(stored(i, "x") == std::string{"first"});
  REQUIRE(put_as(7, 2, "x", "third").engaged());
  CHECK(get(0, "x")->value == "third");
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "split: the split point halves a range by size and never leaves a half empty") {
  test::temp_dir dir;
  auto st = test::open_test_engines(dir.sub("s"), store_id{1});
  storage::region_meta m;
  m.id = region_id{1};
  m.start_key = "b";
  m.end_key = "y";
  auto point = [&] { return find_split_point(st.kv->read().value(), m).value(); };
  storage::write_batch one;
  one.put(m.id, "a", std::string(100, 'x'));  // outside the range
  one.put(m.id, "c", std::string(10, 'x'));
  REQUIRE(st.kv->write(one).has_value());
  // One key in the range: no split.
  CHECK_FALSE(point().has_value());
  storage::write_batch more;
  more.put(m.id, "d", std::string(10, 'x'));
  more.put(m.id, "e", std::string(10, 'x'));
  more.put(m.id, "f", std::string(69, 'x'));
  more.put(m.id, "z", std::string(100, 'x'));  // outside the range
  REQUIRE(st.kv->write(more).has_value());
  // 11 + 11 + 11 + 70 bytes: "f" takes the walk past the middle, and starts the right half.
  auto p = point();
  REQUIRE(p.has_value());
  CHECK(p->key == "f");
  CHECK(p->right_bytes == 70);
  // A range whose first key outweighs the rest still splits after it.
  m.start_key = "f";
  m.end_key = "";
  p = point();
  REQUIRE(p.has_value());
  CHECK(p->key == "z");
  CHECK(p->right_bytes == 101);
}
