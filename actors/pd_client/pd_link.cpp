#include "actors/pd_client/pd_link.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/common/atoms.hpp"

namespace rdb {

namespace {

struct pd_link_state {
  static inline const char* name = "rdb.pd_link";
  // Not an aggregate: CAF constructs a state from the actor's pointer when it can, and C++20
  // would let an aggregate take it as its first member, making the link its own PD.
  pd_link_state() = default;
  caf::actor pd;
};

caf::behavior pd_link_fn(caf::stateful_actor<pd_link_state>* self) {
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        if (!self->state.pd) return pd::make_error(pd::errc::unreachable, "no connection to PD");
        self->delegate(self->state.pd, x.move_content_to_message());
        return caf::delegated<caf::message>{};
      });
  return {
      [self](connect_atom, caf::actor& pd) { self->state.pd = std::move(pd); },
      [self](disconnect_atom) { self->state.pd = nullptr; },
  };
}

}  // namespace

caf::actor spawn_pd_link(caf::actor_system& sys) {
  return sys.spawn(pd_link_fn);
}

}  // namespace rdb
