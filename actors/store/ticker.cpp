#include "actors/store/ticker.hpp"

#include <unordered_map>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/log.hpp"

namespace rdb {

namespace {

struct ticker_state {
  static inline const char* name = "rdb.ticker";

  caf::timespan interval{};
  std::unordered_map<region_id, region_peer_actor> active;
  /// True while a timer message is on its way; never two at once, because a `delayed_send`
  /// cannot be cancelled.
  bool armed = false;
  ticker_stats stats;
};

using ticker_pointer = ticker_actor::stateful_pointer<ticker_state>;

void arm(ticker_pointer self) {
  auto& st = self->state;
  if (st.armed || st.active.empty()) return;
  st.armed = true;
  self->delayed_send(self, st.interval, tick_round_atom::value);
}

ticker_actor::behavior_type ticker_fn(ticker_pointer self, caf::timespan interval) {
  self->state.interval = interval;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& active = self->state.active;
    for (auto i = active.begin(); i != active.end(); ++i) {
      if (i->second.address() == dm.source) {
        active.erase(i);
        break;
      }
    }
    self->state.stats.active = active.size();
  });
  return {
      [=](wake_atom, region_id region, const region_peer_actor& peer) {
        auto& st = self->state;
        auto [it, inserted] = st.active.insert_or_assign(region, peer);
        if (inserted) self->monitor(peer);
        st.stats.active = st.active.size();
        arm(self);
      },
      [=](hibernate_atom, region_id region) {
        auto& st = self->state;
        if (st.active.erase(region) > 0 && st.active.empty())
          log(log_level::debug, "ticker", region.value(), "every region of the store hibernates");
        st.stats.active = st.active.size();
      },
      [=](tick_round_atom) {
        auto& st = self->state;
        st.armed = false;
        ++st.stats.rounds;
        for (auto& [region, peer] : st.active)
          self->send(peer, raft_tick_atom::value);
        st.stats.ticks_sent += st.active.size();
        arm(self);
      },
      [=](stats_atom) { return self->state.stats; },
  };
}

}  // namespace

ticker_actor spawn_ticker(caf::actor_system& sys, caf::timespan interval) {
  return sys.spawn(ticker_fn, interval);
}

}  // namespace rdb
