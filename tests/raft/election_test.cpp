// Leader election (§5.2), the voting restriction (§5.4.1), pre-vote (thesis §9.6) and check
// quorum with leader leases (thesis §6.2, §4.2.3).

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

/// Steps `m` into a node and returns the ready it produces (persisted and advanced).
ready step_and_collect(raw_node& n, memory_storage& s, message m) {
  REQUIRE(n.step(std::move(m)).has_value());
  REQUIRE(n.has_ready());
  auto rd = n.ready();
  REQUIRE(s.append(rd.entries).has_value());
  if (rd.hard_state) s.set_hard_state(*rd.hard_state);
  n.advance(rd);
  return rd;
}

message vote_req(std::uint64_t from, std::uint64_t to, std::uint64_t term, std::uint64_t last_term,
                 std::uint64_t last_index) {
  return message{.type = message_type::vote,
                 .to = nid(to),
                 .from = nid(from),
                 .term = tid(term),
                 .log_term = tid(last_term),
                 .index = idx(last_index)};
}

}  // namespace

TEST_CASE("election: a campaign in a healthy cluster elects one leader everyone follows") {
  network net({1, 2, 3});
  net.elect(1);
  CHECK(net.node(1).role() == role::leader);
  for (auto id : {1, 2, 3}) {
    CHECK(net.node(id).leader() == nid(1));
    CHECK(net.node(id).term() == tid(1));
  }
  CHECK(net.node(2).role() == role::follower);
}

TEST_CASE("election safety (§5.2): at most one leader per term under random partitions") {
  for (std::uint64_t seed = 1; seed <= 15; ++seed) {
    net_options o;
    o.seed = seed;
    network net({1, 2, 3, 4, 5}, o);
    std::map<std::uint64_t, std::uint64_t> leader_of_term;
    std::uint64_t x = seed;
    for (int round = 0; round < 300; ++round) {
      if (round % 25 == 0) {
        net.heal();
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        std::set<std::uint64_t> a;
        std::set<std::uint64_t> b;
        for (std::uint64_t id = 1; id <= 5; ++id)
          ((x >> (id * 7)) & 1 ? a : b).insert(id);
        net.partition(a, b);
      }
      net.tick_all();
      for (auto id : net.ids()) {
        if (net.node(id).role() != role::leader) continue;
        auto t = net.node(id).term().value();
        auto [it, fresh] = leader_of_term.emplace(t, id);
        CHECK_MESSAGE(it->second == id, "two leaders in term " << t);
      }
    }
    CHECK(leader_of_term.size() >= 1);
  }
}

TEST_CASE("election: randomized timeouts fall in [election_tick, 2 * election_tick)") {
  std::set<int> seen;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    memory_storage s{conf_state{{nid(1), nid(2), nid(3)}, {}}};
    config c;
    c.id = nid(1);
    c.election_tick = 10;
    c.seed = seed;
    raw_node n{c, s};
    int ticks = 0;
    while (n.role() == role::follower && ticks < 100) {
      n.tick();
      ++ticks;
    }
    CHECK(ticks >= 10);
    CHECK(ticks < 20);
    seen.insert(ticks);
  }
  // Randomness actually spreads the timeouts (split votes resolve).
  CHECK(seen.size() >= 3);
}

TEST_CASE("voting restriction (§5.4.1): a voter rejects a candidate with a less up-to-date log") {
  memory_storage s{conf_state{{nid(1), nid(2), nid(3)}, {}}};
  REQUIRE(s.append({entry{.term = tid(1), .index = idx(1)}, entry{.term = tid(2), .index = idx(2)}})
              .has_value());
  s.set_hard_state(hard_state{.term = tid(2)});
  config c;
  c.id = nid(1);
  raw_node n{c, s};

  SUBCASE("lower last term, longer log: reject") {
    auto rd = step_and_collect(n, s, vote_req(2, 1, 3, 1, 5));
    REQUIRE(rd.persisted_messages.size() == 1);
    CHECK(rd.persisted_messages[0].reject);
    CHECK(n.status().vote.is_none());
  }
  SUBCASE("same last term, shorter log: reject") {
    REQUIRE(s.append({entry{.term = tid(2), .index = idx(3)}}).has_value());
    raw_node n2{c, s};
    auto rd = step_and_collect(n2, s, vote_req(2, 1, 3, 2, 2));
    REQUIRE(rd.persisted_messages.size() == 1);
    CHECK(rd.persisted_messages[0].reject);
  }
  SUBCASE("same last term, same length: grant") {
    auto rd = step_and_collect(n, s, vote_req(2, 1, 3, 2, 2));
    REQUIRE(rd.persisted_messages.size() == 1);
    CHECK_FALSE(rd.persisted_messages[0].reject);
    CHECK(n.status().vote == nid(2));
  }
  SUBCASE("higher last term, shorter log: grant") {
    auto rd = step_and_collect(n, s, vote_req(2, 1, 3, 3, 1));
    REQUIRE(rd.persisted_messages.size() == 1);
    CHECK_FALSE(rd.persisted_messages[0].reject);
  }
}

TEST_CASE("voting restriction in a cluster: a node missing committed entries cannot win") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  REQUIRE(net.propose(1, "a"));
  REQUIRE(net.propose(1, "b"));
  net.heal();
  net.isolate(1);
  net.elect(3);
  CHECK(net.node(3).role() != role::leader);
  CHECK(net.at(2).storage.persisted_hard_state().vote != nid(3));
}

TEST_CASE("election (§5.2): one vote per term, first come first served") {
  memory_storage s{conf_state{{nid(1), nid(2), nid(3)}, {}}};
  config c;
  c.id = nid(1);
  raw_node n{c, s};
  auto rd = step_and_collect(n, s, vote_req(2, 1, 5, 0, 0));
  CHECK_FALSE(rd.persisted_messages.at(0).reject);
  rd = step_and_collect(n, s, vote_req(3, 1, 5, 0, 0));
  CHECK(rd.persisted_messages.at(0).reject);
  // Repeating the vote for the same candidate (a retransmission) is fine.
  rd = step_and_collect(n, s, vote_req(2, 1, 5, 0, 0));
  CHECK_FALSE(rd.persisted_messages.at(0).reject);
}

TEST_CASE("election: a candidate that hears from a leader of its term becomes its follower") {
  network net({1, 2, 3});
  net.cut(1, 2);
  net.cut(1, 3);
  net.node(1).campaign();
  net.settle();
  CHECK(net.node(1).role() == role::candidate);
  net.heal();
  // Node 2 campaigns in a later term and wins; node 1 learns of it through an append.
  net.elect(2);
  CHECK(net.node(2).role() == role::leader);
  CHECK(net.node(1).role() == role::follower);
  CHECK(net.node(1).leader() == nid(2));
}

TEST_CASE("election: a split vote is resolved by a later election") {
  network net({1, 2, 3, 4});
  // 1 and 3 campaign at once in the same term; votes split 2:2.
  net.cut(1, 3);
  net.cut(3, 1);
  net.node(1).campaign();
  net.node(3).campaign();
  net.settle();
  int leaders = 0;
  for (auto id : net.ids())
    leaders += net.node(id).role() == role::leader ? 1 : 0;
  CHECK(leaders <= 1);
  net.heal();
  net.tick_all(40);
  leaders = 0;
  for (auto id : net.ids())
    leaders += net.node(id).role() == role::leader ? 1 : 0;
  CHECK(leaders == 1);
}

TEST_CASE("pre-vote: a partitioned node rejoining does not disrupt the leader") {
  net_options o;
  o.pre_vote = true;
  network net({1, 2, 3}, o);
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  net.isolate(3);
  REQUIRE(net.propose(1, "while-away"));
  net.tick(3, 100);
  // It kept pre-campaigning without moving its term.
  CHECK(net.node(3).term() == tid(1));
  CHECK(net.node(3).role() == role::pre_candidate);
  net.heal();
  net.tick_all(5);
  CHECK(net.node(1).role() == role::leader);
  CHECK(net.node(1).term() == tid(1));
  CHECK(net.node(3).leader() == nid(1));
}

TEST_CASE("without pre-vote the same rejoining node forces a new term") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  REQUIRE(net.propose(1, "while-away"));
  net.tick(3, 100);
  CHECK(net.node(3).term() > tid(1));
  net.heal();
  net.tick_all(30);
  CHECK(net.node(1).term() > tid(1));
}

TEST_CASE("pre-vote: a pre-candidate that wins moves to the next term and wins the election") {
  net_options o;
  o.pre_vote = true;
  network net({1, 2, 3}, o);
  net.elect(2);
  CHECK(net.node(2).role() == role::leader);
  CHECK(net.node(2).term() == tid(1));
}

TEST_CASE("check quorum: a leader that loses contact with a quorum steps down") {
  net_options o;
  o.check_quorum = true;
  network net({1, 2, 3}, o);
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  net.tick(1, 10);
  CHECK(net.node(1).role() == role::leader);  // followers answered heartbeats
  net.isolate(1);
  net.tick(1, 20);
  CHECK(net.node(1).role() == role::follower);
}

TEST_CASE("check quorum lease: followers that hear from a leader ignore vote requests") {
  net_options o;
  o.check_quorum = true;
  network net({1, 2, 3}, o);
  net.elect(1);
  // Node 3 lost the leader's messages only; it campaigns although the leader is fine.
  net.cut(1, 3);
  net.elect(3);
  CHECK(net.node(3).role() != role::leader);
  CHECK(net.node(2).leader() == nid(1));
  CHECK(net.at(2).storage.persisted_hard_state().vote != nid(3));
  CHECK(net.node(1).role() == role::leader);
}

TEST_CASE("check quorum lease: a restarted member refuses votes for an election timeout") {
  for (bool refuse : {false, true}) {
    CAPTURE(refuse);
    net_options o;
    o.check_quorum = true;
    o.pre_vote = true;
    network net({1, 2, 3}, o);
    net.elect(1);
    REQUIRE(net.propose(1, "a"));
    // The leader is cut off; node 2 restarts and forgets it had a leader.
    net.isolate(1);
    net.at(2).cfg.refuse_votes_after_start = refuse;
    net.restart(2);
    net.elect(3);
    // Without the refusal node 2 helps elect node 3 at once, while node 1 may still count on
    // node 2's refusal for its lease.
    CHECK((net.node(3).role() == role::leader) == !refuse);
    if (!refuse) continue;
    // One election timeout later node 2 takes part again: node 2 or 3 is elected.
    net.tick(2, 2 * o.election_tick);
    net.elect(3);
    CHECK((net.node(2).role() == role::leader) != (net.node(3).role() == role::leader));
  }
}

TEST_CASE("proposals are dropped when there is no leader to take them") {
  network net({1, 2, 3});
  CHECK(net.node(2).propose("x").error() == errc::proposal_dropped);
  net.cut(1, 2);
  net.cut(1, 3);
  net.node(1).campaign();
  net.settle();
  REQUIRE(net.node(1).role() == role::candidate);
  CHECK(net.node(1).propose("y").error() == errc::proposal_dropped);
}

TEST_CASE("followers forward proposals to the leader") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(3, "from-follower"));
  for (auto id : {1, 2, 3})
    CHECK(net.at(id).applied == std::vector<std::string>{"from-follower"});
}

TEST_CASE("a stale leader that rejoins learns the newer term from the replies and steps down") {
  net_options o;
  o.pre_vote = true;
  network net({1, 2, 3}, o);
  net.elect(1);
  net.isolate(1);
  net.elect(2);
  REQUIRE(net.node(2).role() == role::leader);
  REQUIRE(net.node(2).term() == tid(2));
  REQUIRE(net.node(1).role() == role::leader);  // it has not noticed yet
  net.heal();
  // Only the stale leader's heartbeats flow: the answers carry term 2.
  net.drop_if = [](const message& m) { return m.from == nid(2); };
  net.tick(1, 1);
  CHECK(net.node(1).role() == role::follower);
  CHECK(net.node(1).term() == tid(2));
}

TEST_CASE("a message of a higher term turns a leader into a follower of that term") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(1);
  net.elect(2);
  net.heal();
  REQUIRE(net.propose(2, "x"));
  net.tick(2, 1);  // the append to 1 was lost; the next heartbeat reaches it
  CHECK(net.node(1).role() == role::follower);
  CHECK(net.node(1).leader() == nid(2));
  CHECK(net.at(1).applied == std::vector<std::string>{"x"});
}
