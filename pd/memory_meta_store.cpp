#include "pd/memory_meta_store.hpp"

#include <algorithm>

namespace rdb::pd {

namespace {

/// Inserts or replaces `x` in `xs`, which stays ordered by `key`.
template <class T, class Key>
void upsert(std::vector<T>& xs, const T& x, Key key) {
  auto pos = std::lower_bound(xs.begin(), xs.end(), key(x),
                              [&](const T& y, const auto& k) { return key(y) < k; });
  if (pos != xs.end() && key(*pos) == key(x))
    *pos = x;
  else
    xs.insert(pos, x);
}

}  // namespace

result<persisted_state> memory_meta_store::load() {
  return state_;
}

result<void> memory_meta_store::commit(const change_set& changes) {
  if (fail_commits_) return fail(errc::storage_failure, "commit refused by test");
  if (changes.bootstrap) state_.bootstrap = changes.bootstrap;
  if (changes.id_high_water) state_.id_high_water = *changes.id_high_water;
  for (const auto& s : changes.stores)
    upsert(state_.stores, durable_part(s), [](const store_info& x) { return x.id; });
  for (auto id : changes.removed_regions)
    std::erase_if(state_.regions, [id](const region_info& r) { return r.meta.id == id; });
  for (const auto& r : changes.regions)
    upsert(state_.regions, durable_part(r), [](const region_info& x) { return x.meta.id; });
  ++commits_;
  return {};
}

}  // namespace rdb::pd
