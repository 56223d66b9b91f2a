// rdb-bench-split: how long a split takes under steady write load, and what splits cost the
// writes. PD and 3 stores run in one process (real LMDB, real threads, the in-process
// transport); PD bootstraps one region over the whole key space. Closed-loop clients put
// 256-byte values at random keys of a fixed key space, routed by the store routes as the KV
// service routes them. First a baseline phase without splits; then the splits, one after
// another at a steady pace, each at a key of its own in scrambled order: the split checker's path
// (ids from PD, then the split request to the region's leader), timed from the request to the first
// write the child acknowledges.
//
// Usage: rdb-bench-split [splits, default 60] [baseline seconds, default 5] [clients, default
// 16] [ms from one split to the next, default 100]. Prints split latency percentiles (to the
// leader's answer and to the child's first write) and writes/s and latency percentiles of both
// phases.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/store/store_node.hpp"
#include "actors/store/store_types.hpp"
#include "pd/pd_actor.hpp"
#include "tools/bench-support/in_process_cluster.hpp"

using namespace rdb;
using namespace rdb::bench;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t store_count = 3;
constexpr std::size_t value_size = 256;
constexpr std::uint32_t key_space = 100'000;

std::string key_of(std::uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%06u", n);
  return buf;
}

/// One closed-loop client: one write in flight at a time, at random keys.
struct client {
  std::vector<std::shared_ptr<route_holder>> routes;
  std::map<store_id, std::size_t> index_of;
  std::uint64_t id = 0;
  std::mt19937 rng;
  std::size_t target = 0;
  std::uint64_t errors = 0;
  /// Latencies of the phase under way, in microseconds (phase 0: baseline, 1: splits).
  std::vector<std::uint32_t> latencies_us[2];
  std::shared_ptr<std::atomic<int>> phase;
  std::shared_ptr<std::atomic<bool>> stopping;
  std::shared_ptr<std::atomic<std::size_t>> stopped;
};

void write_next(caf::event_based_actor* self, std::shared_ptr<client> c) {
  if (*c->stopping) {
    ++*c->stopped;
    self->quit();
    return;
  }
  auto key = key_of(c->rng() % key_space);
  auto start = clock_type::now();
  put_request req{{}, key, std::string(value_size, 'v'), client_id{c->id}, 0};
  auto table = c->routes[c->target]->load();
  auto route = table->route(req.header, key);
  if (!route) {
    ++c->errors;
    c->target = (c->target + 1) % c->routes.size();
    self->send(self, kv_put_atom::value);
    return;
  }
  self->request((*route)->peer, caf::infinite, kv_put_atom::value, std::move(req))
      .then(
          [=](write_response&) {
            int p = *c->phase;
            if (p >= 0) {
              auto us =
                  std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
              c->latencies_us[p].push_back(static_cast<std::uint32_t>(us.count()));
            }
            write_next(self, c);
          },
          [=](caf::error& e) {
            ++c->errors;
            auto hint = not_leader_hint(e);
            if (hint && c->index_of.count(hint->store) > 0)
              c->target = c->index_of[hint->store];
            else
              c->target = (c->target + 1) % c->routes.size();
            // Refused at once (a split moved the key): routed again after the next message, so
            // the routes can catch up.
            self->send(self, kv_put_atom::value);
          });
}

/// The route of the region holding `key` on the store that leads it, or none.
std::optional<region_route> leader_route(const std::vector<std::unique_ptr<store_node>>& nodes,
                                         const std::string& key) {
  for (const auto& n : nodes) {
    auto table = n->routes()->load();
    const auto* r = table ? table->find_by_key(key) : nullptr;
    if (r != nullptr && r->leader.store == n->id()) return *r;
  }
  return std::nullopt;
}

int run(std::size_t splits, int baseline_seconds, std::size_t client_count,
        std::chrono::milliseconds pace, const std::string& root) {
  bench_config cfg;
  caf::actor_system sys{cfg};
  // Splits come from this benchmark only.
  auto cluster = start_cluster(sys, root, store_count, {}, [](store_node_config& c) {
    c.split_check_interval = caf::timespan{0};
  });
  if (!cluster) return 1;
  auto& nodes = cluster->nodes;
  auto pd = &cluster->pd;
  if (!wait_until([&] { return leader_route(nodes, "").has_value(); }, std::chrono::seconds{60})) {
    std::fprintf(stderr, "the region elected no leader\n");
    return 1;
  }

  auto phase = std::make_shared<std::atomic<int>>(-1);
  auto stopping = std::make_shared<std::atomic<bool>>(false);
  auto stopped = std::make_shared<std::atomic<std::size_t>>(0);
  std::vector<std::shared_ptr<client>> clients;
  for (std::size_t k = 0; k < client_count; ++k) {
    auto c = std::make_shared<client>();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      c->routes.push_back(nodes[i]->routes());
      c->index_of[nodes[i]->id()] = i;
    }
    c->id = k + 1;
    c->rng.seed(static_cast<std::uint32_t>(k + 1));
    c->phase = phase;
    c->stopping = stopping;
    c->stopped = stopped;
    clients.push_back(c);
    sys.spawn([c](caf::event_based_actor* self) -> caf::behavior {
      write_next(self, c);
      return {[=](kv_put_atom) { write_next(self, c); }};
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds{1});

  // Baseline.
  *phase = 0;
  auto b0 = clock_type::now();
  std::this_thread::sleep_for(std::chrono::seconds{baseline_seconds});
  auto baseline_elapsed = std::chrono::duration<double>(clock_type::now() - b0).count();

  // Splits at evenly spaced keys, in scrambled order so every region splits again.
  std::vector<std::uint32_t> points;
  for (std::size_t s = 1; s <= splits; ++s)
    points.push_back(static_cast<std::uint32_t>(s * key_space / (splits + 1)));
  std::mt19937 order{42};
  std::shuffle(points.begin(), points.end(), order);
  std::vector<double> answered_ms;
  std::vector<double> serving_ms;
  std::uint64_t failed = 0;
  *phase = 1;
  auto s0 = clock_type::now();
  caf::scoped_actor self{sys};
  for (auto point : points) {
    auto key = key_of(point);
    auto route = leader_route(nodes, key);
    if (!route) {
      ++failed;
      continue;
    }
    auto ids = call<pd::split_ids>(sys, *pd, pd::ask_split_atom::value, route->meta);
    if (!ids) {
      ++failed;
      continue;
    }
    auto t0 = clock_type::now();
    auto done = call<write_response>(
        sys, route->peer, split_atom::value,
        split_request{{route->meta.id, route->meta.epoch}, key, ids->new_region, ids->new_peers});
    if (!done) {
      ++failed;
      continue;
    }
    answered_ms.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    // The child serves writes once a put at its first key is acknowledged.
    bool served = false;
    while (!served && clock_type::now() - t0 < std::chrono::seconds{10}) {
      auto child = leader_route(nodes, key);
      if (child && child->meta.id == ids->new_region) {
        put_request probe{
            {child->meta.id, child->meta.epoch}, key, "split", client_id{1'000'000}, 0};
        self->request(child->peer, std::chrono::seconds{5}, kv_put_atom::value, probe)
            .receive([&](write_response&) { served = true; }, [](caf::error&) {});
      }
      if (!served) std::this_thread::sleep_for(std::chrono::microseconds{200});
    }
    if (!served) {
      ++failed;
      continue;
    }
    serving_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    std::this_thread::sleep_until(t0 + pace);
  }
  auto split_elapsed = std::chrono::duration<double>(clock_type::now() - s0).count();
  *phase = -1;
  *stopping = true;
  wait_until([&] { return *stopped == clients.size(); }, std::chrono::seconds{15});

  std::sort(answered_ms.begin(), answered_ms.end());
  std::sort(serving_ms.begin(), serving_ms.end());
  std::printf("splits %zu done, %llu failed, over %.1f s; regions now %zu\n", serving_ms.size(),
              static_cast<unsigned long long>(failed), split_elapsed,
              nodes[0]->routes()->load()->size());
  std::printf("split answered by the leader, ms: p50 %.1f  p99 %.1f  max %.1f\n",
              percentile(answered_ms, 0.5), percentile(answered_ms, 0.99),
              answered_ms.empty() ? 0.0 : answered_ms.back());
  std::printf("split to the child's first write, ms: p50 %.1f  p99 %.1f  max %.1f\n",
              percentile(serving_ms, 0.5), percentile(serving_ms, 0.99),
              serving_ms.empty() ? 0.0 : serving_ms.back());
  std::uint64_t errors = 0;
  for (int p = 0; p < 2; ++p) {
    std::vector<std::uint32_t> all;
    for (auto& c : clients)
      all.insert(all.end(), c->latencies_us[p].begin(), c->latencies_us[p].end());
    std::sort(all.begin(), all.end());
    auto elapsed = p == 0 ? baseline_elapsed : split_elapsed;
    std::printf("%s: %zu clients, writes/s %.0f, latency us p50 %u  p99 %u  max %u\n",
                p == 0 ? "without splits" : "during splits ", clients.size(),
                static_cast<double>(all.size()) / elapsed, percentile(all, 0.5),
                percentile(all, 0.99), all.empty() ? 0 : all.back());
  }
  for (auto& c : clients)
    errors += c->errors;
  std::printf("client retries (not leader, key moved, no route): %llu\n",
              static_cast<unsigned long long>(errors));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t splits = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 60;
  int baseline = argc > 2 ? std::atoi(argv[2]) : 5;
  std::size_t clients = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 16;
  std::string pattern = "/tmp/rdb-bench-split-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::chrono::milliseconds pace{argc > 4 ? std::atoi(argv[4]) : 100};
  auto rc = run(splits, baseline, clients, pace, pattern);
  std::filesystem::remove_all(pattern);
  return rc;
}
