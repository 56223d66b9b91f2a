#include <algorithm>
#include <string>
#include <utility>

#include "pd/cluster_state.hpp"
#include "pd/operator.hpp"

namespace rdb::pd {

namespace {

std::string describe(region_id id) {
  return "region " + std::to_string(id.value());
}

std::string describe(store_id id) {
  return "store " + std::to_string(id.value());
}

constexpr std::string_view admin = "admin";

std::string kind_name(operator_request_kind k) {
  switch (k) {
    case operator_request_kind::move_peer:
      return "move-peer";
    case operator_request_kind::add_peer:
      return "add-peer";
    case operator_request_kind::remove_peer:
      return "remove-peer";
    case operator_request_kind::transfer_leader:
      return "transfer-leader";
  }
  return "unknown";
}

/// Whether a majority of `m`'s voters, once `leaving` is gone, sits on stores `up` says are up.
template <class Up>
bool quorum_without(const storage::region_meta& m, peer_id leaving, Up up) {
  std::size_t voters = 0;
  std::size_t live = 0;
  for (const auto& p : m.peers) {
    if (p.role != storage::peer_role::voter || p.id == leaving) continue;
    ++voters;
    if (up(p.store)) ++live;
  }
  return voters > 0 && live > voters / 2;
}

}  // namespace

directive cluster_state::start_operator(const region_info& r, std::string kind, std::string origin,
                                        std::vector<operator_step> steps) {
  change_set changes;
  auto plan = reserve_ids(1, changes);
  if (!commit(changes)) return directive{};
  ids_.commit(plan);
  operator_info op;
  op.id = plan.ids.first;
  op.region = r.meta.id;
  op.kind = std::move(kind);
  op.origin = std::move(origin);
  op.steps = std::move(steps);
  op.created = now_;
  op.deadline = now_ + operator_timeout_ticks_;
  auto it = operators_.insert_or_assign(r.meta.id, std::move(op)).first;
  auto d = advance(it->second, r);
  if (it->second.status != operator_status::running)
    stop_operator(r.meta.id, it->second.status, it->second.reason, &r);
  return d;
}

void cluster_state::stop_operator(region_id id, operator_status status, std::string reason,
                                  const region_info* r) {
  auto it = operators_.find(id);
  if (it == operators_.end()) return;
  auto op = std::move(it->second);
  operators_.erase(it);
  op.status = status;
  op.age_ticks = now_ - op.created;
  if (status != operator_status::finished) op.reason = std::move(reason);
  std::vector<operator_step> undo;
  if (r && status != operator_status::finished) undo = rollback_steps(op, *r);
  history_.insert(history_.begin(), op);
  if (history_.size() > history_size) history_.pop_back();
  if (!undo.empty()) start_operator(*r, "rollback", op.origin, std::move(undo));
  if (op.origin == admin) hold(id);
}

void cluster_state::hold(region_id id) {
  held_until_.insert_or_assign(id, now_ + admin_hold_ticks_);
}

bool cluster_state::held(region_id id) const {
  auto it = held_until_.find(id);
  return it != held_until_.end() && now_ < it->second;
}

directive cluster_state::operator_directive(const region_info& info) {
  auto it = operators_.find(info.meta.id);
  if (it == operators_.end()) return directive{};
  auto d = advance(it->second, info);
  if (it->second.status != operator_status::running) {
    auto status = it->second.status;
    auto reason = it->second.reason;
    stop_operator(info.meta.id, status, std::move(reason), &info);
    // A rollback may have started in its place.
    if (auto next = operators_.find(info.meta.id); next != operators_.end())
      return advance(next->second, info);
  }
  return d;
}

result<operator_info> cluster_state::create_operator(const operator_request& req) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  const auto* r = regions_.find_by_id(req.region);
  if (!r) return fail(errc::unknown_region, describe(req.region) + " is unknown");
  if (operators_.contains(req.region))
    return fail(errc::invalid_argument,
                describe(req.region) + " already has a running operator; cancel it first");
  auto source = peer_on(r->meta, req.store);
  auto present = peer_on(r->meta, req.target);
  auto need_source = [&]() -> result<void> {
    if (!source)
      return fail(errc::invalid_argument,
                  describe(req.store) + " holds no replica of " + describe(req.region));
    return {};
  };
  auto need_target = [&]() -> result<void> {
    const auto* s = stores_.find(req.target);
    if (!s) return fail(errc::unknown_store, describe(req.target) + " was never registered");
    if (present)
      return fail(errc::invalid_argument,
                  describe(req.target) + " already holds a replica of " + describe(req.region));
    if (s->state != store_state::up || s->decommissioning)
      return fail(errc::invalid_argument,
                  describe(req.target) + " is " +
                      (s->decommissioning ? std::string{"decommissioning"} : to_string(s->state)) +
                      ": no replica goes there");
    return {};
  };
  auto up = [&](store_id id) {
    const auto* s = stores_.find(id);
    return s && s->state == store_state::up;
  };
  std::vector<operator_step> steps;
  switch (req.kind) {
    case operator_request_kind::move_peer:
    case operator_request_kind::add_peer: {
      if (req.kind == operator_request_kind::move_peer)
        if (auto ok = need_source(); !ok) return std::unexpected(ok.error());
      if (auto ok = need_target(); !ok) return std::unexpected(ok.error());
      change_set changes;
      auto plan = reserve_ids(1, changes);
      if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
      ids_.commit(plan);
      storage::region_peer added{plan.ids.peer(0), req.target, storage::peer_role::learner};
      steps = req.kind == operator_request_kind::move_peer ? move_steps(*source, added)
                                                           : add_steps(added);
      break;
    }
    case operator_request_kind::remove_peer:
      if (auto ok = need_source(); !ok) return std::unexpected(ok.error());
      if (source->role == storage::peer_role::voter && !quorum_without(r->meta, source->id, up))
        return fail(errc::invalid_argument, "removing the replica on " + describe(req.store) +
                                                " would leave " + describe(req.region) +
                                                " without a quorum of voters on live stores");
      steps = remove_steps(*source);
      break;
    case operator_request_kind::transfer_leader:
      if (!present || present->role != storage::peer_role::voter)
        return fail(errc::invalid_argument,
                    describe(req.target) + " holds no voter of " + describe(req.region));
      steps = transfer_steps(*present);
      break;
  }
  auto info = *r;
  auto before = history_.empty() ? 0 : history_.front().id;
  start_operator(info, kind_name(req.kind), std::string{admin}, std::move(steps));
  if (auto it = operators_.find(req.region); it != operators_.end()) return it->second;
  // It stopped at once (nothing to do, or a step that cannot happen), or never started.
  if (history_.empty() || history_.front().id == before)
    return fail(errc::storage_failure, "PD cannot persist the operator's id");
  return history_.front();
}

result<operator_info> cluster_state::cancel_operator(region_id id) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  if (!operators_.contains(id))
    return fail(errc::invalid_argument, describe(id) + " has no running operator");
  stop_operator(id, operator_status::cancelled, "cancelled", regions_.find_by_id(id));
  auto stopped = std::ranges::find(history_, id, &operator_info::region);
  return *stopped;
}

std::vector<operator_info> cluster_state::operators() const {
  std::vector<operator_info> out;
  out.reserve(operators_.size() + history_.size());
  for (const auto& [id, op] : operators_) {
    out.push_back(op);
    out.back().age_ticks = now_ - op.created;
  }
  out.insert(out.end(), history_.begin(), history_.end());
  return out;
}

std::size_t cluster_state::running(std::string_view origin) const {
  return static_cast<std::size_t>(std::ranges::count_if(
      operators_, [&](const auto& entry) { return entry.second.origin == origin; }));
}

// -- schedulers -------------------------------------------------------------------

std::vector<scheduler_info> cluster_state::schedulers() const {
  return {{"balance-leader", balance_leaders_},
          {"balance-region", balance_regions_},
          {"replica-repair", replica_repair_}};
}

result<std::vector<scheduler_info>> cluster_state::set_scheduler(const std::string& name, bool on) {
  if (name == "balance-leader")
    balance_leaders_ = on;
  else if (name == "balance-region")
    balance_regions_ = on;
  else if (name == "replica-repair")
    replica_repair_ = on;
  else
    return fail(errc::invalid_argument,
                "no scheduler named '" + name +
                    "' (balance-leader, balance-region and replica-repair exist)");
  return schedulers();
}

// -- decommission -----------------------------------------------------------------

result<store_info> cluster_state::decommission(store_id id) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  const auto* known = stores_.find(id);
  if (!known) return fail(errc::unknown_store, describe(id) + " was never registered");
  if (known->state == store_state::tombstone)
    return fail(errc::store_tombstone, describe(id) + " was removed");
  if (known->decommissioning) return *known;
  auto up = [&](store_id s) {
    const auto* st = stores_.find(s);
    return s != id && st && st->state == store_state::up && !st->decommissioning;
  };
  for (const auto& r : regions_.of_store(id)) {
    auto leaving = peer_on(r.meta, id);
    if (leaving->role == storage::peer_role::voter && !quorum_without(r.meta, leaving->id, up))
      return fail(errc::invalid_argument, "decommissioning " + describe(id) + " would leave " +
                                              describe(r.meta.id) +
                                              " without a quorum of voters on live stores");
    auto stores = stores_.list();
    if (std::ranges::none_of(
            stores, [&](const store_info& s) { return up(s.id) && !peer_on(r.meta, s.id); }))
      return fail(errc::invalid_argument, "no live store is left to take " + describe(r.meta.id) +
                                              "'s replica from " + describe(id));
  }
  auto leaving = *known;
  leaving.decommissioning = true;
  change_set changes;
  changes.stores.push_back(leaving);
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  stores_.put(leaving);
  retire_decommissioned();
  return *stores_.find(id);
}

void cluster_state::retire_decommissioned() {
  for (const auto& s : stores_.list())
    if (s.decommissioning && s.state != store_state::tombstone && regions_.peer_count(s.id) == 0)
      (void)remove_store(s.id);
}

}  // namespace rdb::pd
