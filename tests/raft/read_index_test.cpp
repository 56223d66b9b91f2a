// Linearizable reads through ReadIndex (thesis §6.4).

#include <doctest/doctest.h>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

TEST_CASE("read index: answered only after a heartbeat quorum confirms leadership") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  net.drop_if = [](const message& m) { return m.type == message_type::heartbeat_resp; };
  REQUIRE(net.node(1).read_index("r1"));
  net.settle();
  CHECK(net.at(1).reads.empty());
  net.drop_if = nullptr;
  net.tick(1, 1);  // the next heartbeat carries the pending context
  REQUIRE(net.at(1).reads.size() == 1);
  CHECK(net.at(1).reads[0].context == "r1");
  CHECK(net.at(1).reads[0].index == idx(2));
}

TEST_CASE("read index: a new leader holds reads until it commits an entry of its term") {
  network net({1, 2, 3});
  net.elect(1);
  // Node 2 gets "a" but never hears that it committed.
  net.drop_if = [](const message& m) {
    return m.type == message_type::append && m.to == nid(2) && m.commit >= idx(2);
  };
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.node(1).commit_index() == idx(2));
  REQUIRE(net.node(2).commit_index() < idx(2));
  net.isolate(1);
  // Node 2 wins, but its own empty entry does not commit yet.
  net.drop_if = [](const message& m) { return m.type == message_type::append_resp; };
  net.elect(2);
  REQUIRE(net.node(2).role() == role::leader);
  REQUIRE(net.node(2).read_index("r"));
  net.settle();
  net.tick(2, 3);
  CHECK(net.at(2).reads.empty());
  net.drop_if = nullptr;
  net.tick(2, 2);
  REQUIRE(net.at(2).reads.size() == 1);
  // The read must observe "a", which the old leader acknowledged.
  CHECK(net.at(2).reads[0].index >= idx(3));
}

TEST_CASE("read index: a follower forwards the read and learns the leader's index") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.node(3).read_index("f"));
  net.settle();
  net.tick(1, 1);
  REQUIRE(net.at(3).reads.size() == 1);
  CHECK(net.at(3).reads[0].context == "f");
  CHECK(net.at(3).reads[0].index == net.node(1).commit_index());
  CHECK(net.at(1).reads.empty());
}

TEST_CASE("read index: concurrent reads are released together by one confirmation") {
  network net({1, 2, 3});
  net.elect(1);
  net.drop_if = [](const message& m) { return m.type == message_type::heartbeat_resp; };
  REQUIRE(net.node(1).read_index("a"));
  REQUIRE(net.node(1).read_index("b"));
  REQUIRE(net.node(1).read_index("c"));
  net.settle();
  CHECK(net.at(1).reads.empty());
  // Only confirmations of the newest request get through.
  net.drop_if = [](const message& m) {
    return m.type == message_type::heartbeat_resp && m.context != "c";
  };
  net.tick(1, 1);
  REQUIRE(net.at(1).reads.size() == 3);
  CHECK(net.at(1).reads[0].context == "a");
  CHECK(net.at(1).reads[1].context == "b");
  CHECK(net.at(1).reads[2].context == "c");
}

TEST_CASE("read index: without a known leader the read is dropped") {
  network net({1, 2, 3});
  CHECK(net.node(2).read_index("x").error() == errc::proposal_dropped);
}

TEST_CASE("read index: a single voter answers at once") {
  network net({1});
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  REQUIRE(net.node(1).read_index("s"));
  net.settle();
  REQUIRE(net.at(1).reads.size() == 1);
  CHECK(net.at(1).reads[0].index == idx(1));
}

TEST_CASE("read index: a single voter with learners answers without waiting for them") {
  network net({1}, {}, {2});
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  net.isolate(2);
  REQUIRE(net.node(1).read_index("s"));
  net.settle();
  REQUIRE(net.at(1).reads.size() == 1);
  CHECK(net.at(1).reads[0].index == idx(1));
}

TEST_CASE("lease read: possible only on a settled leader with CheckQuorum") {
  net_options o;
  o.check_quorum = true;
  network net({1, 2, 3}, o);
  // A leader whose own empty entry has not committed yet: its commit index may lag.
  net.drop_if = [](const message& m) { return m.type == message_type::append_resp; };
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  CHECK_FALSE(net.node(1).lease_read_possible());
  net.drop_if = nullptr;
  net.tick(1, 1);
  CHECK(net.node(1).lease_read_possible());
  CHECK_FALSE(net.node(2).lease_read_possible());
  // A transfer in flight: the transferee campaigns past the followers' vote refusals.
  net.isolate(3);
  net.node(1).transfer_leader(nid(3));
  net.settle();
  CHECK_FALSE(net.node(1).lease_read_possible());
  net.tick(1, 10);
  REQUIRE(net.node(1).status().lead_transferee.is_none());
  CHECK(net.node(1).lease_read_possible());
  // A membership change proposed and not applied.
  net.drop_if = [](const message& m) { return m.type == message_type::append_resp; };
  REQUIRE(net.node(1).propose_conf_change(
      conf_change{.type = conf_change_type::add_learner, .node_id = nid(4)}));
  net.settle();
  CHECK_FALSE(net.node(1).lease_read_possible());
  net.drop_if = nullptr;
  net.tick(1, 1);
  CHECK(net.node(1).lease_read_possible());
}

TEST_CASE("lease read: never without CheckQuorum, whose vote refusals the lease stands on") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.node(1).role() == role::leader);
  CHECK_FALSE(net.node(1).lease_read_possible());
}
