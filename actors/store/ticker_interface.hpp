#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "storage/ids.hpp"

/// The ticker: one per store, the only clock of its region peers.
///
/// Measured with CAF 0.17.6 here: 10,000 actors each re-arming a 100 ms `delayed_send` cost
/// ~76% of a core and 100,000 could not keep up, while one actor messaging 100,000 actors once
/// a second cost ~10%. So one ticker re-arms one timer per interval and, each time it fires,
/// sends one `raft_tick_atom` to every active region peer. A region with nothing to do hibernates
/// (asks for no more ticks) and wakes itself on its next message that needs time.
namespace rdb {

struct ticker_stats {
  /// Regions receiving ticks now.
  std::uint64_t active = 0;
  /// Timer rounds so far, and tick messages sent over all rounds.
  std::uint64_t rounds = 0;
  std::uint64_t ticks_sent = 0;

  bool operator==(const ticker_stats&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ticker_stats& x) {
  return f(caf::meta::type_name("ticker_stats"), x.active, x.rounds, x.ticks_sent);
}

/// Messages of the ticker.
///
/// - `(wake_atom, region_id, region_peer_actor)` — from a region peer: send me a tick every
///   interval from now on. Idempotent; a newer handle for the same region replaces the old one
///   (a restarted peer).
/// - `(hibernate_atom, region_id)` — from a region peer: stop ticking me. Idempotent.
/// - `(tick_round_atom)` — the ticker's own timer; sent by nobody else.
/// - `(stats_atom)` -> ticker_stats.
///
/// A region peer that terminates stops getting ticks once the ticker notices (it monitors
/// every peer it ticks), so a crashed peer costs nothing after its down message.
using ticker_actor =
    caf::typed_actor<caf::reacts_to<wake_atom, region_id, region_peer_actor>,
                     caf::reacts_to<hibernate_atom, region_id>, caf::reacts_to<tick_round_atom>,
                     caf::replies_to<stats_atom>::with<ticker_stats>>;

}  // namespace rdb
