#pragma once

#include <atomic>
#include <thread>

#include <caf/fwd.hpp>

#include "pd/pd_interface.hpp"

namespace rdb::node {

struct node_config;

/// The layout of a new cluster from the node's options: `initial-regions` regions split evenly
/// over the first key byte (split keys 0x10, 0x20, ... for 16 regions), `replicas` each, over
/// the first `initial-stores` stores to register.
struct bootstrap_plan_t {
  pd::bootstrap_request request;
  std::size_t stores = 0;
};

bootstrap_plan_t bootstrap_plan(const node_config& cfg);

/// Bootstraps a new cluster once enough stores registered with PD (PD never bootstraps
/// itself: its interface takes the layout from outside). Runs on a thread of its own until the
/// cluster is bootstrapped, asking PD every half second; does nothing for a cluster that
/// already is, so a restarted PD only checks once.
class bootstrapper {
 public:
  bootstrapper(caf::actor_system& sys, pd::pd_actor pd, bootstrap_plan_t plan);
  ~bootstrapper();

  bootstrapper(const bootstrapper&) = delete;
  bootstrapper& operator=(const bootstrapper&) = delete;

 private:
  void run();
  /// One try; true when the cluster is bootstrapped.
  bool round();

  caf::actor_system& sys_;
  pd::pd_actor pd_;
  bootstrap_plan_t plan_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rdb::node
