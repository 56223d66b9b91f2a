// Log compaction and InstallSnapshot (§7), and restart from persisted state.

#include <doctest/doctest.h>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

/// Takes a snapshot of node `id` at its applied index and compacts its log up to there.
log_index snapshot_and_compact(network& net, std::uint64_t id) {
  auto& p = net.at(id);
  auto applied = p.node->applied_index();
  REQUIRE(
      p.storage.create_snapshot(applied, p.storage.persisted_conf_state(), "image").has_value());
  REQUIRE(p.storage.compact(applied).has_value());
  return applied;
}

}  // namespace

TEST_CASE("snapshot: a follower behind the compacted log receives and installs a snapshot") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 10; ++i)
    REQUIRE(net.propose(1, "e" + std::to_string(i)));
  auto snap_index = snapshot_and_compact(net, 1);
  REQUIRE(snap_index == idx(11));
  int snaps = 0;
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::snapshot && m.to == nid(3)) ++snaps;
  };
  net.heal();
  net.tick_all(3);
  CHECK(snaps == 1);
  auto s3 = net.at(3).storage.snapshot();
  REQUIRE(s3.has_value());
  CHECK(s3->meta.index == snap_index);
  CHECK(s3->data == "image");
  CHECK(net.node(3).commit_index() >= snap_index);
  CHECK(net.node(3).applied_index() >= snap_index);
  // Replication continues normally after the snapshot.
  REQUIRE(net.propose(1, "after"));
  CHECK(net.at(3).applied == std::vector<std::string>{"after"});
  for (const auto& p : net.node(1).status().progress)
    if (p.id == nid(3)) CHECK(p.state == progress_state::replicate);
}

TEST_CASE("snapshot: a failed snapshot sends the follower back to probing and is retried") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 3; ++i)
    REQUIRE(net.propose(1, "e"));
  snapshot_and_compact(net, 1);
  net.heal();
  int snaps = 0;
  net.drop_if = [&](const message& m) {
    if (m.type != message_type::snapshot) return false;
    ++snaps;
    return true;
  };
  net.tick(1, 1);
  REQUIRE(snaps == 1);
  auto state_of_3 = [&] {
    for (const auto& p : net.node(1).status().progress)
      if (p.id == nid(3)) return p.state;
    return progress_state::probe;
  };
  CHECK(state_of_3() == progress_state::snapshot);
  net.node(1).report_snapshot(nid(3), false);
  CHECK(state_of_3() == progress_state::probe);
  net.tick(1, 2);
  CHECK(snaps == 2);
  net.drop_if = nullptr;
  net.node(1).report_snapshot(nid(3), false);
  net.tick(1, 3);
  CHECK(net.at(3).storage.snapshot()->meta.index == idx(4));
}

TEST_CASE("snapshot: a snapshot that is not newer than the commit index is ignored") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  auto before = log_terms(net.at(2).storage);
  snapshot old;
  old.meta.index = idx(1);
  old.meta.term = tid(1);
  old.meta.conf = conf_state{{nid(1), nid(2), nid(3)}, {}};
  REQUIRE(net.node(2)
              .step(message{.type = message_type::snapshot,
                            .to = nid(2),
                            .from = nid(1),
                            .term = tid(1),
                            .snapshot = old})
              .has_value());
  net.settle();
  CHECK(net.at(2).storage.snapshot()->meta.index == idx(0));
  CHECK(log_terms(net.at(2).storage) == before);
}

TEST_CASE("restart: a node restarts from hard state, log and snapshot without re-applying") {
  network net({1, 2, 3});
  net.elect(1);
  for (int i = 0; i < 5; ++i)
    REQUIRE(net.propose(1, "e" + std::to_string(i)));
  snapshot_and_compact(net, 2);
  REQUIRE(net.propose(1, "late"));
  auto term = net.node(2).term();
  auto commit = net.node(2).commit_index();
  net.restart(2);
  CHECK(net.node(2).term() == term);
  CHECK(net.node(2).commit_index() == commit);
  CHECK(net.node(2).role() == role::follower);
  CHECK_FALSE(net.node(2).has_ready());
  // It keeps working as a member: it can even lead.
  net.isolate(1);
  net.elect(2);
  CHECK(net.node(2).role() == role::leader);
  REQUIRE(net.propose(2, "new"));
  CHECK(net.at(2).applied.back() == "new");
  CHECK(net.at(3).applied.back() == "new");
}

TEST_CASE("restart: entries committed but not applied before the crash are applied again") {
  network net({1, 2, 3});
  net.elect(1);
  for (int i = 0; i < 3; ++i)
    REQUIRE(net.propose(1, "e" + std::to_string(i)));
  // Pretend node 3 applied only the first two entries before crashing.
  auto& p = net.at(3);
  p.applied_entries.resize(2);
  p.applied.clear();
  net.restart(3);
  REQUIRE(net.node(3).has_ready());
  auto rd = net.node(3).ready();
  REQUIRE(rd.committed_entries.size() == 2);
  CHECK(rd.committed_entries[0].index == idx(3));
  CHECK(rd.committed_entries[1].data == "e2");
  net.node(3).advance(rd);
}

TEST_CASE("restart: the vote survives a restart, so a node never votes twice in a term") {
  network net({1, 2, 3});
  net.cut(1, 3);
  net.cut(3, 1);
  net.node(1).campaign();
  net.settle();
  REQUIRE(net.at(2).storage.persisted_hard_state().vote == nid(1));
  net.restart(2);
  // Node 3 campaigns in the same term node 2 already voted in.
  REQUIRE(net.node(2)
              .step(message{.type = message_type::vote,
                            .to = nid(2),
                            .from = nid(3),
                            .term = net.node(2).term(),
                            .log_term = tid(1),
                            .index = idx(1)})
              .has_value());
  auto rd = net.node(2).ready();
  auto* resp = find_msg(rd.persisted_messages, message_type::vote_resp);
  REQUIRE(resp != nullptr);
  CHECK(resp->reject);
  net.node(2).advance(rd);
}
