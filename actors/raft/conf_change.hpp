#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "actors/raft/errors.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// Kinds of single-node membership change. Pinned numbers: they are persisted in log entries.
enum class conf_change_type : std::uint8_t {
  /// Adds a voter, or promotes an existing learner to a voter.
  add_voter = 0,
  /// Adds a learner: it receives the log but never votes and never counts toward a quorum.
  add_learner = 1,
  /// Removes a voter or learner.
  remove_node = 2,
};

std::string_view to_string(conf_change_type t);

/// One membership change, carried as the data of an entry of type `entry_type::conf_change`.
/// Changes take effect when the application applies the committed entry and calls
/// `raw_node::apply_conf_change` (one change at a time, no joint consensus).
struct conf_change {
  conf_change_type type = conf_change_type::add_voter;
  raft::node_id node_id{};
  /// Opaque to raft: e.g. the address of the new peer.
  std::string context{};

  bool operator==(const conf_change&) const = default;

  /// Serialises into entry data: one type byte, 8 bytes of node id (little endian), context.
  std::string encode() const;

  /// Parses entry data written by `encode`.
  static std::expected<conf_change, error> decode(std::string_view data);
};

}  // namespace rdb::raft
