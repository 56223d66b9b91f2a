#pragma once

#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/router/router_interface.hpp"

namespace rdb {

/// Tuning of the router.
struct router_config {
  /// How long the router waits for a region peer's answer before answering `timeout`. A crashed
  /// peer never answers (CAF 0.17 has no broken promises), so every forward needs a bound. The
  /// bound is kept by a sweep every quarter of it, so an answer may take up to 1.25 times it.
  caf::timespan request_timeout = std::chrono::seconds{5};
  /// Client requests forwarded and not yet answered, beyond which new ones get `server_busy`
  /// (CAF has no backpressure: without a bound a burst only grows mailboxes).
  std::uint64_t max_pending = 100'000;
};

/// Spawns the router of one store (see router_interface.hpp). It publishes every new route
/// table through `holder`, starting with an empty one.
router_actor spawn_router(caf::actor_system& sys, std::shared_ptr<route_holder> holder,
                          router_config cfg = {});

}  // namespace rdb
