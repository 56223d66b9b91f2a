#include "actors/router/router.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/router/route_table.hpp"

namespace rdb {

namespace {

/// A forward waiting for its region peer's answer.
struct forward {
  region_id region;
  caf::actor_clock::time_point deadline;
  /// Answers the client with an error (the typed promise lives in the answer handler too).
  std::function<void(caf::error)> fail;
};

struct router_state {
  static inline const char* name = "rdb.router";

  std::shared_ptr<route_holder> holder;
  router_config cfg;
  /// The table last published; the router is its only writer.
  std::shared_ptr<const route_table> table = std::make_shared<const route_table>();
  /// Forwards by token, and their tokens in deadline order (every forward gets the same
  /// timeout, so that is the order they were made in).
  std::unordered_map<std::uint64_t, forward> pending;
  std::deque<std::uint64_t> by_deadline;
  std::uint64_t next_token = 1;
  /// True while a `tick` is on its way: one timer at a time for all forwards.
  bool sweep_armed = false;
};

using router_pointer = router_actor::stateful_pointer<router_state>;

void publish(router_pointer self, std::optional<route_table> next) {
  if (!next) return;
  auto& st = self->state;
  st.table = std::make_shared<const route_table>(std::move(*next));
  st.holder->publish(st.table);
}

/// Maps failures of the forward itself to client errors; a region peer's own errors pass as is.
caf::error forward_error(const caf::error& e, region_id region) {
  if (e == caf::sec::request_receiver_down)
    return to_error(make_request_error(errc::region_not_found, region, "the region peer is down"));
  return e;
}

/// Sends the next `tick` unless one is on its way.
void arm_sweep(router_pointer self) {
  auto& st = self->state;
  if (st.sweep_armed || st.pending.empty()) return;
  st.sweep_armed = true;
  self->delayed_send(self, std::max(st.cfg.request_timeout / 4, caf::timespan{1'000'000}),
                     sweep_atom::value);
}

/// Answers `timeout` to every forward past its deadline. Answers that come later are dropped.
void sweep(router_pointer self) {
  auto& st = self->state;
  st.sweep_armed = false;
  auto now = self->clock().now();
  while (!st.by_deadline.empty()) {
    auto i = st.pending.find(st.by_deadline.front());
    if (i != st.pending.end()) {
      if (i->second.deadline > now) break;
      i->second.fail(to_error(
          make_request_error(errc::timeout, i->second.region, "the region peer did not answer")));
      st.pending.erase(i);
    }
    st.by_deadline.pop_front();
  }
  arm_sweep(self);
}

/// The routing step shared by all client requests: find the region (by id, or by `key` when the
/// header names none), check the epoch, then forward to the region's peer, answering `timeout`
/// if it does not answer within `request_timeout` (to a sweep's precision).
template <class Response, class Atom, class Request>
caf::result<Response> route(router_pointer self, Atom atom, Request req, const std::string& key) {
  auto& st = self->state;
  auto& hdr = req.header;
  const region_route* r = nullptr;
  if (hdr.region.is_none()) {
    r = st.table->find_by_key(key);
    if (r == nullptr)
      return to_error(
          make_request_error(errc::region_not_found, region_id{}, "no local region holds the key"));
    hdr.region = r->meta.id;
    hdr.epoch = r->meta.epoch;
  } else {
    r = st.table->find(hdr.region);
    if (r == nullptr)
      return to_error(make_request_error(errc::region_not_found, hdr.region,
                                         "no replica of the region on this store"));
    if (hdr.epoch.version != r->meta.epoch.version) {
      // The client's cache is stale: hand it every local region its key now falls into.
      auto e = make_epoch_not_match(r->meta, "region version changed");
      if (const auto* holder = st.table->find_by_key(key); holder && holder->meta.id != r->meta.id)
        e.regions.push_back(holder->meta);
      return to_error(e);
    }
  }
  if (st.pending.size() >= st.cfg.max_pending)
    return to_error(
        make_request_error(errc::server_busy, hdr.region, "too many requests in flight"));
  auto region = hdr.region;
  auto rp = self->template make_response_promise<Response>();
  auto token = st.next_token++;
  st.pending.emplace(token, forward{region, self->clock().now() + st.cfg.request_timeout,
                                    [rp](caf::error e) mutable { rp.deliver(std::move(e)); }});
  st.by_deadline.push_back(token);
  arm_sweep(self);
  // No CAF timeout on the request: each one would cost the clock thread a wake-up per forward
  // and per answer. The sweep bounds the client's wait instead. A region peer that stops
  // answers what it holds, so only a peer killed outright leaves its answer handlers here.
  self->request(r->peer, caf::infinite, atom, std::move(req))
      .then(
          [=](Response& resp) mutable {
            if (self->state.pending.erase(token) > 0) rp.deliver(std::move(resp));
          },
          [=](caf::error& e) mutable {
            if (self->state.pending.erase(token) > 0) rp.deliver(forward_error(e, region));
          });
  return rp;
}

router_actor::behavior_type router_fn(router_pointer self, std::shared_ptr<route_holder> holder,
                                      router_config cfg) {
  self->state.holder = std::move(holder);
  self->state.cfg = cfg;
  self->state.holder->publish(self->state.table);
  return {
      [=](kv_get_atom atom, get_request& req) {
        auto key = req.key;
        return route<get_response>(self, atom, std::move(req), key);
      },
      [=](kv_put_atom atom, put_request& req) {
        auto key = req.key;
        return route<write_response>(self, atom, std::move(req), key);
      },
      [=](kv_delete_atom atom, delete_request& req) {
        auto key = req.key;
        return route<write_response>(self, atom, std::move(req), key);
      },
      [=](kv_cas_atom atom, cas_request& req) {
        auto key = req.key;
        return route<cas_response>(self, atom, std::move(req), key);
      },
      [=](kv_scan_atom atom, scan_request& req) {
        auto key = req.start_key;
        return route<scan_response>(self, atom, std::move(req), key);
      },
      [=](route_update_atom, const storage::region_meta& meta, const region_peer_actor& peer) {
        request_error refusal;
        auto next = self->state.table->with_update(meta, peer, &refusal);
        if (!next && !refusal.detail.empty())
          log(log_level::warning, "router", meta.id.value(), "route refused: " + refusal.detail);
        publish(self, std::move(next));
      },
      [=](route_remove_atom, region_id region) {
        publish(self, self->state.table->without(region));
      },
      [=](leader_atom, region_id region, const storage::region_peer& leader) {
        publish(self, self->state.table->with_leader(region, leader));
      },
      [=](routes_atom) { return self->state.table->metas(); },
      [=](sweep_atom) { sweep(self); },
  };
}

}  // namespace

router_actor spawn_router(caf::actor_system& sys, std::shared_ptr<route_holder> holder,
                          router_config cfg) {
  return sys.spawn(router_fn, std::move(holder), cfg);
}

}  // namespace rdb
