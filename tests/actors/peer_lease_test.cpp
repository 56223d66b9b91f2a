#include <chrono>

#include "actors/common/errors.hpp"
#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using namespace std::chrono_literals;
using rdb::test::cluster;
using rdb::test::code_of;

namespace {

constexpr int election_tick = peer_config{}.election_tick;
constexpr auto tick = 100ms;

/// A cluster whose leader (store 0) holds a lease as long as the store would give it, with
/// no drift allowed: the clocks of the test are one clock.
struct leased : cluster {
  leased() { lease = longest_safe_lease(election_tick, tick, 0ns); }

  void elect_and_write() {
    start_all(true);
    caf::anon_send(nodes[0].peer, campaign_atom::value);
    sched.run();
    REQUIRE(status(0).is_leader());
    REQUIRE(put(0, "a", "1", 1).engaged());
  }

  /// Reads the write back from the leader; the raft messages the read cost.
  std::uint64_t read_traffic() {
    auto sent = net->delivered();
    auto g = get(0, "a");
    REQUIRE(g.engaged());
    CHECK(g->value == "1");
    return net->delivered() - sent;
  }
};

}  // namespace

TEST_CASE("lease: as long as a follower surely refuses votes, less the drift") {
  CHECK(longest_safe_lease(10, 100ms, 0ns) == 900ms);
  CHECK(longest_safe_lease(10, 100ms, 50ms) == 850ms);
  CHECK(longest_safe_lease(2, 100ms, 100ms) == 0ns);
  CHECK(longest_safe_lease(2, 100ms, 150ms) == 0ns);
}

TEST_CASE_FIXTURE(leased, "lease: a leader serves reads within its lease without raft traffic") {
  elect_and_write();
  CHECK(read_traffic() == 0);
  CHECK(status(0).lease_reads == 1);
}

TEST_CASE_FIXTURE(leased, "lease: without one every read takes a heartbeat round") {
  lease = 0ns;
  elect_and_write();
  CHECK(read_traffic() > 0);
  CHECK(status(0).lease_reads == 0);
}

TEST_CASE_FIXTURE(leased, "lease: once it lapses a read confirms leadership, which renews it") {
  elect_and_write();
  sched.advance_time(lease);
  CHECK(read_traffic() > 0);
  CHECK(status(0).lease_reads == 0);
  // The round's heartbeats were answered: the next read rides the renewed lease.
  CHECK(read_traffic() == 0);
  CHECK(status(0).lease_reads == 1);
}

TEST_CASE_FIXTURE(leased, "lease: a cut-off leader stops serving before a new leader can exist") {
  elect_and_write();
  net->isolate(store_of(0), true);
  // The worst case for the lease: the followers' first tick comes at once, and the old leader
  // itself never ticks (a stalled process keeps thinking it leads). Store 1 campaigns at every
  // tick; store 2 grants its vote as soon as it stops refusing.
  auto tick_followers = [&] {
    for (std::size_t i : {1, 2})
      caf::anon_send(nodes[i].peer, raft_tick_atom::value);
    caf::anon_send(nodes[1].peer, campaign_atom::value);
    sched.run();
  };
  tick_followers();
  auto elapsed = 0ns;
  while (!status(1).is_leader()) {
    REQUIRE(elapsed < 3 * election_tick * tick);
    sched.advance_time(tick);
    elapsed += tick;
    tick_followers();
  }
  MESSAGE("a new leader after " << std::chrono::duration<double>(elapsed).count() << " s");
  CHECK(elapsed >= lease);
  REQUIRE(put(1, "a", "2", 2).engaged());
  // The old leader's lease is over: its read waits for a heartbeat round nobody answers.
  auto stale = test::send_request<get_response>(sys, nodes[0].peer, kv_get_atom::value,
                                                get_request{header(), "a"});
  sched.run();
  CHECK_FALSE(stale->has_value());
  CHECK(status(0).lease_reads == 0);
  // Healed, it learns the new term: the read fails with not_leader, it never sees "1".
  net->isolate(store_of(0), false);
  tick_all(2 * election_tick);
  REQUIRE(stale->has_value());
  REQUIRE_FALSE(stale->value().engaged());
  CHECK(code_of(stale->value().error()) == errc::not_leader);
}

TEST_CASE_FIXTURE(leased, "lease: followers that restart keep refusing votes for its length") {
  elect_and_write();
  // Both followers restart right after acknowledging the write the lease rests on.
  stop_all();
  for (std::size_t i : {1, 2})
    start(i, false);
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  CHECK_FALSE(status(1).is_leader());
  // An election timeout later the refusal is over.
  tick_all(2 * election_tick);
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  CHECK((status(1).is_leader() || status(2).is_leader()));
}

TEST_CASE_FIXTURE(leased, "lease: no read rides the lease while a leader transfer is under way") {
  elect_and_write();
  transfer_to(1);
  // The read comes while the transferee campaigns: the old leader must not serve it by a
  // lease the transferee's forced campaign ignores.
  auto g = test::send_request<get_response>(sys, nodes[0].peer, kv_get_atom::value,
                                            get_request{header(), "a"});
  sched.run();
  CHECK(status(0).lease_reads == 0);
  CHECK(status(1).is_leader());
  REQUIRE(g->has_value());
  CHECK_FALSE(g->value().engaged());
}

TEST_CASE_FIXTURE(leased, "lease: the leader publishes it for local reads, and revokes it") {
  elect_and_write();
  auto now = [&] { return sched.clock().now(); };
  auto terms = grants[0]->current(now());
  REQUIRE(terms.has_value());
  CHECK(terms->commit == status(0).commit);
  CHECK(terms->epoch == meta.epoch);
  CHECK(terms->until == now() + lease);
  for (std::size_t i : {1, 2})
    CHECK_FALSE(grants[i]->current(now()).has_value());
  SUBCASE("a leader transfer revokes it before the transferee is told to campaign") {
    net->isolate(store_of(1), true);
    transfer_to(1);
    sched.run();
    CHECK_FALSE(grants[0]->current(now()).has_value());
    CHECK_FALSE(grants[0]->still_valid(*terms, now()));
  }
  SUBCASE("a leader whose peer is killed grants nothing more") {
    caf::anon_send_exit(nodes[0].peer, caf::exit_reason::kill);
    sched.run();
    CHECK_FALSE(grants[0]->current(now()).has_value());
  }
  SUBCASE("it ends with the lease") {
    sched.advance_time(lease);
    CHECK_FALSE(grants[0]->current(now()).has_value());
  }
}
