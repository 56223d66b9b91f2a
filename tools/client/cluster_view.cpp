#include "tools/client/cluster_view.hpp"

#include <algorithm>

namespace rdb::client {

namespace {

bool contains(const region& r, std::string_view key) {
  return r.start_key <= key && (r.end_key.empty() || key < r.end_key);
}

}  // namespace

error cluster_view::failure(code cause, std::string detail, bool maybe_applied) {
  bool final = cause == code::invalid_argument || cause == code::storage_corrupt;
  return error{final ? cause : code::deadline_exceeded, cause, std::move(detail), maybe_applied};
}

bool cluster_view::suspect(const std::string& address) const {
  auto i = suspects.find(address);
  return i != suspects.end() && clock_type::now() < i->second;
}

region* cluster_view::cached(std::string_view key) {
  auto i = regions.upper_bound(key);
  if (i == regions.begin()) return nullptr;
  --i;
  return contains(i->second, key) ? &i->second : nullptr;
}

void cluster_view::forget(std::uint64_t id) {
  for (auto i = regions.begin(); i != regions.end(); ++i)
    if (i->second.id == id) {
      regions.erase(i);
      return;
    }
}

std::vector<std::string> cluster_view::lookup_addresses() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < seeds.size(); ++i)
    out.push_back(seeds[(next_seed + i) % seeds.size()]);
  for (const auto& [id, a] : store_addresses)
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  std::stable_partition(out.begin(), out.end(), [&](const auto& a) { return !suspect(a); });
  return out;
}

std::string cluster_view::target(const region& r, std::size_t attempt) const {
  if (r.leader_store != 0) {
    auto i = store_addresses.find(r.leader_store);
    if (i != store_addresses.end() && !suspect(i->second)) return i->second;
  }
  std::string fallback;
  for (std::size_t k = 0; k < r.stores.size(); ++k) {
    auto i = store_addresses.find(r.stores[(attempt + k) % r.stores.size()]);
    if (i == store_addresses.end()) continue;
    if (!suspect(i->second)) return i->second;
    if (fallback.empty()) fallback = i->second;
  }
  if (!fallback.empty()) return fallback;
  return seeds.empty() ? std::string{} : seeds[attempt % seeds.size()];
}

}  // namespace rdb::client
