// What a region replica writes for each ready: a ready that only moves the commit index goes
// to the apply writer without a log write, and a replica restarted after such readies opens.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <vector>

#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using namespace rdb::test;

namespace {

/// The log halves each replica handed to its log writer, by store index.
using log_tasks = std::map<std::size_t, std::vector<write_task>>;

/// Records every log half of replica `i` and passes it on to the real writer.
store_writer_actor spawn_recorder(caf::actor_system& sys, std::size_t i, store_writer_actor writer,
                                  std::shared_ptr<log_tasks> seen) {
  return sys.spawn([=](store_writer_actor::pointer self) -> store_writer_actor::behavior_type {
    return {
        [=](persist_atom, write_task& task) {
          (*seen)[i].push_back(task);
          caf::send_as(caf::actor_cast<caf::actor>(self->current_sender()), writer,
                       persist_atom::value, std::move(task));
        },
        [=](flush_atom) { self->send(writer, flush_atom::value); },
        [=](commit_due_atom) {},
        [=](bootstrap_atom, storage::region_meta& m) {
          return self->delegate(writer, bootstrap_atom::value, std::move(m));
        },
        [=](stats_atom) { return self->delegate(writer, stats_atom::value); },
    };
  });
}

struct recorded_cluster : cluster {
  std::shared_ptr<log_tasks> seen = std::make_shared<log_tasks>();

  recorded_cluster() {
    writer_for = [this](std::size_t i, store_writer_actor w) {
      return spawn_recorder(sys, i, w, seen);
    };
    start_all(true);
    caf::anon_send(nodes[0].peer, campaign_atom::value);
    sched.run();
    tick_all(2);
  }

  /// Log halves of replica `i` that carry no entry and keep term and vote: only a commit.
  int commit_only(std::size_t i) {
    int n = 0;
    raft::hard_state last;
    for (const auto& t : (*seen)[i]) {
      if (t.entries.empty() && t.has_hard_state && t.hard_state.term == last.term &&
          t.hard_state.vote == last.vote)
        ++n;
      if (t.has_hard_state) last = t.hard_state;
    }
    return n;
  }
};

}  // namespace

TEST_CASE_FIXTURE(recorded_cluster,
                  "region: a ready that only moves the commit index is not written to the log") {
  seen->clear();
  for (int k = 0; k < 5; ++k)
    REQUIRE(put(0, "k" + std::to_string(k), "v").engaged());
  // Followers learn the last commit from the leader's next heartbeat.
  tick_all(2);
  auto leader = status(0);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("replica " << i);
    CHECK(commit_only(i) == 0);
    // Each put's entry was written once, on each replica.
    std::size_t entries = 0;
    for (const auto& t : (*seen)[i])
      entries += t.entries.size();
    CHECK(entries == 5);
    // And every replica applied them all.
    auto s = status(i);
    CHECK(s.commit == leader.commit);
    CHECK(s.applied == leader.commit);
  }
}

TEST_CASE_FIXTURE(recorded_cluster,
                  "region: a replica whose log holds an older commit than it applied restarts") {
  for (int k = 0; k < 3; ++k)
    REQUIRE(put(0, "k" + std::to_string(k), "v" + std::to_string(k)).engaged());
  tick_all(2);
  auto before = status(1);
  REQUIRE(before.applied == status(0).commit);
  // The follower learned the last commit from a heartbeat, which wrote nothing to its log.
  REQUIRE(nodes[1].store.raft->hard_state(meta.id)->commit < before.applied);
  stop_all();
  start_all(false);
  auto after = status(1);
  CHECK(after.applied == before.applied);
  CHECK(after.commit >= before.applied);
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(1).is_leader());
  for (int k = 0; k < 3; ++k) {
    auto g = get(1, "k" + std::to_string(k));
    REQUIRE(g.engaged());
    CHECK(g->value == "v" + std::to_string(k));
  }
}
