// Log compaction: the leader's decision, every replica's compaction once its apply is durable,
// what holds it back, and restarts from a compacted log.
#include <doctest/doctest.h>

#include <string>

#include "actors/store/region_bootstrap.hpp"
#include "tests/actors/compacting_cluster.hpp"

using namespace rdb;
using namespace rdb::test;

TEST_CASE_FIXTURE(
    compacting_cluster,
    "compaction: every replica drops the log all hold, and a restart keeps the rest") {
  int next = 40;
  write(0, next);
  auto written = status(0).commit;
  compact_past(founding_index + 20, next);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("replica " << i);
    // Compacted only up to what it applied durably, never past its log.
    CHECK(first_index(i) <= status(i).applied);
    auto gone = nodes[i].store.raft->entries(meta.id, founding_index + 1, written, UINT64_MAX);
    REQUIRE_FALSE(gone.has_value());
    CHECK(gone.error().code == storage::errc::compacted);
  }
  stop_all();
  start_all(false);
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(1).is_leader());
  for (int n = 0; n < next; ++n) {
    auto g = get(1, "k" + std::to_string(n));
    REQUIRE(g.engaged());
    CHECK(g->value == "v" + std::to_string(n));
  }
  // The client sessions survived the compaction: a retry of an early write changes nothing.
  REQUIRE(test::ask<write_response>(sys, sched, nodes[1].peer, kv_put_atom::value,
                                    put_request{header(), "k3", "again", client_id{1}, 4})
              .engaged());
  CHECK(get(1, "k3")->value == "v3");
}

TEST_CASE_FIXTURE(compacting_cluster, "compaction: a replica that is behind holds it back") {
  net->isolate(store_of(2), true);
  write(0, 40);
  tick_all(6);
  write(40, 45);
  tick_all(6);
  // Replica 2 holds nothing past the founding state: nobody may drop what it still needs.
  CHECK(first_index(0) == founding_index + 1);
  CHECK(first_index(1) == founding_index + 1);
  auto written = status(0).commit;
  net->isolate(store_of(2), false);
  tick_all(4);
  CHECK(status(2).applied >= written);
  int next = 45;
  compact_past(founding_index + 20, next);
  CHECK(get(0, "k44")->value == "v44");
}

TEST_CASE_FIXTURE(compacting_cluster,
                  "compaction: a replica added to a compacted log catches up by snapshot") {
  int next = 40;
  write(0, next);
  compact_past(founding_index + 20, next);
  storage::region_peer learner{peer_id{14}, store_id{4}, storage::peer_role::learner};
  auto res = test::ask<write_response>(
      sys, sched, nodes[0].peer, change_peer_atom::value,
      change_peer_request{header(), peer_change_kind::add_learner, learner});
  REQUIRE(res.engaged());
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.peers.size() == 4);
  join(3, learner.id);
  for (int round = 0; round < 30 && status(3).applied < status(0).applied; ++round)
    tick_all(1);
  REQUIRE(status(3).applied == status(0).applied);
  // Nothing before the snapshot was replayed: its log starts where the leader's did.
  CHECK(nodes[3].store.raft->first_index(meta.id).value() > founding_index + 20);
  CHECK(status(3).region == current);
  auto view = nodes[3].store.kv->read().value();
  for (int n = 0; n < next; ++n)
    CHECK(view.get("k" + std::to_string(n)).value() ==
          std::optional<std::string>{"v" + std::to_string(n)});
}
