#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "actors/raft/types.hpp"

namespace rdb {

/// The writes a leader replica proposed and still owes an answer, keyed by the log index and
/// term their entry got.
///
/// A proposal's entry is appended to the leader's log when proposed, so it shows up in the very
/// next ready; until then it is "unbound" and known by the tag encoded in its command. Binding
/// moves it under (index, term). When the entry at that index is applied, the proposal
/// succeeded only if the applied entry has the same term (otherwise a new leader overwrote it,
/// and the client must retry). Plain data structure; the region peer decides what to answer.
class proposal_queue {
 public:
  struct proposal {
    std::uint64_t token = 0;
    std::uint64_t tag = 0;
    raft::log_index index;
    raft::term_id term;
  };

  bool empty() const { return unbound_.empty() && bound_.empty(); }
  std::size_t size() const { return unbound_.size() + bound_.size(); }

  /// Records a proposal raft just accepted.
  void add(std::uint64_t tag, std::uint64_t token);

  /// Binds the unbound proposal `tag` to its entry; false if no such proposal waits.
  bool bind(std::uint64_t tag, raft::log_index index, raft::term_id term);

  /// Removes and returns every proposal still unbound (its entry never appeared: raft dropped
  /// it, e.g. a refused conf change).
  std::vector<proposal> take_unbound();

  /// Removes and returns the proposal bound at `index`, if any.
  bool take_at(raft::log_index index, proposal& out);

  /// Removes and returns every bound proposal at or below `index`: their entries were applied
  /// without being theirs.
  std::vector<proposal> take_up_to(raft::log_index index);

  /// Removes and returns every bound proposal above `index` (leadership lost: entries past
  /// the commit index may never commit).
  std::vector<proposal> take_after(raft::log_index index);

 private:
  std::map<std::uint64_t, proposal> unbound_;
  std::map<raft::log_index, proposal> bound_;
};

}  // namespace rdb
