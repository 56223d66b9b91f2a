#include "actors/store/region_registry.hpp"

#include <algorithm>

namespace rdb {

std::optional<request_error> region_registry::check(const storage::region_meta& meta) const {
  auto refuse = [&](std::string detail) {
    return make_request_error(errc::invalid_argument, meta.id, std::move(detail));
  };
  if (meta.id.is_none()) return refuse("region meta without an id");
  auto here = std::any_of(meta.peers.begin(), meta.peers.end(),
                          [&](const storage::region_peer& p) { return p.store == self_; });
  if (!here)
    return refuse("region " + std::to_string(meta.id.value()) + " lists no peer on store " +
                  std::to_string(self_.value()));
  if (!meta.end_key.empty() && meta.end_key <= meta.start_key)
    return refuse("region " + std::to_string(meta.id.value()) + " has an empty range");
  for (const auto& [id, e] : regions_) {
    if (id == meta.id || !e.created_as.is_none()) continue;
    if (storage::ranges_overlap(meta.start_key, meta.end_key, e.meta.start_key, e.meta.end_key))
      return refuse("range [" + meta.start_key + ", " + meta.end_key + ") of region " +
                    std::to_string(meta.id.value()) + " overlaps region " +
                    std::to_string(id.value()) + " [" + e.meta.start_key + ", " + e.meta.end_key +
                    ") on store " + std::to_string(self_.value()));
  }
  return std::nullopt;
}

void region_registry::add(const storage::region_meta& meta) {
  auto& e = regions_[meta.id];
  e.meta = meta;
  // Known by its meta now: it overlaps what its range overlaps.
  e.created_as = peer_id{};
}

void region_registry::add_created(region_id region, peer_id as) {
  auto& e = regions_[region];
  e.meta.id = region;
  e.created_as = as;
}

peer_id region_registry::created_as(region_id region) const {
  auto i = regions_.find(region);
  return i == regions_.end() ? peer_id{} : i->second.created_as;
}

void region_registry::remove(region_id region) {
  regions_.erase(region);
}

const storage::region_meta* region_registry::find(region_id region) const {
  auto i = regions_.find(region);
  return i == regions_.end() ? nullptr : &i->second.meta;
}

std::vector<region_id> region_registry::ids() const {
  std::vector<region_id> out;
  out.reserve(regions_.size());
  for (const auto& [id, e] : regions_)
    out.push_back(id);
  return out;
}

bool region_registry::note_restart(region_id region, int budget) {
  auto i = regions_.find(region);
  if (i == regions_.end()) return false;
  return ++i->second.restarts <= budget;
}

}  // namespace rdb
