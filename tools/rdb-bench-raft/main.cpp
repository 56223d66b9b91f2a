// rdb-bench-raft: how many entries per second the raft core commits when storage and network
// cost nothing. Three nodes live in one thread, every ready is "persisted" to a memory storage
// and its messages are stepped straight into the receiver. The figure counts entries applied on
// all three nodes (the slowest replica decides), so it is an upper bound for what the core
// itself allows, not an end-to-end number.
//
// Usage: rdb-bench-raft [batch_size=256] [seconds=2]

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "actors/raft/memory_storage.hpp"
#include "actors/raft/raw_node.hpp"

namespace raft = rdb::raft;

namespace {

constexpr std::size_t node_count = 3;
constexpr std::size_t payload_size = 64;

struct bench_node {
  raft::memory_storage storage;
  std::unique_ptr<raft::raw_node> node;
  std::uint64_t applied = 0;
  raft::log_index applied_index;
};

class cluster {
 public:
  cluster() {
    raft::conf_state cs;
    for (std::uint64_t i = 1; i <= node_count; ++i)
      cs.voters.push_back(raft::node_id{i});
    for (std::size_t i = 0; i < node_count; ++i) {
      auto& n = nodes_[i];
      n.storage = raft::memory_storage{cs};
      raft::config cfg;
      cfg.id = raft::node_id{i + 1};
      cfg.max_inflight_msgs = 4096;
      cfg.seed = 42;
      n.node = std::make_unique<raft::raw_node>(cfg, n.storage);
    }
    inbox_.reserve(1024);
  }

  raft::raw_node& leader() { return *nodes_[0].node; }

  /// Runs readys and message delivery until every node is idle.
  void pump() {
    for (;;) {
      bool moved = false;
      for (auto& n : nodes_)
        moved = handle_ready(n) || moved;
      if (inbox_.empty() && !moved) return;
      auto batch = std::move(inbox_);
      inbox_.clear();
      for (auto& m : batch) {
        auto to = m.to.value() - 1;
        (void)nodes_[to].node->step(std::move(m));
      }
    }
  }

  std::uint64_t committed_on_all() const {
    std::uint64_t lo = nodes_[0].applied;
    for (const auto& n : nodes_)
      lo = std::min(lo, n.applied);
    return lo;
  }

  /// Drops applied entries from the storages so memory stays flat over a long run.
  void compact() {
    auto lo = nodes_[0].applied_index;
    for (const auto& n : nodes_)
      lo = std::min(lo, n.applied_index);
    for (auto& n : nodes_) {
      auto first = n.storage.first_index();
      if (first && lo > *first) (void)n.storage.compact(lo);
    }
  }

 private:
  bool handle_ready(bench_node& n) {
    if (!n.node->has_ready()) return false;
    auto rd = n.node->ready();
    if (rd.hard_state) n.storage.set_hard_state(*rd.hard_state);
    (void)n.storage.append(std::move(rd.entries));
    for (auto& m : rd.messages)
      inbox_.push_back(std::move(m));
    for (auto& m : rd.persisted_messages)
      inbox_.push_back(std::move(m));
    for (const auto& e : rd.committed_entries)
      if (!e.data.empty()) ++n.applied;
    if (!rd.committed_entries.empty()) n.applied_index = rd.committed_entries.back().index;
    n.node->advance(rd);
    return true;
  }

  std::array<bench_node, node_count> nodes_;
  std::vector<raft::message> inbox_;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t batch = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
  double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 2.0;
  if (batch == 0) batch = 1;

  cluster c;
  c.leader().campaign();
  c.pump();
  if (c.leader().role() != raft::role::leader) {
    std::fprintf(stderr, "rdb-bench-raft: node 1 did not become leader\n");
    return 1;
  }

  const std::string payload(payload_size, 'x');
  std::vector<std::string> data;
  std::uint64_t proposed = 0;
  std::uint64_t rounds = 0;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < deadline) {
    data.assign(batch, payload);
    if (!c.leader().propose_batch(std::move(data))) {
      std::fprintf(stderr, "rdb-bench-raft: proposal dropped\n");
      return 1;
    }
    proposed += batch;
    c.pump();
    if (++rounds % 64 == 0) {
      c.compact();
      now = std::chrono::steady_clock::now();
    }
  }
  now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start).count();
  auto committed = c.committed_on_all();
  if (committed != proposed) {
    std::fprintf(stderr, "rdb-bench-raft: %llu proposed but %llu committed on all nodes\n",
                 static_cast<unsigned long long>(proposed),
                 static_cast<unsigned long long>(committed));
    return 1;
  }
  std::printf(
      "rdb-bench-raft: %.0f entries/s committed and applied on all 3 nodes "
      "(%llu entries of %zu bytes, batch %zu, %.2f s, one thread, in-memory storage and network)\n",
      static_cast<double>(committed) / elapsed, static_cast<unsigned long long>(committed),
      payload_size, batch, elapsed);
  return 0;
}
