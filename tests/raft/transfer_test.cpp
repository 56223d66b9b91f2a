// Leadership transfer (thesis §3.10).

#include <doctest/doctest.h>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

TEST_CASE("leader transfer: an up-to-date target campaigns at once and wins, even with leases") {
  net_options o;
  o.check_quorum = true;
  network net({1, 2, 3}, o);
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  net.node(1).transfer_leader(nid(2));
  net.settle();
  CHECK(net.node(2).role() == role::leader);
  CHECK(net.node(2).term() == tid(2));
  CHECK(net.node(1).role() == role::follower);
  CHECK(net.node(1).leader() == nid(2));
}

TEST_CASE("leader transfer: a target that is behind catches up before it is told to campaign") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 5; ++i)
    REQUIRE(net.propose(1, "e" + std::to_string(i)));
  net.heal();
  std::size_t last_append_to_3 = 0;
  std::size_t timeout_now_at = 0;
  std::size_t n = 0;
  net.on_deliver = [&](const message& m) {
    ++n;
    if (m.to != nid(3)) return;
    if (m.type == message_type::append && !m.entries.empty()) last_append_to_3 = n;
    if (m.type == message_type::timeout_now && timeout_now_at == 0) timeout_now_at = n;
  };
  net.node(1).transfer_leader(nid(3));
  net.settle();
  REQUIRE(timeout_now_at > 0);
  CHECK(last_append_to_3 > 0);
  CHECK(last_append_to_3 < timeout_now_at);
  CHECK(net.node(3).role() == role::leader);
  CHECK(net.at(3).applied.size() == 5);
}

TEST_CASE("leader transfer: proposals are refused while it is in progress, until it aborts") {
  network net({1, 2, 3});
  net.elect(1);
  // The target is unreachable, so the transfer cannot finish.
  net.isolate(3);
  REQUIRE(net.propose(1, "a"));
  net.node(1).transfer_leader(nid(3));
  net.settle();
  CHECK(net.node(1).status().lead_transferee == nid(3));
  CHECK(net.node(1).propose("b").error() == errc::proposal_dropped);
  // After an election timeout the transfer is abandoned and the leader serves again.
  net.tick(1, 10);
  CHECK(net.node(1).role() == role::leader);
  CHECK(net.node(1).status().lead_transferee.is_none());
  CHECK(net.propose(1, "c").has_value());
  CHECK(net.at(2).applied.back() == "c");
}

TEST_CASE("leader transfer: a follower forwards the request to the leader") {
  network net({1, 2, 3});
  net.elect(1);
  net.node(2).transfer_leader(nid(2));
  net.settle();
  CHECK(net.node(2).role() == role::leader);
}

TEST_CASE("leader transfer: to itself or to a learner is ignored") {
  network net({1, 2, 3}, {}, {4});
  net.elect(1);
  net.node(1).transfer_leader(nid(1));
  net.node(1).transfer_leader(nid(4));
  net.settle();
  CHECK(net.node(1).role() == role::leader);
  CHECK(net.node(1).status().lead_transferee.is_none());
  CHECK(net.node(1).term() == tid(1));
}
