#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/raft/strong_id.hpp"

/// Value types shared by the raft core and everything that persists or transports its state.
/// Plain data only: no behaviour beyond comparison.
namespace rdb::raft {

using node_id = strong_id<struct node_id_tag>;
using term_id = strong_id<struct term_id_tag>;
using log_index = strong_id<struct log_index_tag>;

enum class entry_type : std::uint8_t { normal = 0, conf_change = 1 };

struct entry {
  term_id term{};
  log_index index{};
  entry_type type = entry_type::normal;
  std::string data{};

  bool operator==(const entry&) const = default;
};

/// What must be durable before a node answers a vote or acknowledges entries.
struct hard_state {
  term_id term{};
  node_id vote{};
  log_index commit{};

  bool operator==(const hard_state&) const = default;
};

/// Membership of one raft group. Learners receive the log but never vote or count to a quorum.
struct conf_state {
  std::vector<node_id> voters{};
  std::vector<node_id> learners{};

  bool operator==(const conf_state&) const = default;
};

struct snapshot_metadata {
  log_index index{};
  term_id term{};
  conf_state conf{};

  bool operator==(const snapshot_metadata&) const = default;
};

/// A state machine image at `meta.index`. `data` is opaque to raft.
struct snapshot {
  snapshot_metadata meta{};
  std::string data{};

  bool is_empty() const { return meta.index.is_none(); }
  bool operator==(const snapshot&) const = default;
};

}  // namespace rdb::raft
