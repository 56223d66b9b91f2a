// Region lifecycle across whole stores on real threads: a replica added to a region is created
// on its store by the leader's first message, caught up by a snapshot streamed on the snapshot
// channel, routed once installed, and started from disk like any other afterwards.
#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/store/store_node.hpp"
#include "tests/support/live_system.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

/// Two stores of one actor system, connected both ways; region 1 has one voter, on store 1.
struct two_live_stores {
  test::live_config cfg;
  caf::actor_system sys{cfg};
  test::temp_dir dir;
  std::array<std::unique_ptr<store_node>, 2> nodes;
  storage::region_meta meta;
  /// Region 2, after region 1's range, with one voter on store 2.
  storage::region_meta other;

  two_live_stores() {
    meta.id = region_id{1};
    meta.end_key = "x";
    meta.epoch = storage::bootstrap_epoch;
    meta.peers.push_back({peer_id{101}, store_id{1}, storage::peer_role::voter});
    other.id = region_id{2};
    other.start_key = "x";
    other.epoch = storage::bootstrap_epoch;
    other.peers.push_back({peer_id{202}, store_id{2}, storage::peer_role::voter});
    for (std::size_t i = 0; i < nodes.size(); ++i)
      open(i);
  }

  ~two_live_stores() {
    for (auto& n : nodes)
      if (n) n->stop();
  }

  void open(std::size_t i) {
    store_node_config c;
    c.dir = dir.sub("store" + std::to_string(i + 1));
    c.store.cluster = cluster_id{7};
    c.store.store = store_id{i + 1};
    c.store.create_if_missing = true;
    c.tick_interval = std::chrono::milliseconds{10};
    auto n = store_node::open(sys, c);
    REQUIRE(n.has_value());
    nodes[i] = std::move(*n);
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      if (j == i || !nodes[j]) continue;
      nodes[i]->connect(*nodes[j]);
      nodes[j]->connect(*nodes[i]);
    }
  }

  /// The route of `region` (default: region 1) on store `i`, once it has one.
  std::optional<region_route> route(std::size_t i, region_id region = region_id{1}) const {
    auto table = nodes[i]->routes()->load();
    const auto* r = table ? table->find(region) : nullptr;
    if (r == nullptr) return std::nullopt;
    return *r;
  }

  /// Writes `key` = `value` through the leader of `m`, which runs on store `i`.
  void put(std::size_t i, const storage::region_meta& m, std::string key, std::string value) {
    REQUIRE(test::wait_until([&] {
      auto r = route(i, m.id);
      return r && !r->leader.id.is_none();
    }));
    put_request req{{m.id, m.epoch}, std::move(key), std::move(value), client_id{1}, 0};
    REQUIRE(
        test::call<write_response>(sys, route(i, m.id)->peer, kv_put_atom::value, std::move(req)));
  }

  std::optional<std::string> stored(std::size_t i, const std::string& key) const {
    auto view = nodes[i]->store().kv->read();
    REQUIRE(view.has_value());
    return view->get(key).value();
  }
};

}  // namespace

TEST_CASE_FIXTURE(two_live_stores,
                  "lifecycle: a replica added to a region is created by its leader's message and "
                  "caught up by snapshot") {
  REQUIRE(nodes[0]->create_region(meta).value());
  REQUIRE(nodes[1]->create_region(other).value());
  put(1, other, "y", "of region 2");
  for (int k = 0; k < 40; ++k)
    put(0, meta, "k" + std::to_string(k), std::string(512, 'a' + k % 26));
  auto leader = route(0)->peer;
  storage::region_peer learner{peer_id{102}, store_id{2}, storage::peer_role::learner};
  auto added =
      test::call<write_response>(sys, leader, change_peer_atom::value,
                                 change_peer_request{request_header{meta.id, meta.epoch},
                                                     peer_change_kind::add_learner, learner});
  REQUIRE(added);
  // Nobody told store 2 about the region: the leader's messages create the replica there.
  REQUIRE(test::wait_until([&] {
    auto r = route(1);
    return r && r->meta.epoch.conf_ver == 2 && stored(1, "k39").has_value();
  }));
  CHECK(route(1)->meta.peers.size() == 2);
  for (int k = 0; k < 40; ++k)
    CHECK(stored(1, "k" + std::to_string(k)) == std::string(512, 'a' + k % 26));
  // The install cleared the snapshot's range only: region 2's data on store 2 is intact.
  CHECK(stored(1, "y") == std::string{"of region 2"});
  // It was caught up by a snapshot, not by replaying the log from its start.
  auto first = nodes[1]->store().raft->first_index(meta.id);
  REQUIRE(first.has_value());
  CHECK(first->value() > 6);
  // Once installed, it is a replica like any other: the store starts it from disk.
  nodes[1]->stop();
  nodes[1].reset();
  open(1);
  CHECK(nodes[1]->start() == 2);
  REQUIRE(test::wait_until([&] { return route(1).has_value(); }));
  CHECK(route(1)->meta.epoch.conf_ver == 2);
}
