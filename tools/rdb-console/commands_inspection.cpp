// Inspection: what PD knows of the stores and regions.
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

using json = nlohmann::json;

std::string bytes_text(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  std::ostringstream os;
  if (unit == 0)
    os << bytes << " B";
  else
    os << std::fixed << std::setprecision(1) << value << " " << units[unit];
  return os.str();
}

std::string peers_text(const std::vector<storage::region_peer>& peers) {
  std::string out;
  for (const auto& p : peers) {
    if (!out.empty()) out += " ";
    out += std::to_string(p.id.value()) + "@" + std::to_string(p.store.value());
    if (p.role == storage::peer_role::learner) out += "(learner)";
  }
  return out.empty() ? "-" : out;
}

json peers_json(const std::vector<storage::region_peer>& peers) {
  auto out = json::array();
  for (const auto& p : peers)
    out.push_back({{"peer", p.id.value()},
                   {"store", p.store.value()},
                   {"learner", p.role == storage::peer_role::learner}});
  return out;
}

json region_json(const pd::region_info& r) {
  return {{"id", r.meta.id.value()},
          {"start", printable(r.meta.start_key)},
          {"end", r.meta.end_key.empty() ? "" : printable(r.meta.end_key)},
          {"conf_ver", r.meta.epoch.conf_ver},
          {"version", r.meta.epoch.version},
          {"peers", peers_json(r.meta.peers)},
          {"leader_store", r.leader.id.is_none() ? 0 : r.leader.store.value()},
          {"approximate_size", r.approximate_size},
          {"approximate_keys", r.approximate_keys},
          {"pending_peers", peers_json(r.pending_peers)},
          {"down_peers", peers_json(r.down_peers)}};
}

std::string leader_text(const pd::region_info& r) {
  return r.leader.id.is_none() ? "-" : std::to_string(r.leader.store.value());
}

void print_region_line(std::ostream& out, const pd::region_info& r) {
  out << std::left << std::setw(8) << r.meta.id.value() << std::setw(8)
      << (std::to_string(r.meta.epoch.conf_ver) + "/" + std::to_string(r.meta.epoch.version))
      << std::setw(8) << leader_text(r) << std::setw(12) << bytes_text(r.approximate_size)
      << std::setw(10) << r.approximate_keys << range_text(r.meta.start_key, r.meta.end_key) << "  "
      << peers_text(r.meta.peers) << "\n";
}

outcome regions(console& c, const args& a) {
  std::vector<pd::region_info> all;
  if (a.empty()) {
    auto got = c.pd().ask<std::vector<pd::region_info>>(pd::get_regions_atom::value);
    if (!got) return std::unexpected(got.error());
    all = std::move(*got);
  } else {
    auto got = c.pd().ask<pd::region_info>(pd::get_region_atom::value, a[0]);
    if (!got) return std::unexpected(got.error());
    all.push_back(std::move(*got));
  }
  if (c.options().json) {
    auto out = json::array();
    for (const auto& r : all)
      out.push_back(region_json(r));
    c.out() << out.dump() << "\n";
    return {};
  }
  c.out() << std::left << std::setw(8) << "REGION" << std::setw(8) << "EPOCH" << std::setw(8)
          << "LEADER" << std::setw(12) << "SIZE" << std::setw(10) << "KEYS"
          << "RANGE  PEERS (peer@store)\n";
  for (const auto& r : all)
    print_region_line(c.out(), r);
  if (a.empty()) c.out() << all.size() << " regions\n";
  return {};
}

outcome region(console& c, const args& a) {
  auto id = parse_number(a[0]);
  if (!id) return std::unexpected("'" + a[0] + "' is not a region id; " + c.usage_of("region"));
  auto r = c.pd().ask<pd::region_info>(pd::get_region_by_id_atom::value, region_id{*id});
  if (!r) return std::unexpected(r.error());
  if (c.options().json) {
    c.out() << region_json(*r).dump() << "\n";
    return {};
  }
  c.out() << "region " << r->meta.id.value() << "\n"
          << "  range:   " << range_text(r->meta.start_key, r->meta.end_key) << "\n"
          << "  epoch:   conf_ver " << r->meta.epoch.conf_ver << ", version "
          << r->meta.epoch.version << "\n"
          << "  peers:   " << peers_text(r->meta.peers) << " (peer@store)\n"
          << "  leader:  " << (r->leader.id.is_none() ? "none known" : "store " + leader_text(*r))
          << "\n"
          << "  size:    " << bytes_text(r->approximate_size) << ", " << r->approximate_keys
          << " keys (approximate)\n"
          << "  pending: " << peers_text(r->pending_peers) << "\n"
          << "  down:    " << peers_text(r->down_peers) << "\n";
  return {};
}

std::string state_text(const pd::store_info& s) {
  if (s.decommissioning && s.state != pd::store_state::tombstone)
    return pd::to_string(s.state) + ",leaving";
  return pd::to_string(s.state);
}

json store_json(const pd::store_info& s) {
  return {{"id", s.id.value()},
          {"state", pd::to_string(s.state)},
          {"decommissioning", s.decommissioning},
          {"address", s.address},
          {"client_address", s.client_address},
          {"regions", s.stats.region_count},
          {"leaders", s.stats.leader_count},
          {"used_size", s.stats.used_size},
          {"capacity", s.stats.capacity},
          {"available", s.stats.available},
          {"sending_snapshots", s.stats.sending_snapshots},
          {"applying_snapshots", s.stats.applying_snapshots},
          {"last_heartbeat_tick", s.last_heartbeat.value()}};
}

std::expected<std::vector<pd::store_info>, std::string> all_stores(console& c) {
  return c.pd().ask<std::vector<pd::store_info>>(pd::get_stores_atom::value);
}

/// The stores as one JSON array, what `stores` and `status` print with --json.
void print_stores_json(console& c, const std::vector<pd::store_info>& all) {
  auto out = json::array();
  for (const auto& s : all)
    out.push_back(store_json(s));
  c.out() << out.dump() << "\n";
}

outcome stores(console& c, const args&) {
  auto all = all_stores(c);
  if (!all) return std::unexpected(all.error());
  if (c.options().json) {
    print_stores_json(c, *all);
    return {};
  }
  c.out() << std::left << std::setw(7) << "STORE" << std::setw(14) << "STATE" << std::setw(24)
          << "ADDRESS"
          << "CLIENT ADDRESS\n";
  for (const auto& s : *all)
    c.out() << std::left << std::setw(7) << s.id.value() << std::setw(14) << state_text(s)
            << std::setw(24) << s.address << s.client_address << "\n";
  return {};
}

outcome status(console& c, const args&) {
  auto all = all_stores(c);
  if (!all) return std::unexpected(all.error());
  if (c.options().json) {
    print_stores_json(c, *all);
    return {};
  }
  for (const auto& s : *all)
    c.out() << "store " << s.id.value() << ": " << state_text(s) << ", " << s.stats.region_count
            << " regions, " << s.stats.leader_count << " leaders, " << bytes_text(s.stats.used_size)
            << " of data, " << bytes_text(s.stats.available) << " free of "
            << bytes_text(s.stats.capacity) << "\n";
  return {};
}

}  // namespace

void add_inspection_commands(std::map<std::string, command>& table) {
  table["stores"] = {"stores", "",    "lists the stores PD knows: id, state, addresses", "", 0,
                     0,        stores};
  table["status"] = {"status",
                     "",
                     "one line per store: up/down, regions, leaders, data and disk use",
                     "As the stores last reported them in their heartbeats to PD.",
                     0,
                     0,
                     status};
  table["regions"] = {
      "regions",
      "[key]",
      "lists the regions in key order, or the one holding <key>",
      "Columns: id, epoch (conf_ver/version), the leader's store, approximate size and keys, "
      "the range [start, end) and the peers as peer@store.",
      0,
      1,
      regions};
  table["region"] = {
      "region", "<id>", "one region: range, epoch, peers, leader, size, pending and down peers",
      "",       1,      1,
      region};
}

}  // namespace rdb::console
