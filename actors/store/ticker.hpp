#pragma once

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/store/ticker_interface.hpp"

namespace rdb {

/// Spawns the ticker of one store (see ticker_interface.hpp): every `interval` it sends one
/// `raft_tick_atom` to each region peer that asked for ticks. Its timer runs only while some region
/// is active, so an idle store has no timer at all.
ticker_actor spawn_ticker(caf::actor_system& sys, caf::timespan interval);

}  // namespace rdb
