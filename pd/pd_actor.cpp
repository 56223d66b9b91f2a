#include "pd/pd_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/result.hpp>

#include <utility>

#include "pd/lmdb_meta_store.hpp"

namespace rdb::pd {

namespace {

caf::error to_error(const failure& f) {
  if (f.code == errc::stale_epoch && f.current)
    return make_stale_epoch_error(f.message, *f.current);
  return make_error(f.code, f.message);
}

template <class T>
caf::result<T> respond(result<T> r) {
  if (r) return std::move(*r);
  return to_error(r.error());
}

using pd_pointer = pd_actor::stateful_pointer<pd_state>;

/// Answers the split requests whose child PD now knows, and fails those past their deadline.
void settle_splits(pd_pointer self) {
  auto& st = self->state;
  const auto& cluster = st.core->cluster;
  std::erase_if(st.splits, [&](pending_split& p) {
    if (auto halves = cluster.split_outcome(p.ordered)) {
      p.answer.deliver(std::move(*halves));
      return true;
    }
    if (cluster.now() < p.deadline) return false;
    p.answer.deliver(make_error(errc::timeout, "region " +
                                                   std::to_string(p.ordered.region.value()) +
                                                   " did not report its split in time"));
    return true;
  });
}

}  // namespace

pd_actor::behavior_type pd_actor_impl(pd_pointer self, std::shared_ptr<pd_core> core,
                                      caf::timespan tick_interval, std::uint64_t split_wait_ticks) {
  self->state.core = std::move(core);
  self->state.tick_interval = tick_interval;
  self->state.split_wait_ticks = split_wait_ticks;
  if (tick_interval.count() > 0) self->delayed_send(self, tick_interval, pd_tick_atom::value);
  auto cluster = [self]() -> cluster_state& { return self->state.core->cluster; };
  return {
      [=](bootstrap_atom, const bootstrap_request& req) {
        return respond(cluster().bootstrap(req));
      },
      [=](is_bootstrapped_atom) { return cluster().status(); },
      [=](alloc_id_atom, std::uint32_t count) { return respond(cluster().alloc_ids(count)); },
      [=](put_store_atom, const store_info& info) { return respond(cluster().put_store(info)); },
      [=](store_heartbeat_atom, const store_stats& stats) {
        return respond(cluster().on_store_heartbeat(stats));
      },
      [=](remove_store_atom, store_id id) { return respond(cluster().remove_store(id)); },
      [=](region_heartbeat_atom, const region_heartbeat& hb) {
        auto r = cluster().on_region_heartbeat(hb);
        if (!self->state.splits.empty()) settle_splits(self);
        return respond(std::move(r));
      },
      [=](split_region_atom,
          const split_region_request& req) -> caf::result<std::vector<storage::region_meta>> {
        auto ordered = cluster().order_split(req.region, req.key, req.epoch);
        if (!ordered) return to_error(ordered.error());
        auto answer = self->make_response_promise();
        self->state.splits.push_back(
            pending_split{std::move(*ordered),
                          tick_no{cluster().now().value() + self->state.split_wait_ticks}, answer});
        return caf::delegated<std::vector<storage::region_meta>>{};
      },
      [=](ask_split_atom, const storage::region_meta& region) {
        return respond(cluster().ask_split(region));
      },
      [=](get_region_atom, const std::string& key) {
        return respond(cluster().region_by_key(key));
      },
      [=](get_region_by_id_atom, region_id id) { return respond(cluster().region_by_id(id)); },
      [=](get_regions_atom) { return respond(cluster().regions()); },
      [=](get_store_regions_atom, store_id id) { return respond(cluster().store_regions(id)); },
      [=](get_store_atom, store_id id) { return respond(cluster().store(id)); },
      [=](get_stores_atom) { return cluster().stores(); },
      [=](push_directive_atom, const directive& d) -> caf::result<void> {
        if (auto ok = cluster().push_directive(d); !ok) return to_error(ok.error());
        return caf::unit;
      },
      [=](split_refused_atom, const directive& d, const std::string& why) {
        cluster().drop_directive(d);
        std::erase_if(self->state.splits, [&](pending_split& p) {
          if (p.ordered != d) return false;
          p.answer.deliver(make_error(
              errc::invalid_argument,
              "region " + std::to_string(d.region.value()) + " cannot be split: " + why));
          return true;
        });
      },
      [=](operator_atom, const operator_request& req) {
        return respond(cluster().create_operator(req));
      },
      [=](cancel_operator_atom, region_id id) { return respond(cluster().cancel_operator(id)); },
      [=](operators_atom) { return cluster().operators(); },
      [=](scheduler_atom, const std::string& name, bool on) {
        return respond(cluster().set_scheduler(name, on));
      },
      [=](schedulers_atom) { return cluster().schedulers(); },
      [=](decommission_atom, store_id id) { return respond(cluster().decommission(id)); },
      [=](pd_tick_atom) {
        cluster().tick();
        if (!self->state.splits.empty()) settle_splits(self);
        // Only the timer's own ticks re-arm it: ticks sent from outside must not start a second
        // timer chain.
        auto interval = self->state.tick_interval;
        if (interval.count() > 0 && self->current_sender() == self->ctrl())
          self->delayed_send(self, interval, pd_tick_atom::value);
      },
  };
}

result<pd_actor> spawn_pd(caf::actor_system& sys, std::unique_ptr<meta_store> store,
                          pd_config cfg) {
  auto cs = cluster_state::open(*store, cfg.cluster);
  if (!cs) return std::unexpected(cs.error());
  auto core = std::make_shared<pd_core>(pd_core{std::move(store), std::move(*cs)});
  if (cfg.detached)
    return sys.spawn<caf::detached>(pd_actor_impl, std::move(core), cfg.tick_interval,
                                    cfg.split_wait_ticks);
  return sys.spawn(pd_actor_impl, std::move(core), cfg.tick_interval, cfg.split_wait_ticks);
}

result<pd_actor> spawn_pd(caf::actor_system& sys, const std::string& dir, pd_config cfg) {
  auto store = lmdb_meta_store::open(dir);
  if (!store) return std::unexpected(store.error());
  return spawn_pd(sys, std::move(*store), cfg);
}

}  // namespace rdb::pd
