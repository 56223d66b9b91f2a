#include "actors/store/split_checker.hpp"

#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/router/route_table.hpp"

namespace rdb {

storage::result<std::optional<split_point>> find_split_point(const storage::read_view& view,
                                                             const storage::region_meta& meta,
                                                             split_by by) {
  storage::region_usage total;
  auto counted = view.for_each(meta.start_key, meta.end_key,
                               [&](std::string_view key, std::string_view value) {
                                 total.bytes += key.size() + value.size();
                                 ++total.keys;
                                 return true;
                               });
  if (!counted) return std::unexpected{counted.error()};
  const auto whole = by == split_by::size ? total.bytes : total.keys;
  storage::region_usage before;
  std::optional<split_point> out;
  auto walked = view.for_each(
      meta.start_key, meta.end_key, [&](std::string_view key, std::string_view value) {
        auto size = key.size() + value.size();
        auto walked_past = by == split_by::size ? before.bytes + size : before.keys + 1;
        // The key that takes the walk past the middle starts the right half, unless it is the
        // first (never an empty left).
        if (before.keys > 0 && 2 * walked_past > whole) {
          out = split_point{std::string{key}, total.bytes - before.bytes};
          return false;
        }
        before.bytes += size;
        ++before.keys;
        return true;
      });
  if (!walked) return std::unexpected{walked.error()};
  return out;
}

namespace {

struct checker_state {
  static inline const char* name = "rdb.split_checker";

  split_checker_config cfg;
  split_checker_stats stats;
  /// Regions with a split under way: not checked again until it ends.
  std::set<region_id> splitting;
};

using checker_pointer = split_checker_actor::stateful_pointer<checker_state>;

void failed(checker_pointer self, region_id region, const std::string& what) {
  ++self->state.stats.failures;
  self->state.splitting.erase(region);
  log(log_level::warning, "split", region.value(), what);
}

/// Asks the leader for the split of `meta` at `at` with the ids `ids`.
void ask_leader(checker_pointer self, const storage::region_meta& meta, region_peer_actor leader,
                const split_point& at, const pd::split_ids& ids) {
  ++self->state.stats.asked;
  split_request req{{meta.id, meta.epoch}, at.key, ids.new_region, ids.new_peers, at.right_bytes};
  auto child = ids.new_region;
  self->request(leader, self->state.cfg.request_timeout, split_atom::value, std::move(req))
      .then(
          [=](const write_response&) {
            ++self->state.stats.done;
            self->state.splitting.erase(meta.id);
            log(log_level::info, "split", meta.id.value(),
                "split off region " + std::to_string(child.value()));
          },
          [=](const caf::error& e) {
            failed(self, meta.id, "split failed: " + self->system().render(e));
          });
}

/// Asks PD for the ids and the leader for the split of `meta` at `at`.
void split(checker_pointer self, const storage::region_meta& meta, region_peer_actor leader,
           split_point at) {
  auto& st = self->state;
  st.splitting.insert(meta.id);
  self->request(st.cfg.pd, st.cfg.request_timeout, pd::ask_split_atom::value, meta)
      .then([=](const pd::split_ids& ids) { ask_leader(self, meta, leader, at, ids); },
            [=](const caf::error& e) {
              failed(self, meta.id, "no ids from PD: " + self->system().render(e));
            });
}

/// Tells PD that the split it ordered cannot be done, so whoever asked for it hears why.
void refuse(checker_pointer self, const pd::directive& d, const std::string& why) {
  failed(self, d.region, why);
  self->send(self->state.cfg.pd, pd::split_refused_atom::value, d, why);
}

/// A split PD ordered (`split_region`): carried out when this store leads the region at the
/// directive's epoch, at the directive's key or at the middle of the data.
void ordered_split(checker_pointer self, const pd::directive& d) {
  auto& st = self->state;
  auto table = st.cfg.routes->load();
  const auto* r = table ? table->find(d.region) : nullptr;
  // PD repeats the directive with every heartbeat until it hears of the new epoch.
  if (!r || r->leader.store != st.cfg.store || !(r->meta.epoch == d.epoch) ||
      st.splitting.count(d.region) > 0)
    return;
  const auto& meta = r->meta;
  auto view = st.cfg.kv->read();
  if (!view) return failed(self, meta.id, "cannot read: " + view.error().message);
  std::optional<split_point> at;
  if (d.split_key.empty()) {
    auto middle = find_split_point(*view, meta);
    if (!middle) return refuse(self, d, "cannot find a split key: " + middle.error().message);
    if (!*middle) return refuse(self, d, "it holds fewer than two keys, so a half would be empty");
    at = std::move(**middle);
  } else {
    auto right = view->range_size(d.split_key, meta.end_key);
    if (!right) return failed(self, meta.id, "cannot read its size: " + right.error().message);
    at = split_point{d.split_key, *right};
  }
  st.splitting.insert(meta.id);
  ask_leader(self, meta, r->peer, *at, d.split);
}

void round(checker_pointer self) {
  auto& st = self->state;
  ++st.stats.rounds;
  auto table = st.cfg.routes->load();
  if (!table) return;
  for (const auto& meta : table->metas()) {
    const auto* r = table->find(meta.id);
    if (r->leader.store != st.cfg.store || st.splitting.count(meta.id) > 0) continue;
    // One view per region, released before the next: a long-lived view holds off map growth.
    auto view = st.cfg.kv->read();
    if (!view) return failed(self, meta.id, "cannot read: " + view.error().message);
    auto usage = view->approximate_usage(meta.id);
    if (!usage) return failed(self, meta.id, "cannot read its size: " + usage.error().message);
    std::optional<split_by> by;
    if (usage->bytes > st.cfg.split_size)
      by = split_by::size;
    else if (usage->keys > st.cfg.split_keys)
      by = split_by::keys;
    if (!by) continue;
    auto at = find_split_point(*view, meta, *by);
    if (!at) return failed(self, meta.id, "cannot find a split key: " + at.error().message);
    if (*at) split(self, meta, r->peer, std::move(**at));
  }
}

split_checker_actor::behavior_type checker_fn(checker_pointer self, split_checker_config cfg) {
  self->state.cfg = std::move(cfg);
  if (self->state.cfg.interval.count() > 0)
    self->delayed_send(self, self->state.cfg.interval, split_check_atom::value);
  return {
      [=](split_check_atom) {
        round(self);
        // Only the timer's own message re-arms it: a test's extra round adds no timer.
        if (self->state.cfg.interval.count() > 0 && self->current_sender() == self->ctrl())
          self->delayed_send(self, self->state.cfg.interval, split_check_atom::value);
      },
      [=](directive_atom, const pd::directive& d) {
        if (d.kind == pd::directive_kind::split) ordered_split(self, d);
      },
      [=](stats_atom) { return self->state.stats; },
  };
}

}  // namespace

split_checker_actor spawn_split_checker(caf::actor_system& sys, split_checker_config cfg) {
  return sys.spawn<caf::detached>(checker_fn, std::move(cfg));
}

}  // namespace rdb
