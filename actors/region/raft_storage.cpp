#include "actors/region/raft_storage.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

namespace rdb {

storage::result<std::unique_ptr<raft_storage>> raft_storage::open(const storage::engines& st,
                                                                  region_id region) {
  auto not_founded = [&] {
    return storage::fail(storage::errc::not_found,
                         "region " + std::to_string(region.value()) + " was never founded here");
  };
  std::optional<storage::region_local_state> local;
  std::optional<storage::apply_state> applied;
  {
    auto kv = st.kv->read();
    if (!kv) return std::unexpected{kv.error()};
    auto l = kv->load_region_state(region);
    if (!l) return std::unexpected{l.error()};
    auto a = kv->load_apply_state(region);
    if (!a) return std::unexpected{a.error()};
    local = std::move(*l);
    applied = *a;
  }
  if (!local || !applied) return not_founded();
  const auto& log = *st.raft;
  auto truncated = log.truncated(region);
  auto hard = log.hard_state(region);
  // A region a split founded has only its kv half (actors/store/writer_types.hpp): an empty
  // log truncated at nothing, which the kv truncation below then replaces.
  if (!truncated) truncated = storage::apply_state{};
  if (!hard) hard = raft::hard_state{};
  auto last = log.last_index(region);
  if (!last) return std::unexpected{last.error()};
  auto last_term = log.term(region, *last);
  if (!last_term) return std::unexpected{last_term.error()};
  // A snapshot's install writes the kv environment first: if the log's reset did not follow,
  // the snapshot replaced the log, whatever the log still holds.
  bool reset = applied->truncated_index > truncated->truncated_index;
  if (reset) {
    truncated = *applied;
    last = applied->truncated_index;
    last_term = applied->truncated_term;
    if (hard->term < applied->truncated_term) {
      // A vote of an older term says nothing about this one.
      hard->term = applied->truncated_term;
      hard->vote = raft::node_id{};
    }
  }
  // The kv environment is written only after the log half of the same ready is durable, so
  // its applied index never passes the log (storage/engines.hpp).
  if (applied->applied_index > *last)
    return storage::fail(storage::errc::storage_corrupt,
                         "region " + std::to_string(region.value()) + " applied index " +
                             std::to_string(applied->applied_index.value()) +
                             " is past its log (last index " + std::to_string(last->value()) + ")");
  // A ready whose log half is only a new commit index is not written (peer::needs_no_log_write):
  // what was applied was committed, so the commit index is at least the applied one.
  hard->commit = std::max(hard->commit, applied->applied_index);
  std::unique_ptr<raft_storage> out{new raft_storage(st.raft, region)};
  out->local_ = std::move(*local);
  out->apply_ = storage::apply_state{applied->applied_index, truncated->truncated_index,
                                     truncated->truncated_term};
  out->hard_ = *hard;
  out->last_ = *last;
  out->last_term_ = *last_term;
  out->log_reset_pending_ = reset;
  return out;
}

storage::result<std::unique_ptr<raft_storage>> raft_storage::open_uninitialized(
    const storage::engines& st, region_id region) {
  {
    auto kv = st.kv->read();
    if (!kv) return std::unexpected{kv.error()};
    auto l = kv->load_region_state(region);
    if (!l) return std::unexpected{l.error()};
    if (*l && (*l)->state != storage::peer_state::tombstone)
      return storage::fail(
          storage::errc::invalid_argument,
          "region " + std::to_string(region.value()) + " already has an initialized replica here");
  }
  std::unique_ptr<raft_storage> out{new raft_storage(st.raft, region)};
  out->local_.region.id = region;
  out->local_.state = storage::peer_state::applying;
  // The vote and commit index belong to a replica that is gone (and this one never votes, see
  // peer::step): only the term is worth keeping.
  if (auto hard = st.raft->hard_state(region)) out->hard_.term = hard->term;
  return out;
}

raft::conf_state raft_storage::conf_state_of(const storage::region_meta& meta) {
  raft::conf_state cs;
  for (const auto& p : meta.peers) {
    if (p.role == storage::peer_role::voter)
      cs.voters.push_back(p.id);
    else
      cs.learners.push_back(p.id);
  }
  return cs;
}

raft::error raft_storage::to_raft_error(const storage::error& e) {
  switch (e.code) {
    case storage::errc::compacted:
      return raft::error{raft::errc::compacted, e.message};
    case storage::errc::unavailable:
      return raft::error{raft::errc::unavailable, e.message};
    default:
      return raft::error{raft::errc::storage_failure, e.message};
  }
}

std::expected<raft::storage_state, raft::error> raft_storage::initial_state() {
  return raft::storage_state{hard_, conf_state_of(local_.region)};
}

std::expected<std::vector<raft::entry>, raft::error> raft_storage::entries(
    raft::log_index lo, raft::log_index hi, std::uint64_t max_bytes) {
  if (lo <= apply_.truncated_index) return std::unexpected{raft::errc::compacted};
  if (hi > last_ + 1) return std::unexpected{raft::errc::unavailable};
  if (lo >= hi) return std::vector<raft::entry>{};
  if (cached_from(lo)) {
    // The same budget rule as the store's: at least one entry, then whole entries that fit.
    std::vector<raft::entry> out;
    std::uint64_t size = 0;
    auto front = cache_.front().index;
    for (auto i = lo; i < hi; ++i) {
      const auto& e = cache_[i - front];
      size += raft::entry_size(e);
      if (!out.empty() && size > max_bytes) break;
      out.push_back(e);
    }
    return out;
  }
  ++disk_reads_;
  auto ents = log_->entries(region_, lo, hi, max_bytes);
  if (!ents) return std::unexpected{to_raft_error(ents.error())};
  return std::move(*ents);
}

std::expected<raft::term_id, raft::error> raft_storage::term(raft::log_index i) {
  if (i == last_) return last_term_;
  if (i == apply_.truncated_index) return apply_.truncated_term;
  if (i < apply_.truncated_index) return std::unexpected{raft::errc::compacted};
  if (i > last_) return std::unexpected{raft::errc::unavailable};
  if (cached_from(i)) return cache_[i - cache_.front().index].term;
  ++disk_reads_;
  auto t = log_->term(region_, i);
  if (!t) return std::unexpected{to_raft_error(t.error())};
  return *t;
}

std::expected<raft::log_index, raft::error> raft_storage::first_index() {
  return apply_.truncated_index + 1;
}

std::expected<raft::log_index, raft::error> raft_storage::last_index() {
  return last_;
}

std::expected<raft::snapshot, raft::error> raft_storage::snapshot() {
  // One that no longer reaches the log would leave a gap behind it.
  if (prepared_ && prepared_->meta.index >= apply_.truncated_index &&
      prepared_epoch_ == local_.region.epoch)
    return *prepared_;
  snapshot_wanted_ = true;
  return std::unexpected{raft::errc::snapshot_temporarily_unavailable};
}

std::optional<raft::snapshot> raft_storage::prepare(raft::snapshot snap,
                                                    const storage::region_epoch& made_at) {
  if (made_at != local_.region.epoch) return snap;
  auto old = std::move(prepared_);
  prepared_ = std::move(snap);
  prepared_epoch_ = made_at;
  return old;
}

void raft_storage::on_installed(raft::log_index index, raft::term_id term,
                                const std::optional<raft::hard_state>& hs,
                                const storage::region_local_state& rs) {
  if (hs) hard_ = *hs;
  hard_.commit = std::max(hard_.commit, index);
  apply_ = storage::apply_state{index, index, term};
  local_ = rs;
  last_ = index;
  last_term_ = term;
  cache_.clear();
  cache_bytes_ = 0;
  log_reset_pending_ = false;
}

void raft_storage::on_persisted(const write_task& task) {
  if (!task.entries.empty()) {
    // The writer replaced any conflicting suffix, so the log now ends where the task ends.
    last_ = task.entries.back().index;
    last_term_ = task.entries.back().term;
    cache_entries(task.entries);
  }
  if (task.has_hard_state) hard_ = task.hard_state;
  if (task.has_apply_state) {
    // A ready taken before a compaction carries the truncated index of its time.
    auto truncated = std::pair{apply_.truncated_index, apply_.truncated_term};
    apply_ = task.apply_state;
    if (truncated.first > apply_.truncated_index)
      std::tie(apply_.truncated_index, apply_.truncated_term) = truncated;
  }
  if (task.has_region_state) local_ = task.region_state;
  evict();
}

bool raft_storage::compact(raft::log_index up_to) {
  if (up_to <= apply_.truncated_index || up_to > apply_.applied_index || up_to > last_)
    return false;
  auto t = term(up_to);
  if (!t) return false;
  apply_.truncated_index = up_to;
  apply_.truncated_term = *t;
  evict();
  return true;
}

void raft_storage::cache_entries(const std::vector<raft::entry>& ents) {
  auto first = ents.front().index;
  while (!cache_.empty() && cache_.back().index >= first) {
    cache_bytes_ -= raft::entry_size(cache_.back());
    cache_.pop_back();
  }
  // Entries must stay consecutive; a gap (the cache was evicted past `first`) starts afresh.
  if (!cache_.empty() && cache_.back().index + 1 != first) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  for (const auto& e : ents) {
    cache_bytes_ += raft::entry_size(e);
    cache_.push_back(e);
  }
}

void raft_storage::evict() {
  while (!cache_.empty() &&
         (cache_.front().index <= apply_.applied_index || cache_bytes_ > entry_cache_bytes)) {
    cache_bytes_ -= raft::entry_size(cache_.front());
    cache_.pop_front();
  }
}

}  // namespace rdb
