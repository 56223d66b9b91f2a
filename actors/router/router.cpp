#include "actors/router/router.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/log.hpp"
#include "actors/router/route_table.hpp"

namespace rdb {

namespace {

struct router_state {
  static inline const char* name = "rdb.router";

  std::shared_ptr<route_holder> holder;
  /// The table last published; the router is its only writer.
  std::shared_ptr<const route_table> table = std::make_shared<const route_table>();
};

using router_pointer = router_actor::stateful_pointer<router_state>;

void publish(router_pointer self, std::optional<route_table> next) {
  if (!next) return;
  auto& st = self->state;
  st.table = std::make_shared<const route_table>(std::move(*next));
  st.holder->publish(st.table);
}

router_actor::behavior_type router_fn(router_pointer self, std::shared_ptr<route_holder> holder) {
  self->state.holder = std::move(holder);
  self->state.holder->publish(self->state.table);
  return {
      [=](route_update_atom, const storage::region_meta& meta, const region_peer_actor& peer) {
        request_error refusal;
        auto next = self->state.table->with_update(meta, peer, &refusal);
        if (!next && !refusal.detail.empty())
          log(log_level::warning, "router", meta.id.value(), "route refused: " + refusal.detail);
        publish(self, std::move(next));
      },
      [=](route_split_atom, const storage::region_meta& parent, const region_peer_actor& pp,
          const storage::region_meta& child, const region_peer_actor& cp) {
        request_error refusal;
        auto shrunk = self->state.table->with_update(parent, pp, &refusal);
        const auto& base = shrunk ? *shrunk : *self->state.table;
        auto both = base.with_update(child, cp, &refusal);
        if (!both) {
          log(log_level::warning, "router", child.id.value(),
              "split route refused: " + refusal.detail);
          publish(self, std::move(shrunk));
          return;
        }
        publish(self, std::move(both));
      },
      [=](route_remove_atom, region_id region) {
        publish(self, self->state.table->without(region));
      },
      [=](leader_atom, region_id region, const storage::region_peer& leader) {
        publish(self, self->state.table->with_leader(region, leader));
      },
      [=](routes_atom) { return self->state.table->metas(); },
  };
}

}  // namespace

router_actor spawn_router(caf::actor_system& sys, std::shared_ptr<route_holder> holder) {
  return sys.spawn(router_fn, std::move(holder));
}

}  // namespace rdb
