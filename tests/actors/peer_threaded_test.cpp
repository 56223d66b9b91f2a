#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/region/region_peer.hpp"
#include "actors/store/store_writer.hpp"
#include "actors/store/ticker.hpp"
#include "tests/support/direct_transport.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;
using namespace std::chrono_literals;

namespace {

/// One region on three stores under CAF's threaded scheduler: detached writers really fsync on
/// their own threads, tickers really fire. Waits are bounded by deadlines, never sleeps.
class threaded_region {
 public:
  threaded_region(caf::actor_system& sys, const test::temp_dir& dir,
                  const storage::region_meta& meta)
      : sys_(sys), self_(sys), meta_(meta) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto& n = nodes_[i];
      auto store = store_id{1 + i};
      n.store = test::open_test_engines(dir.sub("store" + std::to_string(i)), store);
      n.writer = spawn_log_writer(sys, n.store.raft, true);
      n.applier = spawn_apply_writer(sys, n.store.kv, true);
      for (const auto& w : {n.writer, n.applier}) {
        bool founded = false;
        self_->request(w, 10s, bootstrap_atom::value, meta)
            .receive([&](bool) { founded = true; }, [&](caf::error& e) { FAIL(sys.render(e)); });
        REQUIRE(founded);
      }
      n.transport = test::spawn_direct_transport(sys, store, net_);
      n.ticker = spawn_ticker(sys, 5ms);
      region_peer_context ctx;
      ctx.config.store = store;
      ctx.config.region = meta.id;
      ctx.config.seed = 7;
      ctx.store = n.store;
      ctx.writer = n.writer;
      ctx.applier = n.applier;
      ctx.transport = n.transport;
      ctx.ticker = n.ticker;
      n.peer = spawn_region_peer(sys, ctx);
      net_->add(store, meta.id, n.peer);
    }
  }

  ~threaded_region() {
    // Peers first (they hold the writers), then the rest; no handle may outlive this, or the
    // actor system would wait for the detached writers forever.
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      net_->remove_store(store_id{1 + i});
    for (auto& n : nodes_)
      self_->send_exit(n.peer, caf::exit_reason::user_shutdown);
    for (auto& n : nodes_) {
      self_->send_exit(n.ticker, caf::exit_reason::user_shutdown);
      self_->send_exit(n.transport, caf::exit_reason::user_shutdown);
      self_->send_exit(n.writer, caf::exit_reason::user_shutdown);
      self_->send_exit(n.applier, caf::exit_reason::user_shutdown);
    }
    for (auto& n : nodes_)
      n = node{};
  }

  /// Puts through whichever replica leads, retrying on not_leader until `deadline`.
  bool put(const std::string& key, const std::string& value,
           std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto& n : nodes_) {
        bool ok = false;
        self_
            ->request(
                n.peer, 5s, kv_put_atom::value,
                put_request{request_header{meta_.id, meta_.epoch}, key, value, client_id{1}, 0})
            .receive([&](const write_response&) { ok = true; }, [&](caf::error&) {});
        if (ok) return true;
      }
    }
    return false;
  }

  /// Sends `count` puts to the leader at once (the peer batches their proposals into few
  /// readys, the writers batch readys into few syncs) and waits for every answer. Answers how
  /// many succeeded.
  int burst(int count, std::chrono::steady_clock::time_point deadline) {
    region_peer_actor leader;
    while (!leader && std::chrono::steady_clock::now() < deadline) {
      for (auto& n : nodes_)
        self_->request(n.peer, 5s, status_atom::value)
            .receive(
                [&](const region_status& st) {
                  if (st.is_leader()) leader = n.peer;
                },
                [&](caf::error&) {});
    }
    if (!leader) return 0;
    for (int k = 0; k < count; ++k)
      self_->send(leader, kv_put_atom::value,
                  put_request{request_header{meta_.id, meta_.epoch}, "b" + std::to_string(k), "v",
                              client_id{2}, 0});
    int ok = 0;
    bool timed_out = false;
    for (int k = 0; k < count && !timed_out; ++k)
      self_->receive([&](const write_response&) { ++ok; }, [&](caf::error&) {},
                     caf::after(10s) >> [&] { timed_out = true; });
    return ok;
  }

  /// The writers' counters, summed over the three stores.
  writer_stats writer_totals() {
    writer_stats total;
    for (auto& n : nodes_)
      self_->request(n.writer, 5s, stats_atom::value)
          .receive(
              [&](const writer_stats& st) {
                total.tasks += st.tasks;
                total.batches += st.batches;
                total.syncs += st.syncs;
                total.entries += st.entries;
              },
              [&](caf::error& e) { FAIL(sys_.render(e)); });
    return total;
  }

  /// Reads through whichever replica leads, retrying until `deadline`.
  std::optional<get_response> get(const std::string& key,
                                  std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto& n : nodes_) {
        std::optional<get_response> out;
        self_
            ->request(n.peer, 5s, kv_get_atom::value,
                      get_request{request_header{meta_.id, meta_.epoch}, key})
            .receive([&](const get_response& r) { out = r; }, [&](caf::error&) {});
        if (out) return out;
      }
    }
    return std::nullopt;
  }

 private:
  struct node {
    storage::engines store;
    store_writer_actor writer;
    store_writer_actor applier;
    transport_actor transport;
    ticker_actor ticker;
    region_peer_actor peer;
  };

  caf::actor_system& sys_;
  caf::scoped_actor self_;
  storage::region_meta meta_;
  std::shared_ptr<test::direct_network> net_ = std::make_shared<test::direct_network>();
  std::array<node, 3> nodes_;
};

struct threaded_config : test::store_test_config {
  threaded_config() { set("scheduler.max-threads", 2); }
};

}  // namespace

TEST_CASE("region: on real threads, ticks elect a leader and writes survive a restart") {
  test::temp_dir dir;
  storage::region_meta meta;
  meta.id = region_id{1};
  meta.epoch = {1, 1};
  for (std::uint64_t i = 0; i < 3; ++i)
    meta.peers.push_back({peer_id{11 + i}, store_id{1 + i}, storage::peer_role::voter});
  constexpr int writes = 30;
  {
    threaded_config cfg;
    caf::actor_system sys{cfg};
    threaded_region region{sys, dir, meta};
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (int k = 0; k < writes; ++k)
      REQUIRE(region.put("k" + std::to_string(k), "v" + std::to_string(k), deadline));
    auto before = region.writer_totals();
    constexpr int burst = 500;
    auto start = std::chrono::steady_clock::now();
    CHECK(region.burst(burst, deadline) == burst);
    auto elapsed = std::chrono::steady_clock::now() - start;
    auto after = region.writer_totals();
    auto tasks = after.tasks - before.tasks;
    auto batches = after.batches - before.batches;
    MESSAGE("burst of " << burst << " writes: " << tasks << " write tasks in " << batches
                        << " batches on 3 writers, "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                        << " ms");
    CHECK(batches < static_cast<std::uint64_t>(burst));
  }
  threaded_config cfg;
  caf::actor_system sys{cfg};
  // The stores are founded already: the bootstrap answers false and changes nothing.
  threaded_region region{sys, dir, meta};
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int k = 0; k < writes; ++k) {
    auto g = region.get("k" + std::to_string(k), deadline);
    REQUIRE(g.has_value());
    CHECK(g->found);
    CHECK(g->value == "v" + std::to_string(k));
  }
}
