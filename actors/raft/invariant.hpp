#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace rdb::raft {

/// Stops the process when an invariant of the raft core is broken (a storage that lost
/// acknowledged entries, a commit index beyond the log, ...). Continuing would risk a safety
/// violation, so this is deliberately not an error value.
[[noreturn]] inline void invariant_failed(std::string_view what) {
  std::fprintf(stderr, "raft invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

/// Checks `cond`; see `invariant_failed`.
inline void expects(bool cond, std::string_view what) {
  if (!cond) invariant_failed(what);
}

}  // namespace rdb::raft
