#include "pd/layout.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>

namespace rdb::pd {

result<void> check_layout(const bootstrap_request& req) {
  if (req.cluster.is_none()) return fail(errc::invalid_argument, "cluster id must not be 0");
  if (req.stores.empty()) return fail(errc::invalid_argument, "layout names no stores");
  std::set<std::string_view> addresses;
  for (const auto& a : req.stores) {
    if (a.empty()) return fail(errc::invalid_argument, "empty store address in layout");
    if (!addresses.insert(a).second)
      return fail(errc::invalid_argument, "store address " + a + " appears twice in layout");
  }
  if (req.replicas == 0) return fail(errc::invalid_argument, "replicas must be at least 1");
  if (req.replicas > req.stores.size())
    return fail(errc::invalid_argument, "replicas (" + std::to_string(req.replicas) +
                                            ") exceed the stores (" +
                                            std::to_string(req.stores.size()) + ")");
  for (std::size_t i = 0; i < req.split_keys.size(); ++i) {
    const auto& k = req.split_keys[i];
    if (k.empty())
      return fail(errc::invalid_argument, "split key " + std::to_string(i) + " is empty");
    if (k.size() > storage::max_key_size)
      return fail(errc::invalid_argument,
                  "split key " + std::to_string(i) + " is " + std::to_string(k.size()) +
                      " bytes, over the " + std::to_string(storage::max_key_size) + " byte limit");
    if (i > 0 && !(req.split_keys[i - 1] < k))
      return fail(errc::invalid_argument,
                  "split keys are not strictly ascending at " + std::to_string(i));
  }
  return {};
}

std::vector<std::vector<store_id>> place_replicas(const std::vector<store_id>& stores,
                                                  std::size_t regions, std::uint32_t replicas) {
  std::vector<std::size_t> load(stores.size(), 0);
  std::vector<std::size_t> order(stores.size());
  std::vector<std::vector<store_id>> out;
  out.reserve(regions);
  for (std::size_t r = 0; r < regions; ++r) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::ranges::stable_sort(order,
                             [&](std::size_t a, std::size_t b) { return load[a] < load[b]; });
    auto& chosen = out.emplace_back();
    for (std::uint32_t i = 0; i < replicas; ++i) {
      chosen.push_back(stores[order[i]]);
      ++load[order[i]];
    }
  }
  return out;
}

}  // namespace rdb::pd
