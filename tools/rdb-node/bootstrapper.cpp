#include "tools/rdb-node/bootstrapper.hpp"

#include <chrono>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/common/log.hpp"
#include "tools/rdb-node/node_config.hpp"

namespace rdb::node {

bootstrap_plan_t bootstrap_plan(const node_config& cfg) {
  bootstrap_plan_t plan;
  plan.stores = cfg.initial_stores;
  plan.request.cluster = cluster_id{cfg.cluster_id};
  plan.request.replicas = static_cast<std::uint32_t>(cfg.replicas);
  for (std::size_t i = 1; i < cfg.initial_regions; ++i)
    plan.request.split_keys.push_back(
        std::string(1, static_cast<char>(i * 256 / cfg.initial_regions)));
  return plan;
}

bootstrapper::bootstrapper(caf::actor_system& sys, pd::pd_actor pd, bootstrap_plan_t plan)
    : sys_(sys), pd_(std::move(pd)), plan_(std::move(plan)) {
  thread_ = std::thread([this] { run(); });
}

bootstrapper::~bootstrapper() {
  stopping_ = true;
  thread_.join();
}

void bootstrapper::run() {
  while (!stopping_ && !round())
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
}

bool bootstrapper::round() {
  caf::scoped_actor self{sys_};
  const auto timeout = std::chrono::seconds{5};
  bool done = false;
  self->request(pd_, timeout, pd::is_bootstrapped_atom::value)
      .receive([&](const pd::bootstrap_status& s) { done = s.bootstrapped; }, [&](caf::error&) {});
  if (done) return true;
  std::vector<pd::store_info> stores;
  self->request(pd_, timeout, pd::get_stores_atom::value)
      .receive([&](std::vector<pd::store_info>& xs) { stores = std::move(xs); },
               [&](caf::error&) {});
  auto req = plan_.request;
  for (const auto& s : stores)
    if (s.state == pd::store_state::up && req.stores.size() < plan_.stores)
      req.stores.push_back(s.address);
  if (req.stores.size() < plan_.stores) return false;
  self->request(pd_, timeout, pd::bootstrap_atom::value, req)
      .receive(
          [&](const std::vector<storage::region_meta>& regions) {
            done = true;
            log_info("pd", "bootstrapped " + std::to_string(regions.size()) + " regions over " +
                               std::to_string(req.stores.size()) + " stores");
          },
          [&](caf::error& e) { log_warning("pd", "bootstrap failed: " + sys_.render(e)); });
  return done;
}

}  // namespace rdb::node
