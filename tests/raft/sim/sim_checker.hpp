#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/raft/types.hpp"

/// Safety invariants of a raft group, checked by the simulation after every event. Each
/// method records a violation (a readable sentence) instead of throwing, so a run reports
/// everything it saw along with its seed.
namespace rdb::raft::sim {

class checker {
 public:
  /// The state every initial replica starts from: index and hash chain of the boot snapshot.
  void on_bootstrap(log_index index, std::uint64_t chain);

  /// Election safety (§5.2): at most one leader per term.
  void on_leader(node_id id, term_id term);

  /// Commit never goes backwards on a node, in memory or across restarts.
  void on_commit(node_id id, log_index before, log_index now, const char* what);

  /// State machine safety (§5.4.3): the entry applied at an index is the same everywhere, and
  /// every node applies indexes in order. Returns the hash chain after `index`.
  std::uint64_t on_apply(node_id id, log_index index, term_id term, std::uint64_t chain_before,
                         const std::string& data);

  /// A snapshot restores a state machine that some node really had at that index.
  void on_restore(node_id id, log_index index, std::uint64_t chain);

  /// Log matching (§5.3) of committed prefixes: the entry a node holds at a committed index
  /// has the term the cluster committed there.
  void on_committed_entry(node_id id, log_index index, term_id term);

  /// Linearizable reads (§6.4): a read must not be served below an index that was applied
  /// anywhere before it was issued.
  void on_read(node_id id, log_index read_index, log_index applied_at_issue);

  /// Records a violation found by the caller (e.g. storage refusing what raft handed out).
  void report(std::string what);

  /// Highest index applied anywhere so far.
  log_index max_applied() const { return max_applied_; }

  const std::vector<std::string>& violations() const { return violations_; }

 private:
  std::map<term_id, node_id> leaders_;
  /// Per committed index: the term and the hash chain after applying it.
  std::vector<term_id> committed_terms_;
  std::vector<std::uint64_t> chains_;
  log_index max_applied_;
  std::vector<std::string> violations_;
};

/// FNV-1a step, used for hash chains and the trace hash.
inline std::uint64_t fnv(std::uint64_t h, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace rdb::raft::sim
