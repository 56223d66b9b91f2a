#pragma once

#include <optional>
#include <vector>

#include "pd/types.hpp"

/// The steps of PD's operators and how one advances against a region's reports. Pure: the
/// cluster state owns the operators, their clock and their persistence of ids.
namespace rdb::pd {

/// Add `added` (a learner on a store without a replica), promote it, remove `from`.
std::vector<operator_step> move_steps(const storage::region_peer& from,
                                      const storage::region_peer& added);

/// Add `added` as a learner and promote it.
std::vector<operator_step> add_steps(const storage::region_peer& added);

/// Remove `peer` (leadership first moves off it if it leads).
std::vector<operator_step> remove_steps(const storage::region_peer& peer);

/// Move leadership to the voter `peer`.
std::vector<operator_step> transfer_steps(const storage::region_peer& peer);

/// Moves `op` past every step the report `r` shows as taken and answers the directive for the
/// next one, computed against `r`'s epoch: none while a learner is still catching up (it is
/// among `r.pending_peers`) and once every step is done (`op.status` becomes finished). A step
/// that can no longer happen (its learner vanished, a peer to promote or lead is gone, the
/// store to add on already holds another replica) sets `op.status` to failed with a reason.
/// A peer to remove that leads gets a transfer to another voter first (the operator's own new
/// voter if it has one): a leader does not remove itself.
directive advance(operator_info& op, const region_info& r);

/// The steps that undo what a stopped operator left behind in `r`: every learner it added that
/// is still a learner is removed. A learner that was promoted stays (the region then has an
/// extra voter, which the replica checker removes); nothing else is undone.
std::vector<operator_step> rollback_steps(const operator_info& op, const region_info& r);

/// The peer of `r` on `store`, if any.
std::optional<storage::region_peer> peer_on(const storage::region_meta& m, store_id store);

/// Number of voters in `m`.
std::size_t voter_count(const storage::region_meta& m);

}  // namespace rdb::pd
