#pragma once

#include "actors/raft/strong_id.hpp"
#include "actors/raft/types.hpp"

/// Identifiers of the multi-raft layer. A peer id is the raft node id of one region replica;
/// PD hands out peer ids from the same allocator as region ids, so they are unique cluster-wide.
namespace rdb {

using region_id = strong_id<struct region_id_tag>;
using store_id = strong_id<struct store_id_tag>;
using cluster_id = strong_id<struct cluster_id_tag>;
using peer_id = raft::node_id;

}  // namespace rdb
