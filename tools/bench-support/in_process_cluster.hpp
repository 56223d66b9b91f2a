#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/store/store_node.hpp"
#include "pd/pd_actor.hpp"

/// What the in-process benchmarks share: an actor system set up as the node binary sets it up,
/// and PD with its stores started in it.
namespace rdb::bench {

/// CAF's threaded scheduler with one worker per core, the sharing policy (measured here: 15-21k
/// writes/s where work stealing gave 10-15k; a fan-out to many region actors does not make it
/// walk a ready queue either) and a bounded throughput per actor.
struct bench_config : caf::actor_system_config {
  bench_config();
};

/// A blocking request with a 10 s bound: the answer, or nothing.
template <class Response, class Handle, class... Ts>
std::optional<Response> call(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::scoped_actor self{sys};
  std::optional<Response> out;
  self->request(dest, std::chrono::seconds{10}, std::forward<Ts>(xs)...)
      .receive([&](Response& r) { out = std::move(r); }, [](caf::error&) {});
  return out;
}

/// Polls `pred` every 20 ms until it holds (true) or `bound` passed (false).
bool wait_until(const std::function<bool()>& pred, std::chrono::seconds bound);

/// The element at fraction `p` of `sorted` (0 if empty).
template <class T>
T percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return T{};
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

/// PD (in memory) and its stores, all in one actor system, the stores connected all to all.
struct in_process_cluster {
  pd::pd_actor pd;
  /// PD's first layout, in key order.
  std::vector<storage::region_meta> regions;
  std::vector<std::unique_ptr<store_node>> nodes;

  in_process_cluster() = default;
  in_process_cluster(in_process_cluster&&) = default;
  in_process_cluster& operator=(in_process_cluster&&) = default;
  /// Stops the stores, then PD.
  ~in_process_cluster();
};

/// Bootstraps PD with `stores` stores of 3 replicas split at `split_keys`, and opens each store
/// under `root` with a 100 ms tick, `tune` applied to its configuration. Prints why and answers
/// nothing if any of it fails.
std::optional<in_process_cluster> start_cluster(
    caf::actor_system& sys, const std::string& root, std::size_t stores,
    std::vector<std::string> split_keys, const std::function<void(store_node_config&)>& tune = {});

}  // namespace rdb::bench
