#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/router/router_interface.hpp"

namespace rdb {

/// Spawns the router of one store (see router_interface.hpp). It publishes every new route
/// table through `holder`, starting with an empty one.
router_actor spawn_router(caf::actor_system& sys, std::shared_ptr<route_holder> holder);

}  // namespace rdb
