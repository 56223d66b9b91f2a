// Membership change one server at a time (thesis §4.1-4.2), learners.

#include <doctest/doctest.h>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

conf_change cc(conf_change_type t, std::uint64_t id) {
  return conf_change{.type = t, .node_id = nid(id)};
}

}  // namespace

TEST_CASE("learner: never campaigns") {
  network net({1, 2}, {}, {3});
  int votes_from_3 = 0;
  net.on_deliver = [&](const message& m) {
    if (m.from == nid(3) && (m.type == message_type::vote || m.type == message_type::pre_vote))
      ++votes_from_3;
  };
  net.tick(3, 100);
  net.node(3).campaign();
  net.settle();
  CHECK(net.node(3).role() == role::follower);
  CHECK(net.node(3).term() == tid(0));
  CHECK(votes_from_3 == 0);
}

TEST_CASE("learner: receives the log but does not count toward a quorum") {
  network net({1, 2}, {}, {3});
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  REQUIRE(net.propose(1, "a"));
  CHECK(net.at(3).applied == std::vector<std::string>{"a"});
  net.isolate(2);
  REQUIRE(net.propose(1, "b"));
  CHECK(net.at(3).storage.last_index().value() == idx(3));  // the learner has it...
  CHECK(net.node(1).commit_index() == idx(2));              // ...but it is not committed
}

TEST_CASE("learner: a learner's vote does not count") {
  network net({1, 2, 3}, {}, {4});
  net.cut(1, 2);
  net.cut(1, 3);
  net.node(1).campaign();
  net.settle();
  // Only its own vote and the learner's grant: no quorum of voters.
  CHECK(net.node(1).role() == role::candidate);
}

TEST_CASE("membership: add a learner, let it catch up by snapshot, promote it to a voter") {
  network net({1, 2});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 3)));
  net.settle();
  CHECK(net.node(1).status().conf.learners == std::vector<node_id>{nid(3)});
  // A new replica starts empty and learns the membership from a snapshot that includes it
  // (replaying the log from index 1 would not tell it the bootstrap membership).
  auto& leader = net.at(1);
  auto applied = leader.node->applied_index();
  REQUIRE(leader.storage.create_snapshot(applied, leader.storage.persisted_conf_state(), "img"));
  REQUIRE(leader.storage.compact(applied));
  net.add_peer(3);
  net.tick_all(3);
  CHECK(net.node(3).commit_index() == applied);
  CHECK(net.node(3).status().conf.learners == std::vector<node_id>{nid(3)});
  // As a learner it does not help: with 2 away nothing commits.
  net.isolate(2);
  REQUIRE(net.propose(1, "b"));
  auto stuck = net.node(1).commit_index();
  auto learner_progress = net.node(1).status().progress.at(2);
  REQUIRE(learner_progress.id == nid(3));
  CHECK(learner_progress.match > stuck);  // the learner holds "b", yet it is not committed
  net.heal();
  net.tick_all(2);
  CHECK(net.node(1).commit_index() > stuck);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_voter, 3)));
  net.settle();
  auto conf = net.node(1).status().conf;
  CHECK(conf.voters == std::vector<node_id>{nid(1), nid(2), nid(3)});
  CHECK(conf.learners.empty());
  CHECK(net.node(3).status().conf.voters == conf.voters);
  // Promoted, it now makes a quorum with the leader.
  net.isolate(2);
  REQUIRE(net.propose(1, "c"));
  CHECK(net.at(3).applied.back() == "c");
  CHECK(net.at(1).applied.back() == "c");
}

TEST_CASE("membership: one change at a time") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 4)));
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 5)).error() ==
        errc::proposal_dropped);
  net.settle();
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 5)).has_value());
  net.settle();
  CHECK(net.node(1).status().conf.learners == std::vector<node_id>{nid(4), nid(5)});
}

TEST_CASE("membership: a new leader changes membership only after committing its own entry") {
  network net({1, 2, 3});
  net.drop_if = [](const message& m) { return m.type == message_type::append_resp; };
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 4)).error() ==
        errc::proposal_dropped);
  net.drop_if = nullptr;
  net.tick(1, 1);
  REQUIRE(net.node(1).commit_index() == idx(1));
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 4)).has_value());
}

TEST_CASE("membership: a removed leader steps down and the rest elect a new one") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::remove_node, 1)));
  net.settle();
  CHECK(net.node(1).role() == role::follower);
  CHECK(net.node(2).status().conf.voters == std::vector<node_id>{nid(2), nid(3)});
  net.tick_all(40);
  bool new_leader = net.node(2).role() == role::leader || net.node(3).role() == role::leader;
  CHECK(new_leader);
  CHECK(net.node(1).role() != role::leader);
  auto lead = net.node(2).leader().value();
  REQUIRE(net.propose(lead, "after-removal"));
  CHECK(net.at(2).applied.back() == "after-removal");
  CHECK(net.at(3).applied.back() == "after-removal");
}

TEST_CASE("membership: adding a voter raises the quorum") {
  network net({1, 2, 3});
  net.elect(1);
  // Node 4 never comes up: with four voters the quorum is three.
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_voter, 4)));
  net.settle();
  REQUIRE(net.node(1).status().conf.voters.size() == 4);
  net.isolate(2);
  auto before = net.node(1).commit_index();
  REQUIRE(net.propose(1, "x"));
  CHECK(net.node(1).commit_index() == before);
  net.heal();
  net.tick_all(2);
  CHECK(net.node(1).commit_index() > before);
}

TEST_CASE("membership: removing a voter lowers the quorum and may commit pending entries") {
  network net({1, 2, 3, 4});
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::remove_node, 4)));
  net.settle();
  REQUIRE(net.node(1).status().conf.voters.size() == 3);
  // {1, 2} is a quorum of three voters, not of four.
  net.isolate(3);
  net.isolate(4);
  REQUIRE(net.propose(1, "x"));
  CHECK(net.at(1).applied.back() == "x");
}

TEST_CASE("conf change: encode and decode round trip, malformed data is refused") {
  conf_change c{.type = conf_change_type::add_learner, .node_id = nid(77), .context = "addr"};
  auto d = conf_change::decode(c.encode());
  REQUIRE(d.has_value());
  CHECK(*d == c);
  CHECK(conf_change::decode("x").error() == errc::malformed);
  std::string bad = c.encode();
  bad[0] = 9;
  CHECK(conf_change::decode(bad).error() == errc::malformed);
}

TEST_CASE(
    "membership: with a group founded at a non-zero index, a new replica starts by snapshot") {
  network net({1, 2, 3});
  net.bootstrap_at(5, 5);
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  REQUIRE(net.node(1).term() == tid(6));
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 4)));
  net.settle();
  // The leader's application keeps a snapshot that reflects the membership it applied.
  auto& leader = net.at(1);
  REQUIRE(leader.storage.create_snapshot(leader.node->applied_index(),
                                         leader.storage.persisted_conf_state(), "img"));
  int snaps = 0;
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::snapshot && m.to == nid(4)) ++snaps;
  };
  net.add_peer(4);
  net.tick_all(3);
  CHECK(snaps == 1);
  CHECK(net.node(4).status().conf.voters == std::vector<node_id>{nid(1), nid(2), nid(3)});
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_voter, 4)));
  net.settle();
  CHECK(net.node(4).status().conf.voters == std::vector<node_id>{nid(1), nid(2), nid(3), nid(4)});
  REQUIRE(net.propose(1, "b"));
  CHECK(net.at(4).applied.back() == "b");
}
