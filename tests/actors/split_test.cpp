// Region splits on three in-process stores with their supervisors, routers and real
// transports, stepped deterministically: the split applies on every replica, the child starts
// on every store and is routed together with its shrunk parent, and nothing is applied twice
// or in the wrong region.
#include <algorithm>
#include <string>
#include <vector>

#include "actors/store/split_checker.hpp"
#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

struct split_fixture : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "");

  explicit split_fixture(peer_config base = {}) : runtime_fixture(3, std::move(base)) {
    create(r1);
    elect(0, r1.id);
  }

  split_request request(const storage::region_meta& m, std::string key, std::uint64_t child) {
    std::vector<peer_id> ids;
    for (const auto& p : m.peers)
      ids.push_back(peer_id{child * 100 + p.store.value()});
    return split_request{{m.id, m.epoch}, std::move(key), region_id{child}, std::move(ids)};
  }

  caf::expected<write_response> split(const split_request& req, std::size_t via = 0) {
    return test::ask<write_response>(sys, sched, peer_of(via, req.header.region), split_atom::value,
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

  /// Splits the region holding `key` at `key` through store `leader`'s replica, with fresh ids.
  void split_at(std::size_t leader, const std::string& key) {
    auto table = nodes[leader].routes->load();
    const auto* r = table->find_by_key(key);
    REQUIRE(r != nullptr);
    auto answer = split(request(r->meta, key, ++last_region), leader);
    REQUIRE_MESSAGE(answer.engaged(), "split at " << key << ": " << sys.render(answer.error()));
  }

  /// Checks that `ranges`, in key order, cover the key space exactly: no gap, no overlap.
  static void check_cover(const std::vector<storage::region_meta>& ranges, std::size_t count) {
    REQUIRE(ranges.size() == count);
    CHECK(ranges.front().start_key.empty());
    CHECK(ranges.back().end_key.empty());
    for (std::size_t k = 1; k < ranges.size(); ++k)
      CHECK(ranges[k - 1].end_key == ranges[k].start_key);
  }

  /// Store `i`'s routes and its initialized regions on disk, each a cover of `count` regions
  /// equal to store 0's routes.
  void check_store(std::size_t i, std::size_t count) {
    INFO("store " << i);
    auto routed = nodes[i].routes->load()->metas();
    check_cover(routed, count);
    auto stored = nodes[i].store.kv->read().value().regions().value();
    std::erase_if(stored, [](const storage::region_local_state& r) {
      return r.state != storage::peer_state::normal;
    });
    std::ranges::sort(stored, {}, [](const auto& r) { return r.region.start_key; });
    std::vector<storage::region_meta> on_disk;
    for (const auto& r : stored)
      on_disk.push_back(r.region);
    check_cover(on_disk, count);
    CHECK(on_disk == routed);
    CHECK(routed == nodes[0].routes->load()->metas());
  }

  std::uint64_t last_region = 1;
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

TEST_CASE_FIXTURE(test::store_fixture, "split: by key count the split point halves the keys") {
  test::temp_dir dir;
  auto st = test::open_test_engines(dir.sub("s"), store_id{1});
  storage::region_meta m;
  m.id = region_id{1};
  auto point = [&] { return find_split_point(st.kv->read().value(), m, split_by::keys).value(); };
  storage::write_batch b;
  b.put(m.id, "a", std::string(1000, 'x'));
  for (auto k : {"b", "c", "d", "e"})
    b.put(m.id, k, "x");
  REQUIRE(st.kv->write(b).has_value());
  // By size "b" would start the right half; by count "c" does: two keys before it, three on.
  auto p = point();
  REQUIRE(p.has_value());
  CHECK(p->key == "c");
  CHECK(p->right_bytes == 6);
  storage::write_batch odd;
  odd.put(m.id, "f", "x");
  REQUIRE(st.kv->write(odd).has_value());
  // Six keys: three on each side.
  p = point();
  REQUIRE(p.has_value());
  CHECK(p->key == "d");
  CHECK(p->right_bytes == 6);
  CHECK(find_split_point(st.kv->read().value(), m, split_by::size).value()->key == "b");
}

namespace {

/// A split fixture whose leaders compact their logs at every tick once 8 entries can go, even
/// past a replica more than 4 entries behind: such a replica catches up by snapshot.
rdb::peer_config compacting() {
  rdb::peer_config c;
  c.log_gc_ticks = 1;
  c.log_gc_threshold = 8;
  c.log_gc_count_limit = 4;
  return c;
}

struct compacting_split_fixture : split_fixture {
  compacting_split_fixture() : split_fixture(compacting()) {}
};

}  // namespace

TEST_CASE_FIXTURE(
    split_fixture,
    "split: a follower cut off during the split catches up, the child's messages that "
    "reach it first notwithstanding") {
  for (std::string k : {"a", "x"})
    REQUIRE(put(0, k, "v" + k).engaged());
  tick_all(2);
  partition(2, true);
  split_at(0, "m");
  settle_split();
  REQUIRE(put(0, "b", "vb").engaged());
  REQUIRE(put(0, "y", "vy").engaged());
  CHECK(nodes[2].routes->load()->size() == 1);
  partition(2, false);
  // The child's leader may reach store 2 before the parent's does: store 2 then holds an
  // uninitialized child until its parent applies the split and founds the child in its place.
  tick_all(8);
  check_store(2, 2);
  for (std::string k : {"a", "b", "x", "y"})
    CHECK(stored(2, k) == std::string{"v" + k});
  CHECK(status(2, region_id{2}).applied == status(0, region_id{2}).applied);
  CHECK(status(2, region_id{1}).applied == status(0, region_id{1}).applied);
}

TEST_CASE_FIXTURE(compacting_split_fixture,
                  "split: a follower cut off during the split catches up by snapshots of both "
                  "halves, the child's refused while its parent still covers the range") {
  REQUIRE(put(0, "a", "va").engaged());
  tick_all(2);
  partition(2, true);
  split_at(0, "m");
  settle_split();
  auto split_index = status(0, region_id{1}).applied;
  // Enough writes to both halves that their leaders compact past what store 2 holds.
  for (int n = 0; n < 24; ++n) {
    REQUIRE(put(0, "b" + std::to_string(n), "l").engaged());
    REQUIRE(put(0, "y" + std::to_string(n), "r").engaged());
    tick_all(1);
  }
  REQUIRE(nodes[0].store.raft->first_index(region_id{1}).value() > split_index);
  REQUIRE(nodes[0].store.raft->first_index(region_id{2}).value().value() > 1);
  partition(2, false);
  tick_all(12);
  check_store(2, 2);
  // Store 2 never saw the split entry: its parent was replaced by a snapshot of the shrunk
  // parent, and its child came from a snapshot too.
  CHECK(nodes[2].store.raft->first_index(region_id{1}).value() > split_index);
  for (int n = 0; n < 24; ++n) {
    CHECK(stored(2, "b" + std::to_string(n)) == std::string{"l"});
    CHECK(stored(2, "y" + std::to_string(n)) == std::string{"r"});
  }
  CHECK(stored(2, "a") == std::string{"va"});
  CHECK(status(2, region_id{2}).applied == status(0, region_id{2}).applied);
}

TEST_CASE_FIXTURE(split_fixture, "split: right after a leader transfer, the new leader splits") {
  REQUIRE(put(0, "a", "va").engaged());
  tick_all(2);
  pd::directive d;
  d.kind = pd::directive_kind::transfer_leader;
  d.region = r1.id;
  d.epoch = r1.epoch;
  d.peer = r1.peers[1];
  caf::anon_send(peer_of(0, r1.id), directive_atom::value, d);
  sched.run();
  tick_all(1);
  REQUIRE(status(1, r1.id).is_leader());
  // At once, before the new leader's term has seen another write.
  split_at(1, "m");
  settle_split();
  CHECK(status(1, region_id{2}).is_leader());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    check_store(i, 2);
  REQUIRE(put(1, "z", "vz").engaged());
  REQUIRE(put(1, "b", "vb").engaged());
  CHECK(get(1, "a")->value == "va");
  CHECK(get(1, "z")->value == "vz");
}

TEST_CASE_FIXTURE(split_fixture,
                  "split: one region split 64 times under writes and compare-and-swaps covers the "
                  "key space exactly on every store, with every write applied once") {
  constexpr int keys = 256;
  auto key_of = [](int n) {
    auto k = std::to_string(n);
    return "k" + std::string(3 - k.size(), '0') + k;
  };
  // A counter per key, advanced by compare-and-swap from several clients, and the splits
  // interleaved with them at keys spread over the whole range.
  std::vector<int> counter(keys, 0);
  std::uint64_t seq = 0;
  auto bump = [&](int n, std::uint64_t client) {
    auto k = key_of(n);
    cas_request req{{},
                    k,
                    counter[n] == 0,
                    std::to_string(counter[n]),
                    std::to_string(counter[n] + 1),
                    client_id{client},
                    ++seq};
    auto r = routed<cas_response>(0, kv_cas_atom::value, std::move(req), k);
    REQUIRE_MESSAGE(r.engaged(), "cas " << k << ": " << sys.render(r.error()));
    REQUIRE(r->swapped);
    CHECK_FALSE(r->retried);
    ++counter[n];
  };
  for (int n = 0; n < keys; ++n)
    bump(n, 1 + n % 4);
  for (int s = 1; s <= 64; ++s) {
    // Split points in a scattered order: every region is split again at some point.
    int at = (s * 97) % keys;
    if (at == 0) at = 1;
    if (nodes[0].routes->load()->find_by_key(key_of(at))->meta.start_key == key_of(at)) continue;
    split_at(0, key_of(at));
    settle_split();
    for (int n = s % 4; n < keys; n += 16)
      bump(n, 1 + s % 4);
  }
  tick_all(4);
  auto count = nodes[0].routes->load()->size();
  MESSAGE("regions after the splits: " << count);
  CHECK(count == 65);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    check_store(i, count);
  for (int n = 0; n < keys; ++n)
    for (std::size_t i = 0; i < nodes.size(); ++i)
      CHECK(stored(i, key_of(n)) == std::optional{std::to_string(counter[n])});
}

TEST_CASE_FIXTURE(split_fixture,
                  "split: a child's vote request that reaches a store before it split waits there "
                  "for the child") {
  auto req = request(r1, "m", 2);
  raft_envelope env;
  env.region = region_id{2};
  env.from = {req.new_peers[0], nodes[0].id, storage::peer_role::voter};
  env.to = {req.new_peers[1], nodes[1].id, storage::peer_role::voter};
  env.epoch = {1, 2};
  env.msg.type = raft::message_type::vote;
  env.msg.from = env.from.id;
  env.msg.to = env.to.id;
  env.msg.term = raft::term_id{40};
  env.msg.index = raft::log_index{5};
  env.msg.log_term = raft::term_id{5};
  caf::anon_send(nodes[1].transport, raft_msg_atom::value, env);
  sched.run();
  REQUIRE(split(req).engaged());
  settle_split();
  // Store 1's child took the vote as soon as it started: it moved to the candidate's term.
  CHECK(status(1, region_id{2}).term == raft::term_id{40});
}
