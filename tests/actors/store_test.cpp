#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/store/store_node.hpp"
#include "tests/support/live_system.hpp"
#include "tests/support/routing.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

/// One store on the threaded scheduler with its detached writer and real ticker, carrying three
/// single-replica regions (so each elects itself without other stores).
struct live_store {
  test::live_config cfg;
  caf::actor_system sys{cfg};
  test::temp_dir dir;
  std::unique_ptr<store_node> node;

  std::vector<storage::region_meta> metas() const {
    std::vector<storage::region_meta> out;
    std::vector<std::pair<std::string, std::string>> ranges{{"", "g"}, {"g", "p"}, {"p", ""}};
    for (std::uint64_t i = 0; i < ranges.size(); ++i) {
      storage::region_meta m;
      m.id = region_id{10 + i};
      m.start_key = ranges[i].first;
      m.end_key = ranges[i].second;
      m.epoch = {1, 1};
      m.peers.push_back({peer_id{100 + i}, store_id{1}, storage::peer_role::voter});
      out.push_back(m);
    }
    return out;
  }

  void open() {
    store_node_config c;
    c.dir = dir.sub("store1");
    c.store.cluster = cluster_id{7};
    c.store.store = store_id{1};
    c.store.create_if_missing = true;
    c.tick_interval = std::chrono::milliseconds{10};
    auto n = store_node::open(sys, c);
    REQUIRE(n.has_value());
    node = std::move(*n);
  }

  /// Every region has a leader this store knows of.
  bool all_led() const {
    auto table = node->routes()->load();
    if (!table || table->size() != 3) return false;
    for (const auto& m : table->metas())
      if (table->find(m.id)->leader.id.is_none()) return false;
    return true;
  }

  std::optional<write_response> put(const std::string& key, const std::string& value) {
    put_request req{{}, key, value, client_id{1}, 0};
    auto peer = test::peer_for(*node->routes(), req.header, key);
    if (!peer) return std::nullopt;
    return test::call<write_response>(sys, *peer, kv_put_atom::value, std::move(req));
  }

  std::optional<get_response> get(const std::string& key) {
    get_request req{{}, key};
    auto peer = test::peer_for(*node->routes(), req.header, key);
    if (!peer) return std::nullopt;
    return test::call<get_response>(sys, *peer, kv_get_atom::value, std::move(req));
  }
};

}  // namespace

TEST_CASE_FIXTURE(live_store, "store: a whole restart keeps every acknowledged write and meta") {
  open();
  for (const auto& m : metas())
    REQUIRE(node->create_region(m).value());
  REQUIRE(test::wait_until([&] { return all_led(); }));
  std::vector<std::string> keys;
  for (int k = 0; k < 60; ++k) {
    auto key = std::string(1, static_cast<char>('a' + k % 26)) + std::to_string(k);
    REQUIRE(put(key, "v" + key));
    keys.push_back(key);
  }
  node->stop();
  node.reset();
  open();
  CHECK(node->start() == 3);
  REQUIRE(test::wait_until([&] { return all_led(); }));
  CHECK(node->routes()->load()->metas() == metas());
  for (const auto& key : keys) {
    auto g = get(key);
    REQUIRE(g);
    CHECK(g->found);
    CHECK(g->value == "v" + key);
  }
  node->stop();
}
