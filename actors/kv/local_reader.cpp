#include "actors/kv/local_reader.hpp"

namespace rdb {

std::optional<get_response> local_reader::get(const route_table& table, const get_request& req) {
  auto header = req.header;
  auto route = table.route(header, req.key);
  if (!route) return std::nullopt;
  const auto& meta = (*route)->meta;
  if (!storage::contains_key(meta, req.key)) return std::nullopt;
  auto grant = grants_->find(meta.id);
  if (!grant) return std::nullopt;
  auto terms = grant->current(lease_grant::clock::now());
  // The route must be as new as the peer's range, and the request must name that epoch.
  if (!terms || terms->epoch != meta.epoch || header.epoch != terms->epoch) return std::nullopt;
  auto view = data_->read();
  if (!view) return std::nullopt;
  auto applied = view->load_apply_state(meta.id);
  if (!applied || !*applied || (*applied)->applied_index < terms->commit) return std::nullopt;
  auto value = view->get(req.key);
  if (!value) return std::nullopt;
  // A revocation while we read may mean a leader transfer under way: ask the peer instead.
  if (!grant->still_valid(*terms, lease_grant::clock::now())) return std::nullopt;
  served_.fetch_add(1, std::memory_order_relaxed);
  get_response out;
  if (*value) {
    out.found = true;
    out.value = std::move(**value);
  }
  return out;
}

}  // namespace rdb
