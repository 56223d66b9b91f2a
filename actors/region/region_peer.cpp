#include "actors/region/region_peer.hpp"

#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"

namespace rdb {

namespace {

/// How often (in ticks) a leader re-reports to PD when nothing changed.
constexpr int report_every_ticks = 60;

/// How long a leader waits for the snapshot worker before it asks again (a large region takes
/// seconds to copy out).
constexpr auto snapshot_timeout = std::chrono::minutes{5};

struct region_peer_state {
  static inline const char* name = "rdb.region_peer";

  std::unique_ptr<peer> logic;
  region_peer_context ctx;
  /// Answers owed to clients, by the token the peer logic reports them under.
  std::unordered_map<std::uint64_t, caf::response_promise> waiting;
  std::uint64_t next_token = 1;
  bool ticking = false;
  int ticks_since_report = 0;
  /// The replicas still catching up as last reported: a change is reported at the next tick.
  std::vector<storage::region_peer> reported_pending;
  /// A `ready_atom` to itself is on its way.
  bool ready_scheduled = false;
  /// What `ctx.grant` holds as this peer last published it: nothing while revoked.
  std::optional<peer::lease_terms> granted;
  storage::region_epoch granted_epoch;
};

using peer_pointer = region_peer_actor::stateful_pointer<region_peer_state>;

void report_to_pd(peer_pointer self) {
  auto& st = self->state;
  if (!st.logic->is_leader()) st.reported_pending.clear();
  if (!st.ctx.heartbeat || !st.logic->is_leader()) return;
  st.ticks_since_report = 0;
  pd::region_heartbeat hb;
  hb.region = st.logic->meta();
  hb.leader = st.logic->self().id;
  hb.pending_peers = st.logic->pending_peers();
  st.reported_pending = hb.pending_peers;
  hb.down_peers = st.logic->down_peers();
  if (auto view = st.ctx.store.kv->read()) {
    if (auto usage = view->approximate_usage(hb.region.id)) {
      hb.approximate_size = usage->bytes;
      hb.approximate_keys = usage->keys;
    }
  }
  self->send(st.ctx.heartbeat, report_atom::value, std::move(hb),
             caf::actor_cast<region_peer_actor>(self));
}

/// Delivers `answer` through `rp`: an error as a `caf::error` of category "rdb", a response as
/// itself (the type the request's interface declares).
void deliver(caf::response_promise& rp, peer_reply::answer_type& answer) {
  std::visit(
      [&](auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, request_error>)
          rp.deliver(to_error(x));
        else
          rp.deliver(std::move(x));
      },
      answer);
}

/// Answers every waiting client with `err`. An actor that stops must: CAF 0.17 never tells a
/// requester that a promise died with its actor (the KV service would wait out its deadline).
void fail_waiting(peer_pointer self, const request_error& err) {
  auto& st = self->state;
  for (auto& [token, rp] : st.waiting) {
    peer_reply::answer_type answer{err};
    deliver(rp, answer);
  }
  st.waiting.clear();
}

/// Publishes the peer's read lease, or revokes it, before anything of the input leaves: the
/// commit index reaches the grant before the answers to the writes it covers, and a revocation
/// before a leader transfer's first message.
void publish_lease(peer_pointer self) {
  auto& st = self->state;
  if (!st.ctx.grant) return;
  // Most inputs change nothing here (a follower's never do): the grant's lock is not taken.
  auto terms = st.logic->lease();
  auto epoch = st.logic->meta().epoch;
  if (terms == st.granted && (!terms || epoch == st.granted_epoch)) return;
  if (terms)
    st.ctx.grant->publish(terms->until, terms->commit, epoch);
  else
    st.ctx.grant->revoke();
  st.granted = terms;
  st.granted_epoch = epoch;
}

void make_snapshot(peer_pointer self);

/// Carries out what the peer logic asked for after an input.
void drain(peer_pointer self) {
  auto& st = self->state;
  publish_lease(self);
  auto out = st.logic->take_output();
  if (!out.messages.empty())
    self->send(st.ctx.transport, send_raft_atom::value, std::move(out.messages));
  for (auto& env : out.snapshots)
    self->send(st.ctx.transport, send_snapshot_atom::value, std::move(env));
  if (out.generate_snapshot) make_snapshot(self);
  for (auto& task : out.tasks)
    self->send(task.stage == write_stage::log ? st.ctx.writer : st.ctx.applier, persist_atom::value,
               std::move(task));
  if (out.urge_apply) self->send(st.ctx.applier, flush_atom::value);
  if (out.ready_deferred && !st.ready_scheduled) {
    st.ready_scheduled = true;
    self->send(self, ready_atom::value);
  }
  for (auto& r : out.replies) {
    auto i = st.waiting.find(r.token);
    if (i == st.waiting.end()) continue;
    deliver(i->second, r.answer);
    st.waiting.erase(i);
  }
  if (out.leader_changed) {
    auto leader = st.logic->leader();
    log(log_level::info, "region", st.logic->meta().id.value(),
        leader.id.is_none() ? std::string{"no leader known"}
                            : "leader is peer " + std::to_string(leader.id.value()) + " on store " +
                                  std::to_string(leader.store.value()));
  }
  if (!out.splits.empty()) {
    auto me = caf::actor_cast<region_peer_actor>(self);
    std::string children;
    for (const auto& c : out.splits)
      children += " " + std::to_string(c.id.value());
    log(log_level::info, "region", st.logic->meta().id.value(),
        "split off region" + children + " (now version " +
            std::to_string(st.logic->meta().epoch.version) + ")");
    if (st.ctx.splits)
      self->send(st.ctx.splits, split_atom::value, st.logic->meta(), std::move(out.splits),
                 st.logic->is_leader());
    else if (st.ctx.router)
      self->send(st.ctx.router, route_update_atom::value, st.logic->meta(), me);
    report_to_pd(self);
  }
  if (out.leader_changed || out.meta_changed) {
    if (st.ctx.router) {
      auto me = caf::actor_cast<region_peer_actor>(self);
      if (out.meta_changed)
        self->send(st.ctx.router, route_update_atom::value, st.logic->meta(), me);
      self->send(st.ctx.router, leader_atom::value, st.logic->meta().id, st.logic->leader());
    }
    report_to_pd(self);
  }
  if (out.destroyed) {
    auto region = st.logic->meta().id;
    log(log_level::info, "region", region.value(),
        "peer " + std::to_string(st.logic->self().id.value()) +
            " left the region: its data and log on this store are gone");
    auto err = make_request_error(errc::region_not_found, region, "this replica left the region");
    err.maybe_applied = true;
    fail_waiting(self, err);
    if (st.ctx.router) self->send(st.ctx.router, route_remove_atom::value, region);
    // A normal exit tells the supervisor not to restart it.
    self->quit();
    return;
  }
  if (out.fatal) {
    auto err = make_request_error(errc::storage_corrupt, st.logic->meta().id, *out.fatal);
    err.maybe_applied = true;
    fail_waiting(self, err);
    self->quit(to_error(err));
    return;
  }
  if (st.ctx.ticker) {
    auto want = st.logic->wants_ticks();
    if (want != st.ticking) {
      st.ticking = want;
      if (want)
        self->send(st.ctx.ticker, wake_atom::value, st.logic->meta().id,
                   caf::actor_cast<region_peer_actor>(self));
      else
        self->send(st.ctx.ticker, hibernate_atom::value, st.logic->meta().id);
    }
  }
}

/// The peer logic, told the time before it handles an input (it keeps the read lease by it).
peer& step_in(peer_pointer self) {
  auto& logic = *self->state.logic;
  logic.set_now(self->clock().now());
  return logic;
}

/// Asks the snapshot worker for a snapshot of the region and hands the answer to the logic.
void make_snapshot(peer_pointer self) {
  auto& st = self->state;
  if (!st.ctx.snapshotter) {
    st.logic->on_snapshot_generated(std::nullopt);
    return;
  }
  self->request(st.ctx.snapshotter, snapshot_timeout, snapshot_atom::value, st.logic->meta().id)
      .then(
          [=](raft::snapshot& snap) {
            step_in(self).on_snapshot_generated(std::move(snap));
            drain(self);
          },
          [=](caf::error&) {
            step_in(self).on_snapshot_generated(std::nullopt);
            drain(self);
          });
}

/// Registers the promise of the request being handled under a fresh token; the peer logic
/// answers by that token.
std::uint64_t await_answer(peer_pointer self) {
  auto token = self->state.next_token++;
  self->state.waiting.emplace(token, self->make_response_promise());
  return token;
}

region_peer_actor::behavior_type region_peer_fn(peer_pointer self, region_peer_context ctx) {
  // Opening reads the region's state and replays its client sessions from the log: done here,
  // on the peer's own turn, so a store booting many regions opens them in parallel and its
  // supervisor never waits for one.
  auto region = ctx.config.region;
  auto logic = peer::open(ctx.config, ctx.store);
  if (!logic) {
    log(log_level::error, "region", region.value(), "cannot open: " + logic.error().message);
    self->quit(to_error(make_request_error(errc::storage_corrupt, region,
                                           "cannot open: " + logic.error().message)));
    // No behavior to run: the actor is quitting.
    return {region_peer_actor::behavior_type::unsafe_init{}, caf::behavior{}};
  }
  self->state.logic = std::move(*logic);
  self->state.ctx = std::move(ctx);
  auto& st = self->state;
  // An uninitialized replica has no range to route; its snapshot's install routes it.
  if (st.ctx.router && st.ctx.route_on_open && st.logic->initialized())
    self->send(st.ctx.router, route_update_atom::value, st.logic->meta(),
               caf::actor_cast<region_peer_actor>(self));
  drain(self);
  // Whatever ends the actor, its lease stops serving reads at once (a successor publishes anew).
  if (st.ctx.grant) self->attach_functor([grant = st.ctx.grant] { grant->revoke(); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // Writes it held may have been proposed.
    auto err = make_request_error(errc::region_not_found, self->state.logic->meta().id,
                                  "the region peer stopped");
    err.maybe_applied = true;
    fail_waiting(self, err);
    self->quit(msg.reason);
  });
  return {
      [=](kv_get_atom, const get_request& req) {
        step_in(self).get(await_answer(self), req);
        drain(self);
        return caf::delegated<get_response>{};
      },
      [=](kv_put_atom, const put_request& req) {
        step_in(self).put(await_answer(self), req);
        drain(self);
        return caf::delegated<write_response>{};
      },
      [=](kv_delete_atom, const delete_request& req) {
        step_in(self).del(await_answer(self), req);
        drain(self);
        return caf::delegated<write_response>{};
      },
      [=](kv_cas_atom, const cas_request& req) {
        step_in(self).cas(await_answer(self), req);
        drain(self);
        return caf::delegated<cas_response>{};
      },
      [=](kv_scan_atom, const scan_request& req) {
        step_in(self).scan(await_answer(self), req);
        drain(self);
        return caf::delegated<scan_response>{};
      },
      [=](raft_msg_atom, const raft_envelope& env) {
        step_in(self).step(env);
        drain(self);
      },
      [=](persisted_atom, const persisted& ack) {
        step_in(self).on_persisted(ack);
        drain(self);
      },
      [=](ready_atom) {
        self->state.ready_scheduled = false;
        step_in(self).take_deferred_ready();
        drain(self);
      },
      [=](unreachable_atom, peer_id id) {
        step_in(self).report_unreachable(id);
        drain(self);
      },
      [=](snapshot_status_atom, peer_id to, bool ok) {
        step_in(self).on_snapshot_sent(to, ok);
        drain(self);
      },
      [=](raft_tick_atom) {
        auto& s = self->state;
        step_in(self).tick();
        // Only a region that reported replicas catching up looks for a change at each tick.
        if (++s.ticks_since_report >= report_every_ticks ||
            (!s.reported_pending.empty() && s.logic->pending_peers() != s.reported_pending))
          report_to_pd(self);
        drain(self);
      },
      [=](campaign_atom) {
        step_in(self).campaign();
        drain(self);
      },
      [=](change_peer_atom, const change_peer_request& req) {
        step_in(self).change_peer(await_answer(self), req);
        drain(self);
        return caf::delegated<write_response>{};
      },
      [=](report_atom) { report_to_pd(self); },
      [=](directive_atom, const pd::directive& d) {
        auto& logic = step_in(self);
        // Directives are rare and change the cluster: each one leaves a line.
        bool done = logic.on_directive(d);
        log(log_level::info, "region", d.region.value(),
            std::string{done ? "carries out" : "declines"} + " PD's " + pd::to_string(d.kind) +
                " for peer " + std::to_string(d.peer.id.value()) + " on store " +
                std::to_string(d.peer.store.value()));
        drain(self);
      },
      [=](removed_atom, const storage::region_meta& current) {
        if (step_in(self).on_removed_elsewhere(current))
          log(log_level::info, "region", current.id.value(),
              "peer " + std::to_string(self->state.logic->self().id.value()) +
                  " was removed while its store was away (PD has conf_ver " +
                  std::to_string(current.epoch.conf_ver) + "); destroying it");
        drain(self);
      },
      [=](split_atom, const split_request& req) {
        step_in(self).split(await_answer(self), req);
        drain(self);
        return caf::delegated<write_response>{};
      },
      [=](status_atom) { return step_in(self).status(); },
  };
}

}  // namespace

region_peer_actor spawn_region_peer(caf::actor_system& sys, region_peer_context ctx) {
  return sys.spawn(region_peer_fn, std::move(ctx));
}

}  // namespace rdb
