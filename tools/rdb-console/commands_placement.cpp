// Placement: where regions are cut and which store leads them, through PD.
#include <thread>

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

/// A command this cluster cannot carry out yet: listed by help, refused when run.
command not_supported(std::string name, std::string usage, std::string summary, std::string why) {
  auto refuse = [why](console&, const args&) -> outcome { return std::unexpected(why); };
  return {name, std::move(usage), std::move(summary), "Not available yet: " + why, 0, 16, refuse};
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
  const std::string no_moves = "not supported by this cluster: PD does not move replicas yet";
  for (const auto& [name, usage, summary, why] : {
           std::tuple{"move", "<region> <from-store> <to-store>", "moves a replica", no_moves},
           std::tuple{"add-peer", "<region> <store>", "adds a replica", no_moves},
           std::tuple{"remove-peer", "<region> <store>", "removes a replica", no_moves},
           std::tuple{"decommission", "<store>", "moves every replica off a store", no_moves},
           std::tuple{"operators", "", "lists PD's running operators", no_moves},
           std::tuple{"scheduler", "<name> on|off", "switches a PD scheduler", no_moves},
       })
    table[name] = not_supported(name, usage, summary, why);
}

}  // namespace rdb::console
