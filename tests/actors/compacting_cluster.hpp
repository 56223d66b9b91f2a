#pragma once

#include <cstdint>
#include <string>

#include "tests/actors/peer_cluster_fixture.hpp"

namespace rdb::test {

/// A cluster whose leader (store 0) compacts its log at every tick once 8 entries can go, and
/// past a replica more than `count_limit` entries behind.
struct compacting_cluster : cluster {
  explicit compacting_cluster(std::uint64_t count_limit = peer_config{}.log_gc_count_limit) {
    log_gc_ticks = 1;
    log_gc_threshold = 8;
    log_gc_count_limit = count_limit;
    start_all(true);
    caf::anon_send(nodes[0].peer, campaign_atom::value);
    sched.run();
  }

  /// Client 1 writes key "k<n>" = "v<n>" with sequence n + 1, for n in [from, to).
  void write(int from, int to) {
    for (int n = from; n < to; ++n)
      REQUIRE(put(0, "k" + std::to_string(n), "v" + std::to_string(n), n + 1).engaged());
  }

  raft::log_index first_index(std::size_t i) {
    return nodes[i].store.raft->first_index(meta.id).value();
  }

  /// Writes and ticks until the log of every replica starts past `index`, bounded.
  void compact_past(raft::log_index index, int& next) {
    for (int round = 0; round < 20; ++round) {
      bool done = true;
      for (std::size_t i = 0; i < 3; ++i)
        done = done && first_index(i) > index;
      if (done) return;
      write(next, next + 1);
      ++next;
      tick_all(2);
    }
    FAIL("the logs were not compacted past " << index.value());
  }
};

}  // namespace rdb::test
