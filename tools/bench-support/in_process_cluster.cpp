#include "tools/bench-support/in_process_cluster.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <caf/exit_reason.hpp>

#include "actors/store/store_types.hpp"
#include "pd/memory_meta_store.hpp"

namespace rdb::bench {

bench_config::bench_config() {
  add_store_types(*this);
  auto cores = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  set("scheduler.max-threads", cores);
  set("scheduler.max-throughput", std::size_t{300});
  set("scheduler.policy", caf::atom("sharing"));
}

bool wait_until(const std::function<bool()>& pred, std::chrono::seconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return true;
}

in_process_cluster::~in_process_cluster() {
  for (auto& n : nodes)
    n->stop();
  if (pd) caf::anon_send_exit(pd, caf::exit_reason::user_shutdown);
}

std::optional<in_process_cluster> start_cluster(
    caf::actor_system& sys, const std::string& root, std::size_t stores,
    std::vector<std::string> split_keys, const std::function<void(store_node_config&)>& tune) {
  auto pd = pd::spawn_pd(sys, std::make_unique<pd::memory_meta_store>());
  if (!pd) {
    std::fprintf(stderr, "cannot spawn PD\n");
    return std::nullopt;
  }
  in_process_cluster out;
  out.pd = *pd;
  pd::bootstrap_request req;
  req.cluster = cluster_id{7};
  req.replicas = 3;
  req.split_keys = std::move(split_keys);
  for (std::size_t i = 0; i < stores; ++i)
    req.stores.push_back("store" + std::to_string(i));
  auto regions =
      call<std::vector<storage::region_meta>>(sys, out.pd, pd::bootstrap_atom::value, req);
  auto infos = call<std::vector<pd::store_info>>(sys, out.pd, pd::get_stores_atom::value);
  if (!regions || !infos) {
    std::fprintf(stderr, "PD bootstrap failed\n");
    return std::nullopt;
  }
  out.regions = std::move(*regions);
  for (const auto& info : *infos) {
    store_node_config c;
    c.dir = root + "/" + info.address;
    c.store.cluster = req.cluster;
    c.store.store = info.id;
    c.store.create_if_missing = true;
    c.tick_interval = std::chrono::milliseconds{100};
    c.pd = out.pd;
    if (tune) tune(c);
    auto n = store_node::open(sys, c);
    if (!n) {
      std::fprintf(stderr, "cannot open store %s\n", c.dir.c_str());
      return std::nullopt;
    }
    out.nodes.push_back(std::move(*n));
  }
  for (auto& a : out.nodes)
    for (auto& b : out.nodes)
      if (a != b) a->connect(*b);
  return out;
}

}  // namespace rdb::bench
