#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/store/store_node.hpp"
#include "pd/memory_meta_store.hpp"
#include "pd/pd_actor.hpp"
#include "tests/support/live_system.hpp"
#include "tests/support/routing.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

constexpr std::size_t store_count = 3;
constexpr std::size_t region_count = 64;

/// Writes `total` values into one region, one at a time, straight to the peer that the routes of
/// the store it believes leads the region name; follows `not_leader` hints and tries the next
/// store otherwise.
struct client {
  std::vector<std::shared_ptr<route_holder>> routes;
  std::map<store_id, std::size_t> index_of;
  std::string prefix;
  std::uint64_t id = 0;
  std::uint64_t total = 0;
  std::uint64_t acked = 0;
  std::uint64_t failures = 0;
  std::size_t target = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> done;
};

/// A writer waits this long after a failed attempt, as a real client backs off: the failure
/// budget below then spans about 50 s of a region being unavailable, not a burst of retries
/// in a tight loop while a new region elects its leader.
constexpr auto retry_pause = std::chrono::milliseconds{5};

void write_next(caf::event_based_actor* self, std::shared_ptr<client> c) {
  if (c->acked == c->total || c->failures > 10'000) {
    ++*c->done;
    self->quit();
    return;
  }
  auto key = c->prefix + "-" + std::to_string(c->acked);
  put_request req{{}, key, std::string(256, 'v'), client_id{c->id}, 0};
  auto peer = test::peer_for(*c->routes[c->target], req.header, key);
  if (!peer) {
    ++c->failures;
    c->target = (c->target + 1) % c->routes.size();
    self->delayed_send(self, retry_pause, kv_put_atom::value);
    return;
  }
  self->request(*peer, std::chrono::seconds{10}, kv_put_atom::value, std::move(req))
      .then(
          [=](write_response&) {
            ++c->acked;
            write_next(self, c);
          },
          [=](caf::error& e) {
            ++c->failures;
            auto hint = not_leader_hint(e);
            if (hint && c->index_of.count(hint->store) > 0)
              c->target = c->index_of[hint->store];
            else
              c->target = (c->target + 1) % c->routes.size();
            self->delayed_send(self, retry_pause, kv_put_atom::value);
          });
}

struct pd_cluster {
  test::live_config cfg;
  caf::actor_system sys{cfg};
  test::temp_dir dir;
  pd::pd_actor pd;
  std::vector<std::unique_ptr<store_node>> nodes;
  std::vector<std::string> split_keys;

  explicit pd_cluster(std::size_t regions = region_count) {
    auto spawned = pd::spawn_pd(sys, std::make_unique<pd::memory_meta_store>());
    REQUIRE(spawned.has_value());
    pd = *spawned;
    for (std::size_t i = 1; i < regions; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "r%03zu", i);
      split_keys.emplace_back(buf);
    }
  }

  ~pd_cluster() {
    for (auto& n : nodes)
      n->stop();
    caf::anon_send_exit(pd, caf::exit_reason::user_shutdown);
  }

  /// The layout comes from PD; each store learns its replicas from its heartbeat agent.
  void bootstrap() {
    pd::bootstrap_request req;
    req.cluster = cluster_id{7};
    req.split_keys = split_keys;
    req.replicas = 3;
    for (std::size_t i = 0; i < store_count; ++i)
      req.stores.push_back("store" + std::to_string(i));
    auto regions =
        test::call<std::vector<storage::region_meta>>(sys, pd, pd::bootstrap_atom::value, req);
    REQUIRE(regions);
    REQUIRE(regions->size() == split_keys.size() + 1);
    auto stores = test::call<std::vector<pd::store_info>>(sys, pd, pd::get_stores_atom::value);
    REQUIRE(stores);
    REQUIRE(stores->size() == store_count);
    for (const auto& info : *stores) {
      store_node_config c;
      c.dir = dir.sub(info.address);
      c.store.cluster = cluster_id{7};
      c.store.store = info.id;
      c.store.create_if_missing = true;
      c.tick_interval = std::chrono::milliseconds{20};
      c.pd = pd;
      c.heartbeat_interval = std::chrono::milliseconds{200};
      auto n = store_node::open(sys, c);
      REQUIRE(n.has_value());
      nodes.push_back(std::move(*n));
    }
    for (auto& a : nodes)
      for (auto& b : nodes)
        if (a != b) a->connect(*b);
  }

  /// Regions whose leader's own store has it routed with itself as leader.
  std::size_t led_regions() const {
    std::size_t led = 0;
    for (const auto& n : nodes) {
      auto table = n->routes()->load();
      if (!table) continue;
      for (const auto& m : table->metas())
        if (table->find(m.id)->leader.store == n->id()) ++led;
    }
    return led;
  }

  /// PD's `split_region`, waited for.
  caf::expected<std::vector<storage::region_meta>> split(pd::split_region_request req) {
    caf::scoped_actor self{sys};
    caf::expected<std::vector<storage::region_meta>> out{caf::error{}};
    self->request(pd, std::chrono::seconds{30}, pd::split_region_atom::value, std::move(req))
        .receive([&](std::vector<storage::region_meta>& halves) { out = std::move(halves); },
                 [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  /// A put or get through whichever store's routes lead to an answer, retried within a bound.
  template <class Response, class Atom, class Request>
  std::optional<Response> routed(Atom atom, const Request& req) {
    std::optional<Response> out;
    test::wait_until(
        [&] {
          for (auto& n : nodes) {
            auto routed_req = req;
            auto peer = test::peer_for(*n->routes(), routed_req.header, routed_req.key);
            if (!peer) continue;
            out = test::call<Response>(sys, *peer, atom, routed_req);
            if (out) return true;
          }
          return false;
        },
        std::chrono::seconds{20});
    return out;
  }

  std::size_t routed_everywhere() const {
    std::size_t least = ~std::size_t{0};
    for (const auto& n : nodes)
      least = std::min(least, n->routes()->load()->size());
    return least;
  }

  std::uint64_t syncs() {
    std::uint64_t total = 0;
    for (auto& n : nodes)
      total += test::call<writer_stats>(sys, n->writer(), stats_atom::value).value().syncs;
    return total;
  }
};

}  // namespace

TEST_CASE_FIXTURE(pd_cluster, "cluster: three stores by 64 regions elect and group-commit") {
  bootstrap();
  REQUIRE(
      test::wait_until([&] { return led_regions() == region_count; }, std::chrono::seconds{60}));
  for (const auto& n : nodes) {
    CHECK(n->routes()->load()->size() == region_count);
    std::size_t led = 0;
    auto table = n->routes()->load();
    for (const auto& m : table->metas())
      led += table->find(m.id)->leader.store == n->id() ? 1 : 0;
    MESSAGE("store " << n->id() << " leads " << led << " regions");
  }
  // One closed-loop client per region, all at once.
  constexpr std::uint64_t per_client = 20;
  auto syncs_before = syncs();
  auto done = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::vector<std::shared_ptr<client>> clients;
  for (std::size_t r = 0; r < region_count; ++r) {
    auto c = std::make_shared<client>();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      c->routes.push_back(nodes[i]->routes());
      c->index_of[nodes[i]->id()] = i;
    }
    c->prefix = r == 0 ? std::string{"a"} : split_keys[r - 1];
    c->id = r + 1;
    c->total = per_client;
    c->target = r % nodes.size();
    c->done = done;
    clients.push_back(c);
    sys.spawn([c](caf::event_based_actor* self) -> caf::behavior {
      write_next(self, c);
      // A write that found no route is tried again from here, not from inside its own call.
      return {[=](kv_put_atom) { write_next(self, c); }};
    });
  }
  REQUIRE(test::wait_until([&] { return *done == region_count; }, std::chrono::seconds{90}));
  std::uint64_t writes = 0;
  for (const auto& c : clients)
    writes += c->acked;
  auto syncs_during = syncs() - syncs_before;
  MESSAGE("writes " << writes << ", syncs on all stores " << syncs_during << ", writes per sync "
                    << static_cast<double>(writes) / static_cast<double>(syncs_during));
  CHECK(writes == region_count * per_client);
  // Each write costs a sync on the leader and on two followers when nothing is shared: group
  // commit must do far better.
  CHECK(syncs_during * 2 < writes * store_count);
  // PD heard from the leaders.
  auto regions = test::call<std::vector<pd::region_info>>(sys, pd, pd::get_regions_atom::value);
  REQUIRE(regions);
  CHECK(regions->size() == region_count);
}

TEST_CASE("split: PD splits a region by hand, at a key or at its middle, and both halves serve") {
  pd_cluster c{2};  // ["", "r001") and ["r001", "")
  c.bootstrap();
  REQUIRE(test::wait_until([&] { return c.led_regions() == 2; }, std::chrono::seconds{60}));
  auto regions = test::call<std::vector<pd::region_info>>(c.sys, c.pd, pd::get_regions_atom::value);
  REQUIRE(regions);
  auto right = regions->at(1).meta;
  auto put = [&](const std::string& key) {
    return c.routed<write_response>(kv_put_atom::value,
                                    put_request{{}, key, "v" + key, client_id{1}, 0});
  };
  for (const char* k : {"r100", "r200", "r300", "r600", "r700", "r800"})
    REQUIRE(put(k));
  // Refused: a key outside the region, at its start, and a stale epoch.
  for (const char* k : {"a", "r001"}) {
    auto refused = c.split({right.id, k, {}});
    REQUIRE_FALSE(refused);
    CHECK(pd::pd_code(refused.error()) == pd::errc::invalid_argument);
  }
  auto older = right.epoch;
  ++older.version;
  auto stale = c.split({right.id, "r500", older});
  REQUIRE_FALSE(stale);
  CHECK(pd::pd_code(stale.error()) == pd::errc::stale_epoch);
  // At a key.
  auto halves = c.split({right.id, "r500", right.epoch});
  REQUIRE_MESSAGE(halves, c.sys.render(halves.error()));
  REQUIRE(halves->size() == 2);
  CHECK(halves->at(0).id == right.id);
  CHECK(halves->at(0).end_key == "r500");
  CHECK(halves->at(1).start_key == "r500");
  CHECK(halves->at(1).end_key.empty());
  // At the middle of [r500, ""): r600, r700, r800 weigh the same, the walk passes half at r700.
  auto middle = c.split({halves->at(1).id, "", {}});
  REQUIRE_MESSAGE(middle, c.sys.render(middle.error()));
  CHECK(middle->at(0).end_key == "r700");
  REQUIRE(test::wait_until([&] { return c.routed_everywhere() == 4; }, std::chrono::seconds{30}));
  for (const char* k : {"r100", "r200", "r300", "r600", "r700", "r800"}) {
    auto got = c.routed<get_response>(kv_get_atom::value, get_request{{}, k});
    REQUIRE(got);
    CHECK(got->found);
    CHECK(got->value == std::string{"v"} + k);
  }
  for (const char* k : {"r400", "r550", "r650", "r900"})
    CHECK(put(k));
  auto now = test::call<std::vector<pd::region_info>>(c.sys, c.pd, pd::get_regions_atom::value);
  REQUIRE(now);
  CHECK(now->size() == 4);
}

TEST_CASE(
    "split: one region split by PD into 64 under writes covers the key space exactly at "
    "PD and in every store's routes, and every write stays readable") {
  pd_cluster c{1};
  c.bootstrap();
  REQUIRE(test::wait_until([&] { return c.led_regions() == 1; }, std::chrono::seconds{60}));
  // Closed-loop writers over the whole key space while the splits go on.
  auto done = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::vector<std::shared_ptr<client>> clients;
  for (std::size_t w = 0; w < 4; ++w) {
    auto cl = std::make_shared<client>();
    for (std::size_t i = 0; i < c.nodes.size(); ++i) {
      cl->routes.push_back(c.nodes[i]->routes());
      cl->index_of[c.nodes[i]->id()] = i;
    }
    cl->prefix = "k" + std::to_string(w * 25);
    cl->id = w + 1;
    cl->total = 400;
    cl->done = done;
    clients.push_back(cl);
    c.sys.spawn([cl](caf::event_based_actor* self) -> caf::behavior {
      write_next(self, cl);
      return {[=](kv_put_atom) { write_next(self, cl); }};
    });
  }
  // Six rounds, each splitting every region at once between two of 64 split points.
  std::vector<std::string> points;
  for (int p = 1; p < 64; ++p) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "k%02d", p * 100 / 64);
    points.emplace_back(buf);
  }
  std::ranges::sort(points);
  points.erase(std::unique(points.begin(), points.end()), points.end());
  auto pd_regions = [&] {
    return test::call<std::vector<pd::region_info>>(c.sys, c.pd, pd::get_regions_atom::value)
        .value_or(std::vector<pd::region_info>{});
  };
  for (int round = 0; round < 6; ++round) {
    std::vector<std::future<caf::expected<std::vector<storage::region_meta>>>> asked;
    for (const auto& r : pd_regions()) {
      std::vector<std::string> inside;
      for (const auto& p : points)
        if (p > r.meta.start_key && storage::before_end(p, r.meta.end_key)) inside.push_back(p);
      if (inside.empty()) continue;
      auto key = inside[inside.size() / 2];
      asked.push_back(std::async(std::launch::async, [&c, r, key] {
        return c.split({r.meta.id, key, r.meta.epoch});
      }));
    }
    for (auto& a : asked) {
      auto halves = a.get();
      REQUIRE_MESSAGE(halves, c.sys.render(halves.error()));
    }
  }
  auto regions = pd_regions();
  MESSAGE("regions at PD: " << regions.size());
  REQUIRE(regions.size() == points.size() + 1);
  auto check_cover = [](const std::vector<storage::region_meta>& metas) {
    REQUIRE_FALSE(metas.empty());
    CHECK(metas.front().start_key.empty());
    CHECK(metas.back().end_key.empty());
    for (std::size_t k = 1; k < metas.size(); ++k)
      CHECK(metas[k - 1].end_key == metas[k].start_key);
  };
  std::vector<storage::region_meta> at_pd;
  for (const auto& r : regions)
    at_pd.push_back(r.meta);
  check_cover(at_pd);
  // Every store routes the same cover once it applied every split.
  REQUIRE(test::wait_until([&] { return c.routed_everywhere() == at_pd.size(); },
                           std::chrono::seconds{30}));
  for (const auto& n : c.nodes) {
    auto routed = n->routes()->load()->metas();
    check_cover(routed);
    CHECK(routed == at_pd);
  }
  REQUIRE(test::wait_until([&] { return *done == clients.size(); }, std::chrono::seconds{90}));
  for (const auto& cl : clients) {
    CHECK(cl->acked == cl->total);
    for (std::uint64_t i = 0; i < cl->acked; ++i) {
      auto key = cl->prefix + "-" + std::to_string(i);
      auto got = c.routed<get_response>(kv_get_atom::value, get_request{{}, key});
      REQUIRE(got);
      CHECK(got->found);
    }
  }
}
