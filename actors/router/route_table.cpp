#include "actors/router/route_table.hpp"

namespace rdb {

// -- lookups ----------------------------------------------------------------------------------

const region_route* route_table::find(region_id region) const {
  return routes_.find(region);
}

const region_route* route_table::find_by_key(std::string_view key) const {
  const auto* holder = by_start_.floor(key);
  if (holder == nullptr) return nullptr;
  const auto* r = find(holder->second);
  return r != nullptr && storage::contains_key(r->meta, key) ? r : nullptr;
}

std::vector<storage::region_meta> route_table::metas() const {
  std::vector<storage::region_meta> out;
  out.reserve(by_start_.size());
  by_start_.for_each([&](const auto& entry) {
    out.push_back(find(entry.second)->meta);
    return true;
  });
  return out;
}

std::vector<storage::region_meta> route_table::overlapping(std::string_view start,
                                                           std::string_view end) const {
  std::vector<storage::region_meta> out;
  // The first candidate is the region holding `start`; every later one starts inside the range.
  by_start_.for_each_from(start, [&](const auto& entry) {
    const auto& m = find(entry.second)->meta;
    if (!end.empty() && m.start_key >= end) return false;
    if (storage::ranges_overlap(start, end, m.start_key, m.end_key)) out.push_back(m);
    return true;
  });
  return out;
}

// -- client requests ------------------------------------------------------------------------

std::expected<const region_route*, request_error> route_table::route(request_header& header,
                                                                     std::string_view key) const {
  if (header.region.is_none()) {
    const auto* r = find_by_key(key);
    if (r == nullptr)
      return std::unexpected{
          make_request_error(errc::region_not_found, region_id{}, "no local region holds the key")};
    header.region = r->meta.id;
    header.epoch = r->meta.epoch;
    return r;
  }
  const auto* r = find(header.region);
  if (r == nullptr)
    return std::unexpected{make_request_error(errc::region_not_found, header.region,
                                              "no replica of the region on this store")};
  return r;
}

void route_table::add_holder(request_error& e, std::string_view key) const {
  if (e.code != errc::epoch_not_match) return;
  const auto* holder = find_by_key(key);
  if (holder == nullptr) return;
  for (const auto& m : e.regions)
    if (m.id == holder->meta.id) return;
  e.regions.push_back(holder->meta);
}

// -- derived tables ---------------------------------------------------------------------------

std::optional<route_table> route_table::with_update(const storage::region_meta& meta,
                                                    const region_peer_actor& peer,
                                                    request_error* refusal) const {
  auto refuse = [&](std::string detail) -> std::optional<route_table> {
    if (refusal != nullptr) *refusal = make_request_error(errc::invalid_argument, meta.id, detail);
    return std::nullopt;
  };
  if (meta.id.is_none()) return refuse("a route needs a region id");
  if (!meta.end_key.empty() && meta.end_key <= meta.start_key)
    return refuse("empty or inverted range");
  const auto* known = find(meta.id);
  if (known != nullptr) {
    const auto& e = known->meta.epoch;
    if (meta.epoch.version < e.version || meta.epoch.conf_ver < e.conf_ver) return std::nullopt;
  }
  for (const auto& other : overlapping(meta.start_key, meta.end_key)) {
    if (other.id == meta.id) continue;
    return refuse("range [" + meta.start_key + ", " + meta.end_key + ") of region " +
                  std::to_string(meta.id.value()) + " overlaps region " +
                  std::to_string(other.id.value()) + " [" + other.start_key + ", " + other.end_key +
                  ")");
  }
  auto out = next();
  region_route route{meta, peer, {}};
  if (known != nullptr) {
    route.leader = known->leader;
    out.by_start_ = out.by_start_.erase(known->meta.start_key);
  }
  out.by_start_ = out.by_start_.set(meta.start_key, meta.id);
  out.routes_ = out.routes_.set(meta.id, std::move(route));
  return out;
}

std::optional<route_table> route_table::without(region_id region) const {
  const auto* known = find(region);
  if (known == nullptr) return std::nullopt;
  auto out = next();
  out.by_start_ = out.by_start_.erase(known->meta.start_key);
  out.routes_ = out.routes_.erase(region);
  return out;
}

std::optional<route_table> route_table::with_leader(region_id region,
                                                    const storage::region_peer& leader) const {
  const auto* known = find(region);
  if (known == nullptr || known->leader == leader) return std::nullopt;
  auto out = next();
  auto route = *known;
  route.leader = leader;
  out.routes_ = out.routes_.set(region, std::move(route));
  return out;
}

route_table route_table::next() const {
  auto out = *this;
  ++out.version_;
  return out;
}

}  // namespace rdb
