#include "actors/pd_client/heartbeat_agent.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/log.hpp"
#include "actors/router/route_table.hpp"

namespace rdb {

namespace {

/// A region report waiting for the next round, and the peer to send PD's directive to.
struct pending_report {
  pd::region_heartbeat hb;
  region_peer_actor peer;
};

/// What PD last accepted for a region: a report differing in leader, epoch or the replicas still
/// catching up is news. Or what it last refused as stale: reports of that epoch are not sent
/// again.
struct sent_report {
  peer_id leader;
  storage::region_epoch epoch;
  bool stale = false;
  std::vector<storage::region_peer> pending_peers;
};

struct agent_state {
  static inline const char* name = "rdb.heartbeat_agent";

  agent_config cfg;
  std::unordered_map<region_id, pending_report> pending;
  std::unordered_map<region_id, sent_report> sent;
  /// Regions whose leaders were asked to report because PD has a directive waiting for them:
  /// their reports go to PD at once, not with the next round.
  std::unordered_set<region_id> directive_waiting;
  /// Regions whose creation the supervisor is working on: not asked twice.
  std::unordered_set<region_id> creating;
  /// True until PD answered a region list: a store that joined before the cluster was
  /// bootstrapped asks every round, not only every `sync_every` rounds.
  bool unsynced = true;
  /// True while a `resync` is on its way: one retry at a time.
  bool resync_armed = false;
  agent_stats stats;
};

using agent_pointer = store_agent_actor::stateful_pointer<agent_state>;

void note_failure(agent_pointer self, const char* what, const caf::error& e) {
  ++self->state.stats.pd_failures;
  // Before bootstrap every region list fails; that is expected, not worth a warning.
  auto level = pd::pd_code(e) == pd::errc::not_bootstrapped ? log_level::debug : log_level::warning;
  log(level, "agent", 0, std::string{what} + " failed: " + self->system().render(e));
}

void send_region_heartbeat(agent_pointer self, pending_report report) {
  auto& st = self->state;
  ++st.stats.region_heartbeats;
  auto region = report.hb.region.id;
  auto hb = report.hb;
  self->request(st.cfg.pd, st.cfg.request_timeout, pd::region_heartbeat_atom::value, hb)
      .then(
          [=](const pd::region_heartbeat_response& resp) {
            auto& s = self->state;
            s.sent[region] = sent_report{hb.leader, hb.region.epoch, false, hb.pending_peers};
            if (resp.next.kind == pd::directive_kind::none) return;
            ++s.stats.directives;
            // A split needs a read of the region's data (its middle): not the peer's work.
            if (resp.next.kind == pd::directive_kind::split && s.cfg.splitter)
              self->send(s.cfg.splitter, directive_atom::value, resp.next);
            else
              self->send(report.peer, directive_atom::value, resp.next);
          },
          [=](const caf::error& e) {
            // PD knows a newer epoch (a report of the region's own sent after this one, a
            // split's): this one has nothing left to say.
            if (pd::pd_code(e) == pd::errc::stale_epoch) {
              self->state.sent[region] = sent_report{hb.leader, hb.region.epoch, true, {}};
              return;
            }
            // Retried next round unless the region reported something newer meanwhile.
            self->state.pending.try_emplace(region, report);
            note_failure(self, "region heartbeat", e);
          });
}

pd::store_stats store_figures(agent_pointer self) {
  auto& st = self->state;
  pd::store_stats s;
  s.store = st.cfg.store;
  std::error_code ec;
  auto space = std::filesystem::space(st.cfg.dir, ec);
  if (!ec) {
    s.capacity = space.capacity;
    s.available = space.available;
  }
  if (auto table = st.cfg.routes->load()) {
    for (const auto& meta : table->metas()) {
      ++s.region_count;
      const auto* r = table->find(meta.id);
      if (r != nullptr && r->leader.store == st.cfg.store && !r->leader.id.is_none())
        ++s.leader_count;
    }
  }
  return s;
}

/// The peer id `meta` lists on `store` (none if it lists none).
peer_id peer_on(const storage::region_meta& meta, store_id store) {
  for (const auto& p : meta.peers)
    if (p.store == store) return p.id;
  return peer_id{};
}

/// Tells the supervisor if PD's meta `current` of a region this store runs as `local` is of a
/// newer membership without this store's replica: it was removed while the store was away.
void check_removed(agent_pointer self, const storage::region_meta& local,
                   const storage::region_meta& current) {
  auto& st = self->state;
  auto mine = peer_on(local, st.cfg.store);
  if (current.epoch.conf_ver <= local.epoch.conf_ver || mine.is_none()) return;
  for (const auto& p : current.peers)
    if (p.id == mine) return;
  ++st.stats.removals_found;
  self->send(st.cfg.supervisor, removed_atom::value, current);
}

/// For every region this store runs: whether PD knows it under a membership that removed this
/// store's replica. PD's region list for the store names those it still places here; the others
/// are looked up one by one (PD may simply not have heard of a new replica yet).
void find_removed(agent_pointer self, const std::vector<pd::region_info>& listed) {
  auto& st = self->state;
  auto table = st.cfg.routes->load();
  if (!table) return;
  std::unordered_map<region_id, const storage::region_meta*> by_id;
  for (const auto& info : listed)
    by_id.emplace(info.meta.id, &info.meta);
  for (const auto& local : table->metas()) {
    if (auto i = by_id.find(local.id); i != by_id.end()) {
      check_removed(self, local, *i->second);
      continue;
    }
    self->request(st.cfg.pd, st.cfg.request_timeout, pd::get_region_by_id_atom::value, local.id)
        .then([=](const pd::region_info& info) { check_removed(self, local, info.meta); },
              // A region PD does not know (yet) says nothing about removals.
              [](const caf::error&) {});
  }
}

/// Asks PD which regions this store carries and has the supervisor create the missing ones.
void sync_regions(agent_pointer self) {
  auto& st = self->state;
  self->request(st.cfg.pd, st.cfg.request_timeout, pd::get_store_regions_atom::value, st.cfg.store)
      .then(
          [=](const std::vector<pd::region_info>& regions) {
            auto& s = self->state;
            s.unsynced = false;
            find_removed(self, regions);
            auto table = s.cfg.routes->load();
            for (const auto& info : regions) {
              auto id = info.meta.id;
              if ((table && table->find(id) != nullptr) || s.creating.count(id) > 0) continue;
              // A replica added later is created by its leader's first message instead.
              if (!(info.meta.epoch == storage::bootstrap_epoch)) continue;
              s.creating.insert(id);
              self->request(s.cfg.supervisor, s.cfg.request_timeout, create_region_atom::value,
                            info.meta)
                  .then(
                      [=](bool created) {
                        self->state.creating.erase(id);
                        if (created) ++self->state.stats.regions_created;
                      },
                      [=](const caf::error& e) {
                        self->state.creating.erase(id);
                        note_failure(self, "creating a region", e);
                      });
            }
          },
          [=](const caf::error& e) {
            note_failure(self, "region list", e);
            auto& s = self->state;
            if (s.unsynced && s.cfg.interval.count() > 0 && !s.resync_armed) {
              s.resync_armed = true;
              self->delayed_send(self, s.cfg.unsynced_retry, resync_atom::value);
            }
          });
}

/// Asks the leaders on this store to report: PD's directives ride the answers to reports, and
/// a quiet region (hibernating, or without news) would otherwise not report for a long time.
void ask_leaders_to_report(agent_pointer self) {
  auto& st = self->state;
  auto table = st.cfg.routes->load();
  if (!table) return;
  for (const auto& m : table->metas()) {
    const auto* r = table->find(m.id);
    if (r->leader.store == st.cfg.store) self->send(r->peer, report_atom::value);
  }
}

/// Asks the leaders of `regions` on this store to report now: PD has directives waiting for
/// them.
void ask_to_report(agent_pointer self, const std::vector<region_id>& regions) {
  if (regions.empty()) return;
  auto table = self->state.cfg.routes->load();
  if (!table) return;
  for (auto id : regions) {
    const auto* r = table->find(id);
    if (r && r->leader.store == self->state.cfg.store) {
      self->state.directive_waiting.insert(id);
      self->send(r->peer, report_atom::value);
    }
  }
}

void round(agent_pointer self) {
  auto& st = self->state;
  if (st.unsynced || st.stats.rounds % st.cfg.sync_every == 0) {
    // Until PD answered once it has no directives for anyone.
    if (!st.unsynced) ask_leaders_to_report(self);
    sync_regions(self);
  }
  ++st.stats.rounds;
  ++st.stats.store_heartbeats;
  self->request(st.cfg.pd, st.cfg.request_timeout, pd::store_heartbeat_atom::value,
                store_figures(self))
      .then(
          [=](const pd::store_heartbeat_response& r) { ask_to_report(self, r.directives_waiting); },
          [=](const caf::error& e) { note_failure(self, "store heartbeat", e); });
  auto pending = std::move(st.pending);
  st.pending.clear();
  for (auto& [region, report] : pending)
    send_region_heartbeat(self, std::move(report));
}

store_agent_actor::behavior_type agent_fn(agent_pointer self, agent_config cfg) {
  self->state.cfg = std::move(cfg);
  if (self->state.cfg.sync_every == 0) self->state.cfg.sync_every = 1;
  if (self->state.cfg.interval.count() > 0) self->send(self, agent_round_atom::value);
  return {
      [=](report_atom, pd::region_heartbeat& hb, const region_peer_actor& peer) {
        auto& st = self->state;
        auto region = hb.region.id;
        auto last = st.sent.find(region);
        if (last != st.sent.end() && last->second.stale && last->second.epoch == hb.region.epoch)
          return;
        bool news = last == st.sent.end() || last->second.leader != hb.leader ||
                    last->second.epoch != hb.region.epoch ||
                    last->second.pending_peers != hb.pending_peers;
        pending_report report{std::move(hb), peer};
        // A new leader or epoch must reach PD before its schedulers act on the old one, and a
        // replica that caught up is what a move waits for to promote it; a report PD is
        // waiting for, to hand over a directive, is not held back either.
        if (st.directive_waiting.erase(region) > 0 || news) {
          ++st.stats.immediate_reports;
          st.pending.erase(region);
          send_region_heartbeat(self, std::move(report));
        } else {
          st.pending.insert_or_assign(region, std::move(report));
        }
      },
      [=](agent_round_atom) {
        round(self);
        auto& st = self->state;
        if (st.cfg.interval.count() > 0)
          self->delayed_send(self, st.cfg.interval, agent_round_atom::value);
      },
      [=](stats_atom) { return self->state.stats; },
      [=](resync_atom) {
        self->state.resync_armed = false;
        if (self->state.unsynced) sync_regions(self);
      },
  };
}

}  // namespace

store_agent_actor spawn_heartbeat_agent(caf::actor_system& sys, agent_config cfg) {
  return sys.spawn(agent_fn, std::move(cfg));
}

}  // namespace rdb
