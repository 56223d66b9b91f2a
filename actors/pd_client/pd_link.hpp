#pragma once

#include <caf/fwd.hpp>

#include "pd/pd_interface.hpp"

namespace rdb {

/// A node's local stand-in for PD, which runs in another process. The store's actors hold
/// this handle (cast to `pd::pd_actor`) for their whole life while the connection behind it
/// comes and goes: CAF 0.17 drops messages to a dead remote handle silently, so a handle that
/// outlived its connection would turn every PD request into a timeout even after PD is back.
///
/// - `(connect_atom, caf::actor)` — from the node's connector: forward to this PD from now on.
/// - `(disconnect_atom)` — from the node's connector: the connection is gone.
/// - anything else — a PD request: forwarded to the current PD with its sender and request id
///   (CAF's delegation), so PD answers the asker directly. Without a connection the asker gets
///   `pd::errc::unreachable` at once.
caf::actor spawn_pd_link(caf::actor_system& sys);

}  // namespace rdb
