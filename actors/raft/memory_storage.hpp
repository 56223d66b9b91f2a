#pragma once

#include <optional>
#include <vector>

#include "actors/raft/log_storage.hpp"

namespace rdb::raft {

/// A `log_storage` held in memory: for tests, simulations and benchmarks. Not thread-safe.
///
/// `ents_[0]` is a dummy entry carrying the snapshot's index and term, so `term()` of the entry
/// right before the first real one is always answerable.
class memory_storage final : public log_storage {
 public:
  memory_storage();

  /// Bootstraps a group: the membership is recorded as if by a snapshot at index 0. Every
  /// founding member starts from the same membership. A replica added later starts from an
  /// empty storage instead and must be brought up by a snapshot that includes it (the leader
  /// sends one once its log is compacted past the new replica's needs): replaying the log from
  /// index 1 would show it the membership changes but not the founding membership. Founding a
  /// group from a snapshot at an index above 0 (`apply_snapshot`) guarantees that.
  explicit memory_storage(raft::conf_state initial);

  // -- log_storage --

  std::expected<storage_state, error> initial_state() override;
  std::expected<std::vector<entry>, error> entries(log_index lo, log_index hi,
                                                   std::uint64_t max_bytes) override;
  std::expected<term_id, error> term(log_index i) override;
  std::expected<log_index, error> first_index() override;
  std::expected<log_index, error> last_index() override;
  std::expected<raft::snapshot, error> snapshot() override;

  // -- writes, done by the application while handling a ready --

  /// Persists a hard state.
  void set_hard_state(const raft::hard_state& hs);

  /// Records the membership the application has applied, returned by `initial_state`.
  void set_conf_state(const raft::conf_state& cs);

  /// Appends entries; an entry that conflicts with a stored one replaces it and everything
  /// after it (§5.3). Entries must be contiguous and must not start past last_index() + 1.
  std::expected<void, error> append(const std::vector<entry>& ents);

  /// As above, moving the entries in.
  std::expected<void, error> append(std::vector<entry>&& ents);

  /// Replaces the whole log by a snapshot received from the leader.
  std::expected<void, error> apply_snapshot(raft::snapshot snap);

  /// Records a snapshot of the state machine at `i` (which must be <= last_index()).
  std::expected<raft::snapshot, error> create_snapshot(log_index i,
                                                       std::optional<raft::conf_state> cs,
                                                       std::string data);

  /// Discards entries before `compact_index`; the application compacts only applied entries.
  std::expected<void, error> compact(log_index compact_index);

  // -- observers --

  const raft::hard_state& persisted_hard_state() const { return hard_state_; }
  const raft::conf_state& persisted_conf_state() const { return conf_state_; }

 private:
  log_index offset() const { return ents_.front().index; }
  log_index last() const { return ents_.back().index; }

  raft::hard_state hard_state_;
  raft::conf_state conf_state_;
  raft::snapshot snapshot_;
  std::vector<entry> ents_;
};

}  // namespace rdb::raft
