#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "pd/cluster_state.hpp"

namespace rdb::pd {

namespace {

/// Keys are arbitrary bytes: print them escaped so a message stays one readable line.
std::string printable(std::string_view key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out + "\"";
}

std::string describe(region_id id) {
  return "region " + std::to_string(id.value());
}

std::string describe(const storage::region_epoch& e) {
  return "(conf_ver " + std::to_string(e.conf_ver) + ", version " + std::to_string(e.version) + ")";
}

std::unexpected<failure> stale(std::string message, const storage::region_meta& current) {
  return std::unexpected(failure{errc::stale_epoch, std::move(message), current});
}

/// Rejects metas no correct store can report: they would break the table's invariants.
result<void> check_meta(const storage::region_meta& m) {
  if (m.id.is_none()) return fail(errc::invalid_argument, "region id must not be 0");
  if (m.start_key.size() > storage::max_key_size || m.end_key.size() > storage::max_key_size)
    return fail(errc::invalid_argument, describe(m.id) + " has a boundary over the key limit");
  if (!before_end(m.start_key, m.end_key))
    return fail(errc::invalid_argument, describe(m.id) + " has an empty range [" +
                                            printable(m.start_key) + ", " + printable(m.end_key) +
                                            ")");
  if (m.peers.empty()) return fail(errc::invalid_argument, describe(m.id) + " has no peers");
  std::set<peer_id> ids;
  for (const auto& p : m.peers)
    if (p.id.is_none() || p.store.is_none() || !ids.insert(p.id).second)
      return fail(errc::invalid_argument,
                  describe(m.id) + " has a peer with a missing or repeated id or store");
  return {};
}

}  // namespace

result<std::vector<region_id>> cluster_state::check_epoch(const storage::region_meta& meta) const {
  if (const auto* known = regions_.find_by_id(meta.id)) {
    const auto& e = known->meta.epoch;
    if (meta.epoch.version < e.version || meta.epoch.conf_ver < e.conf_ver)
      return stale(describe(meta.id) + " epoch " + describe(meta.epoch) + " is older than PD's " +
                       describe(e),
                   known->meta);
  }
  std::vector<region_id> overlapped;
  for (const auto* other : regions_.overlapping(meta.start_key, meta.end_key)) {
    if (other->meta.id == meta.id) continue;
    if (other->meta.epoch.version > meta.epoch.version)
      return stale(describe(meta.id) + " version " + std::to_string(meta.epoch.version) +
                       " overlaps the newer " + describe(other->meta.id) + " version " +
                       std::to_string(other->meta.epoch.version),
                   other->meta);
    overlapped.push_back(other->meta.id);
  }
  return overlapped;
}

result<region_heartbeat_response> cluster_state::on_region_heartbeat(const region_heartbeat& hb) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  const auto& meta = hb.region;
  if (auto ok = check_meta(meta); !ok) return std::unexpected(ok.error());
  region_info next{meta,         {}, hb.approximate_size, hb.approximate_keys, hb.pending_peers,
                   hb.down_peers};
  if (!hb.leader.is_none()) {
    auto it = std::ranges::find(meta.peers, hb.leader, &storage::region_peer::id);
    if (it == meta.peers.end())
      return fail(errc::invalid_argument, describe(meta.id) + " reports leader peer " +
                                              std::to_string(hb.leader.value()) +
                                              " that is not one of its peers");
    next.leader = *it;
  }
  auto overlapped = check_epoch(meta);
  if (!overlapped) return std::unexpected(overlapped.error());
  const auto* known = regions_.find_by_id(meta.id);
  // Leader changes are rare and worth keeping across a restart; size and peer health change
  // with every heartbeat and are refreshed by the next one, so they alone write nothing.
  bool durable_change =
      !known || known->meta != meta || known->leader != next.leader || !overlapped->empty();
  if (durable_change) {
    change_set changes;
    changes.regions.push_back(next);
    changes.removed_regions = *overlapped;
    if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  }
  for (auto id : *overlapped) {
    regions_.remove(id);
    directives_.erase(id);
  }
  auto id = next.meta.id;
  regions_.put(next);
  // An operator's step first; then a directive queued for the region (a split may wait behind
  // a learner catching up); only a region nobody is working on is offered to the schedulers.
  region_heartbeat_response response{operator_directive(next)};
  if (response.next.kind == directive_kind::none) response.next = next_directive(next);
  if (response.next.kind != directive_kind::none || operators_.contains(id) ||
      directives_.contains(id))
    return response;
  response.next = schedule(next);
  if (response.next.kind == directive_kind::none && !operators_.contains(id) && balance_leaders_ &&
      !held(id))
    if (auto d = balance_leader(next)) {
      directives_.insert_or_assign(id, *d);
      response.next = *d;
    }
  return response;
}

result<split_ids> cluster_state::ask_split(const storage::region_meta& region) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  if (auto ok = check_meta(region); !ok) return std::unexpected(ok.error());
  const auto* known = regions_.find_by_id(region.id);
  if (!known) return fail(errc::unknown_region, describe(region.id) + " is unknown");
  const auto& e = known->meta.epoch;
  if (region.epoch.version < e.version || region.epoch.conf_ver < e.conf_ver)
    return stale(describe(region.id) + " epoch " + describe(region.epoch) + " is older than PD's " +
                     describe(e),
                 known->meta);
  change_set changes;
  auto plan = reserve_ids(1 + region.peers.size(), changes);
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  ids_.commit(plan);
  split_ids out;
  out.new_region = plan.ids.region(0);
  for (std::size_t i = 0; i < region.peers.size(); ++i)
    out.new_peers.push_back(plan.ids.peer(1 + i));
  return out;
}

result<directive> cluster_state::order_split(region_id id, const std::string& key,
                                             const storage::region_epoch& epoch) {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  const auto* known = regions_.find_by_id(id);
  if (!known) return fail(errc::unknown_region, describe(id) + " is unknown");
  const auto& m = known->meta;
  if (epoch != storage::region_epoch{} && epoch != m.epoch)
    return stale(describe(id) + " is at epoch " + describe(m.epoch) + ", not " + describe(epoch),
                 m);
  if (key.size() > storage::max_key_size)
    return fail(errc::invalid_argument,
                "a split key is at most " + std::to_string(storage::max_key_size) + " bytes");
  if (!key.empty() && !(key > m.start_key && storage::before_end(key, m.end_key)))
    return fail(errc::invalid_argument, "split key " + printable(key) + " is not strictly inside " +
                                            describe(id) + " [" + printable(m.start_key) + ", " +
                                            (m.end_key.empty() ? "+inf" : printable(m.end_key)) +
                                            ")");
  auto ids = ask_split(m);
  if (!ids) return std::unexpected(ids.error());
  directive d;
  d.kind = directive_kind::split;
  d.region = id;
  d.epoch = m.epoch;
  d.split = std::move(*ids);
  d.split_key = key;
  if (auto ok = push_directive(d); !ok) return std::unexpected(ok.error());
  return d;
}

std::optional<std::vector<storage::region_meta>> cluster_state::split_outcome(
    const directive& d) const {
  const auto* child = regions_.find_by_id(d.split.new_region);
  const auto* parent = regions_.find_by_id(d.region);
  if (!child || !parent) return std::nullopt;
  return std::vector<storage::region_meta>{parent->meta, child->meta};
}

result<region_info> cluster_state::region_by_key(std::string_view key) const {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  if (const auto* r = regions_.find_by_key(key)) return *r;
  return fail(errc::unknown_region, "no region contains key " + printable(key));
}

result<region_info> cluster_state::region_by_id(region_id id) const {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  if (const auto* r = regions_.find_by_id(id)) return *r;
  return fail(errc::unknown_region, describe(id) + " is unknown");
}

result<std::vector<region_info>> cluster_state::regions() const {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  return regions_.list();
}

result<std::vector<region_info>> cluster_state::store_regions(store_id store) const {
  if (auto ok = require_bootstrapped(); !ok) return std::unexpected(ok.error());
  if (!stores_.find(store))
    return fail(errc::unknown_store,
                "store " + std::to_string(store.value()) + " was never registered");
  return regions_.of_store(store);
}

}  // namespace rdb::pd
