// Placement: where regions are cut and which store leads them, through PD.
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

std::expected<pd::region_info, std::string> region_arg(console& c, const std::string& cmd,
                                                       const std::string& text) {
  auto id = parse_number(text);
  if (!id) return std::unexpected("'" + text + "' is not a region id; " + c.usage_of(cmd));
  return c.pd().ask<pd::region_info>(pd::get_region_by_id_atom::value, region_id{*id});
}

std::string half_text(const storage::region_meta& m) {
  return "region " + std::to_string(m.id.value()) + " " + range_text(m.start_key, m.end_key);
}

outcome split(console& c, const args& a) {
  auto id = parse_number(a[0]);
  if (!id) return std::unexpected("'" + a[0] + "' is not a region id; " + c.usage_of("split"));
  pd::split_region_request req{region_id{*id}, a.size() == 2 ? a[1] : std::string{}, {}};
  auto halves =
      c.pd().ask<std::vector<storage::region_meta>>(pd::split_region_atom::value, std::move(req));
  if (!halves) return std::unexpected(halves.error());
  if (halves->size() != 2) return std::unexpected(std::string{"PD answered no halves"});
  c.out() << "split into " << half_text((*halves)[0]) << " and " << half_text((*halves)[1]) << "\n";
  return {};
}

outcome transfer_leader(console& c, const args& a) {
  auto r = region_arg(c, "transfer-leader", a[0]);
  if (!r) return std::unexpected(r.error());
  auto store = parse_number(a[1]);
  if (!store)
    return std::unexpected("'" + a[1] + "' is not a store id; " + c.usage_of("transfer-leader"));
  auto it = std::ranges::find(r->meta.peers, store_id{*store}, &storage::region_peer::store);
  if (it == r->meta.peers.end() || it->role != storage::peer_role::voter)
    return std::unexpected("region " + a[0] + " has no voter on store " + a[1]);
  if (!r->leader.id.is_none() && r->leader.store == it->store) {
    c.out() << "region " << a[0] << " is led by store " << a[1] << " already\n";
    return {};
  }
  pd::directive d{pd::directive_kind::transfer_leader, r->meta.id, r->meta.epoch, *it, {}, {}};
  if (auto ok = c.pd().ask<void>(pd::push_directive_atom::value, d); !ok)
    return std::unexpected(ok.error());
  // PD hands the directive to the leader with its next heartbeat; the new leader's first
  // heartbeat tells PD.
  auto deadline = std::chrono::steady_clock::now() + c.options().timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = c.pd().ask<pd::region_info>(pd::get_region_by_id_atom::value, r->meta.id);
    if (now && !now->leader.id.is_none() && now->leader.store == it->store) {
      c.out() << "region " << a[0] << " is led by store " << a[1] << "\n";
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return std::unexpected("PD heard of no leader on store " + a[1] + " within " +
                         std::to_string(c.options().timeout.count()) + " ms");
}

std::string step_text(const pd::operator_step& s) {
  return pd::to_string(s.kind) + " " + std::to_string(s.peer.id.value()) + "@" +
         std::to_string(s.peer.store.value());
}

std::string operator_line(const pd::operator_info& op) {
  std::string out = "operator " + std::to_string(op.id) + ": region " +
                    std::to_string(op.region.value()) + " " + op.kind + " (" + op.origin + ") " +
                    pd::to_string(op.status);
  if (op.status == pd::operator_status::running && op.current < op.steps.size())
    out += ", step " + std::to_string(op.current + 1) + "/" + std::to_string(op.steps.size()) +
           ": " + step_text(op.steps[op.current]);
  out += ", " + std::to_string(op.age_ticks) + " ticks";
  if (!op.reason.empty()) out += ": " + op.reason;
  return out;
}

nlohmann::json operator_json(const pd::operator_info& op) {
  auto steps = nlohmann::json::array();
  for (const auto& s : op.steps)
    steps.push_back({{"kind", pd::to_string(s.kind)},
                     {"peer", s.peer.id.value()},
                     {"store", s.peer.store.value()}});
  return {{"region", op.region.value()},        {"kind", op.kind},    {"origin", op.origin},
          {"status", pd::to_string(op.status)}, {"step", op.current}, {"steps", steps},
          {"age_ticks", op.age_ticks},          {"reason", op.reason}};
}

/// Operator `id` as PD lists it now; nullopt if PD does not list it (a restarted PD forgot
/// it, or 64 later ones pushed it out of the list).
std::expected<std::optional<pd::operator_info>, std::string> operator_by_id(console& c,
                                                                            std::uint64_t id) {
  auto all = c.pd().ask<std::vector<pd::operator_info>>(pd::operators_atom::value);
  if (!all) return std::unexpected(all.error());
  for (const auto& op : *all)
    if (op.id == id) return op;
  return std::nullopt;
}

/// Starts an operator and waits, at most the console's timeout, until it stops; fails unless
/// it finished.
outcome run_operator(console& c, const pd::operator_request& req) {
  auto started = c.pd().ask<pd::operator_info>(pd::operator_atom::value, req);
  if (!started) return std::unexpected(started.error());
  auto deadline = std::chrono::steady_clock::now() + c.options().timeout;
  auto last = *started;
  while (last.status == pd::operator_status::running) {
    if (std::chrono::steady_clock::now() >= deadline)
      return std::unexpected("still running after " + std::to_string(c.options().timeout.count()) +
                             " ms (see operators): " + operator_line(last));
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    auto now = operator_by_id(c, started->id);
    if (!now) return std::unexpected(now.error());
    if (!*now)
      return std::unexpected("PD no longer lists the operator (did PD restart?): " +
                             operator_line(last));
    last = **now;
  }
  if (last.status != pd::operator_status::finished) return std::unexpected(operator_line(last));
  c.out() << operator_line(last) << "\n";
  return {};
}

std::expected<std::uint64_t, std::string> number_arg(console& c, const std::string& cmd,
                                                     const std::string& text, const char* what) {
  auto n = parse_number(text);
  if (!n) return std::unexpected("'" + text + "' is not " + what + "; " + c.usage_of(cmd));
  return *n;
}

/// move/add-peer/remove-peer: the region, then the stores the request kind names.
outcome replica_command(console& c, const std::string& cmd, pd::operator_request_kind kind,
                        const args& a) {
  auto region = number_arg(c, cmd, a[0], "a region id");
  if (!region) return std::unexpected(region.error());
  std::vector<std::uint64_t> stores;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto s = number_arg(c, cmd, a[i], "a store id");
    if (!s) return std::unexpected(s.error());
    stores.push_back(*s);
  }
  pd::operator_request req{kind, region_id{*region}, {}, {}};
  if (kind == pd::operator_request_kind::move_peer) {
    req.store = store_id{stores[0]};
    req.target = store_id{stores[1]};
  } else if (kind == pd::operator_request_kind::add_peer) {
    req.target = store_id{stores[0]};
  } else {
    req.store = store_id{stores[0]};
  }
  return run_operator(c, req);
}

outcome operators(console& c, const args&) {
  auto all = c.pd().ask<std::vector<pd::operator_info>>(pd::operators_atom::value);
  if (!all) return std::unexpected(all.error());
  if (c.options().json) {
    auto out = nlohmann::json::array();
    for (const auto& op : *all)
      out.push_back(operator_json(op));
    c.out() << out.dump() << "\n";
    return {};
  }
  auto running = std::ranges::count(*all, pd::operator_status::running, &pd::operator_info::status);
  c.out() << running << " running\n";
  for (const auto& op : *all)
    c.out() << "  " << operator_line(op) << "\n";
  return {};
}

outcome cancel_operator(console& c, const args& a) {
  auto region = number_arg(c, "cancel-operator", a[0], "a region id");
  if (!region) return std::unexpected(region.error());
  auto op = c.pd().ask<pd::operator_info>(pd::cancel_operator_atom::value, region_id{*region});
  if (!op) return std::unexpected(op.error());
  c.out() << operator_line(*op) << "\n";
  return {};
}

outcome scheduler(console& c, const args& a) {
  std::expected<std::vector<pd::scheduler_info>, std::string> all;
  if (a.empty()) {
    all = c.pd().ask<std::vector<pd::scheduler_info>>(pd::schedulers_atom::value);
  } else {
    if (a.size() != 2 || (a[1] != "on" && a[1] != "off"))
      return std::unexpected(std::string{"expected <name> on|off; "} + c.usage_of("scheduler"));
    all =
        c.pd().ask<std::vector<pd::scheduler_info>>(pd::scheduler_atom::value, a[0], a[1] == "on");
  }
  if (!all) return std::unexpected(all.error());
  for (const auto& s : *all)
    c.out() << s.name << ": " << (s.enabled ? "on" : "off") << "\n";
  return {};
}

outcome decommission(console& c, const args& a) {
  auto id = number_arg(c, "decommission", a[0], "a store id");
  if (!id) return std::unexpected(id.error());
  auto s = c.pd().ask<pd::store_info>(pd::decommission_atom::value, store_id{*id});
  if (!s) return std::unexpected(s.error());
  if (s->state == pd::store_state::tombstone)
    c.out() << "store " << a[0] << " holds no replica any more: tombstone\n";
  else
    c.out() << "store " << a[0]
            << " is decommissioning: its replicas move to other stores; `wait store " << a[0]
            << " tombstone` waits for the end\n";
  return {};
}

}  // namespace

void add_placement_commands(std::map<std::string, command>& table) {
  table["split"] = {
      "split",
      "<region> [key]",
      "splits a region at <key>, or at the middle of its data",
      "PD refuses a key at or outside the region's range. Prints the two halves once the new "
      "region has reported to PD.",
      1,
      2,
      split};
  table["transfer-leader"] = {
      "transfer-leader",
      "<region> <store>",
      "moves a region's leadership to its voter on a store",
      "Waits until PD hears of the new leader. With leader balancing on, PD may move it again.",
      2,
      2,
      transfer_leader};
  const char* const operator_help =
      "PD runs it as an operator (see operators) and this command waits, at most the "
      "console's --timeout, until it finished; it fails if the operator timed out, was "
      "cancelled or could not go on.";
  table["move"] = {"move",
                   "<region> <from-store> <to-store>",
                   "moves a replica: learner on the target, caught up, promoted, old one removed",
                   operator_help,
                   3,
                   3,
                   [](console& c, const args& a) {
                     return replica_command(c, "move", pd::operator_request_kind::move_peer, a);
                   }};
  table["add-peer"] = {"add-peer",
                       "<region> <store>",
                       "adds a replica of a region on a store (learner, then voter)",
                       operator_help,
                       2,
                       2,
                       [](console& c, const args& a) {
                         return replica_command(c, "add-peer", pd::operator_request_kind::add_peer,
                                                a);
                       }};
  table["remove-peer"] = {
      "remove-peer",
      "<region> <store>",
      "removes a region's replica from a store",
      "Refused when it would leave the region without a quorum of voters on live stores. " +
          std::string{operator_help},
      2,
      2,
      [](console& c, const args& a) {
        return replica_command(c, "remove-peer", pd::operator_request_kind::remove_peer, a);
      }};
  table["operators"] = {"operators",
                        "",
                        "lists PD's running operators with their step and age, then recent ones",
                        "Ages are PD ticks (--pd-tick-interval, 1s by default).",
                        0,
                        0,
                        operators};
  table["cancel-operator"] = {
      "cancel-operator",
      "<region>",
      "stops a region's running operator",
      "A learner the operator added is then removed by a rollback operator.",
      1,
      1,
      cancel_operator};
  table["scheduler"] = {"scheduler",
                        "[<name> on|off]",
                        "lists PD's schedulers, or switches one on or off",
                        "Schedulers: balance-leader, balance-region, replica-repair. The switch "
                        "holds until PD restarts; its flags decide the state at start.",
                        0,
                        2,
                        scheduler};
  table["decommission"] = {
      "decommission",
      "<store>",
      "moves every replica off a store, then tombstones it",
      "Refused while a region would be left without a quorum of voters on other live stores or "
      "without a store to move to. Returns at once; `wait store <id> tombstone` waits for the end.",
      1,
      1,
      decommission};
}

}  // namespace rdb::console
