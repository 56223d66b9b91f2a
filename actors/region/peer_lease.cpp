#include "actors/region/peer.hpp"

/// The leader's read lease (Raft thesis §6.4.1).
///
/// A ReadIndex read costs a heartbeat round: the leader must learn that it still leads before
/// it answers from its commit index. A lease replaces that round with time. With CheckQuorum a
/// follower refuses to vote for as long as it heard from its leader within an election timeout
/// (and a restarted one for an election timeout after its start, raft `refuse_votes_after_start`),
/// so once a quorum has received something this leader sent at time t, no other leader can be
/// elected before t plus an election timeout less one tick, measured by the followers' tickers.
/// The lease runs until t + `peer_config::lease`, which the store sets below that by the clock
/// drift it allows between stores.
///
/// Renewals: a committed entry this leader handed out at t (its appends left at t or later),
/// and a ReadIndex round started at t. Losing leadership ends the lease, and no confirmation of
/// anything sent before renews it. While a leader transfer (the transferee campaigns past the
/// refusals) or a membership change is in flight the core allows no lease read
/// (`raw_node::lease_read_possible`); a single membership step keeps the lease sound after it,
/// as every quorum of the new configuration meets every quorum of the old. The clock is
/// monotonic (it keeps running while a process is stopped), so a leader that was paused finds
/// its lease expired.
namespace rdb {

std::chrono::nanoseconds longest_safe_lease(int election_tick,
                                            std::chrono::nanoseconds tick_interval,
                                            std::chrono::nanoseconds max_drift) {
  // A follower's first tick after it heard from us may come at once: it refuses votes for at
  // least `election_tick - 1` tick intervals, on its own clock.
  auto lease = (election_tick - 1) * tick_interval - max_drift;
  return lease.count() > 0 ? lease : std::chrono::nanoseconds{0};
}

std::optional<peer::lease_terms> peer::lease() const {
  if (!lease_valid()) return std::nullopt;
  return lease_terms{lease_until_, raw_.commit_index()};
}

bool peer::lease_valid() const {
  return cfg_.lease.count() > 0 && now_ < lease_until_ && raw_.lease_read_possible();
}

void peer::renew_lease(std::chrono::steady_clock::time_point from, std::uint64_t epoch) {
  if (cfg_.lease.count() <= 0 || epoch != lease_epoch_ || !is_leader()) return;
  auto until = from + cfg_.lease;
  if (until > lease_until_) lease_until_ = until;
}

void peer::suspend_lease() {
  ++lease_epoch_;
  lease_until_ = {};
  lease_marks_.clear();
}

void peer::note_lease_marks(const std::vector<raft::entry>& appended) {
  if (cfg_.lease.count() <= 0 || !is_leader()) return;
  // The appends carrying these entries are in this ready's messages: they leave now or later.
  if (!appended.empty()) lease_marks_.push_back({appended.back().index, now_, lease_epoch_});
  auto committed = raw_.commit_index();
  while (!lease_marks_.empty() && lease_marks_.front().index <= committed) {
    renew_lease(lease_marks_.front().sent, lease_marks_.front().epoch);
    lease_marks_.pop_front();
  }
}

}  // namespace rdb
