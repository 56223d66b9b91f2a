#include "actors/raft/memory_storage.hpp"

#include <algorithm>

namespace rdb::raft {

memory_storage::memory_storage() : ents_(1) {}

memory_storage::memory_storage(raft::conf_state initial) : memory_storage() {
  snapshot_.meta.conf = initial;
  conf_state_ = std::move(initial);
}

// -- log_storage --------------------------------------------------------------

std::expected<storage_state, error> memory_storage::initial_state() {
  return storage_state{hard_state_, conf_state_};
}

std::expected<std::vector<entry>, error> memory_storage::entries(log_index lo, log_index hi,
                                                                 std::uint64_t max_bytes) {
  if (lo <= offset()) return std::unexpected{errc::compacted};
  if (hi > last() + 1) return std::unexpected{errc::unavailable};
  std::vector<entry> out;
  if (lo >= hi) return out;
  auto first = ents_.begin() + static_cast<std::ptrdiff_t>(lo - offset());
  auto stop = ents_.begin() + static_cast<std::ptrdiff_t>(hi - offset());
  std::uint64_t size = 0;
  for (auto it = first; it != stop; ++it) {
    size += entry_size(*it);
    if (!out.empty() && size > max_bytes) break;
    out.push_back(*it);
  }
  return out;
}

std::expected<term_id, error> memory_storage::term(log_index i) {
  if (i < offset()) return std::unexpected{errc::compacted};
  if (i > last()) return std::unexpected{errc::unavailable};
  return ents_[i - offset()].term;
}

std::expected<log_index, error> memory_storage::first_index() {
  return offset() + 1;
}

std::expected<log_index, error> memory_storage::last_index() {
  return last();
}

std::expected<raft::snapshot, error> memory_storage::snapshot() {
  return snapshot_;
}

// -- writes -------------------------------------------------------------------

void memory_storage::set_hard_state(const raft::hard_state& hs) {
  hard_state_ = hs;
}

void memory_storage::set_conf_state(const raft::conf_state& cs) {
  conf_state_ = cs;
}

std::expected<void, error> memory_storage::append(const std::vector<entry>& ents) {
  return append(std::vector<entry>{ents});
}

std::expected<void, error> memory_storage::append(std::vector<entry>&& ents) {
  if (ents.empty()) return {};
  auto first = offset() + 1;
  // Entries already covered by the snapshot are durable in it: skip them.
  if (ents.back().index < first) return {};
  std::size_t skip = first > ents.front().index ? first - ents.front().index : 0;
  auto start = ents[skip].index;
  if (start > last() + 1)
    return std::unexpected{error{errc::unavailable, "append leaves a gap in the log"}};
  // Drop the conflicting (or re-sent) suffix, then append: the caller hands us the leader's
  // authoritative version of these indexes (§5.3).
  ents_.resize(start - offset());
  ents_.insert(ents_.end(),
               std::make_move_iterator(ents.begin() + static_cast<std::ptrdiff_t>(skip)),
               std::make_move_iterator(ents.end()));
  return {};
}

std::expected<void, error> memory_storage::apply_snapshot(raft::snapshot snap) {
  if (snap.meta.index <= snapshot_.meta.index) return std::unexpected{errc::snapshot_out_of_date};
  ents_.clear();
  ents_.push_back(entry{snap.meta.term, snap.meta.index, entry_type::normal, {}});
  conf_state_ = snap.meta.conf;
  snapshot_ = std::move(snap);
  return {};
}

std::expected<raft::snapshot, error> memory_storage::create_snapshot(
    log_index i, std::optional<raft::conf_state> cs, std::string data) {
  if (i <= snapshot_.meta.index) return std::unexpected{errc::snapshot_out_of_date};
  if (i > last()) return std::unexpected{error{errc::unavailable, "snapshot beyond last index"}};
  snapshot_.meta.index = i;
  snapshot_.meta.term = ents_[i - offset()].term;
  if (cs) snapshot_.meta.conf = std::move(*cs);
  snapshot_.data = std::move(data);
  return snapshot_;
}

std::expected<void, error> memory_storage::compact(log_index compact_index) {
  if (compact_index <= offset()) return std::unexpected{errc::compacted};
  if (compact_index > last())
    return std::unexpected{error{errc::unavailable, "compaction beyond last index"}};
  auto n = static_cast<std::ptrdiff_t>(compact_index - offset());
  ents_.erase(ents_.begin(), ents_.begin() + n);
  // The first remaining entry becomes the dummy: it keeps index and term for log matching.
  ents_.front().data.clear();
  ents_.front().type = entry_type::normal;
  return {};
}

}  // namespace rdb::raft
