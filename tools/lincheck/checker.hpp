#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/lincheck/history.hpp"

/// A linearizability checker for histories of a key-value store whose keys are independent
/// registers (put, get, delete, compare-and-swap).
///
/// The history is split by key (a key-value store is linearizable iff every key is, since
/// operations touch one key each, as Porcupine partitions), and each key is searched as Wing
/// and Gong did, with Lowe's memoization: depth first over "which operation takes effect
/// next", where an operation may go next only if no pending operation returned before it was
/// invoked, and a state (the set of operations taken effect, the register's value) seen once is
/// never searched again.
///
/// Outcomes: a `fail` operation never took effect and is left out; an `unknown` write may take
/// effect at any point after its invocation or never (its return is taken as infinitely late);
/// an `unknown` read constrains nothing and is left out. A search that exceeds its budget is a
/// failure, never a pass.
namespace rdb::lincheck {

struct check_options {
  /// States one key's search may visit before it gives up (and fails).
  std::uint64_t max_states = 10'000'000;
};

/// The verdict on one key.
struct key_verdict {
  std::string key;
  bool linearizable = false;
  /// The search gave up at `check_options::max_states`: not known to be linearizable.
  bool budget_exceeded = false;
  std::uint64_t states = 0;
  /// The key's operations, in invocation order, as the search saw them (fails and unknown
  /// reads left out).
  std::vector<operation> ops;
};

struct report {
  /// Every key linearizable within its budget.
  bool linearizable = true;
  std::size_t operations = 0;
  std::size_t keys = 0;
  std::uint64_t states = 0;
  /// The keys that are not linearizable or ran out of budget, fewest operations first.
  std::vector<key_verdict> failures;
};

/// Checks one key's operations (all of the same key).
key_verdict check_key(std::string key, std::vector<operation> ops, const check_options& opts = {});

/// Checks a whole history.
report check(const std::vector<operation>& history, const check_options& opts = {});

}  // namespace rdb::lincheck
