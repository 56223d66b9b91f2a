#include "storage/region_log.hpp"

#include <string>
#include <utility>

namespace rdb::storage {

result<std::vector<raft::entry>> region_log::entries(raft::log_index lo, raft::log_index hi,
                                                     std::uint64_t max_bytes) const {
  auto v = store_->read();
  if (!v) return std::unexpected(v.error());
  return v->entries(region_, lo, hi, max_bytes);
}

result<raft::term_id> region_log::term(raft::log_index i) const {
  auto v = store_->read();
  if (!v) return std::unexpected(v.error());
  return v->term(region_, i);
}

result<raft::log_index> region_log::first_index() const {
  auto v = store_->read();
  if (!v) return std::unexpected(v.error());
  return v->first_index(region_);
}

result<raft::log_index> region_log::last_index() const {
  auto v = store_->read();
  if (!v) return std::unexpected(v.error());
  return v->last_index(region_);
}

result<void> region_log::append(std::vector<raft::entry> entries) {
  write_batch batch;
  batch.append(region_, std::move(entries));
  return store_->write(batch);
}

result<void> region_log::compact(raft::log_index up_to) {
  // The batch treats a stale compaction as a no-op so one region cannot fail a group commit;
  // a direct caller gets etcd's ErrCompacted instead.
  auto first = first_index();
  if (!first) return std::unexpected(first.error());
  if (up_to < *first)
    return fail(errc::compacted, "raft_log region " + std::to_string(region_.value()) +
                                     " is already compacted past index " +
                                     std::to_string(up_to.value()));
  write_batch batch;
  batch.compact_log(region_, up_to);
  return store_->write(batch);
}

}  // namespace rdb::storage
