// Snapshots between replicas: a follower that fell behind the leader's compacted log is caught
// up by a snapshot of the leader's state machine, installs it kv first and log second, and
// keeps it across restarts, client sessions included.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "actors/region/region_snapshot.hpp"
#include "tests/actors/compacting_cluster.hpp"

using namespace rdb;
using namespace rdb::test;

namespace {

struct lagging_cluster : compacting_cluster {
  lagging_cluster() : compacting_cluster(16) {}

  std::optional<std::string> stored(std::size_t i, const std::string& key) {
    auto view = nodes[i].store.kv->read();
    REQUIRE(view.has_value());
    auto v = view->get(key);
    REQUIRE(v.has_value());
    return *v;
  }

  /// Store 2 misses `count` writes while cut off, and the leader compacts past them.
  int fall_behind(int count) {
    net->isolate(store_of(2), true);
    write(0, count);
    // A compaction takes effect once a later apply made it durable: keep writing a little.
    for (int round = 0; round < 20 && first_index(0) <= status(2).applied + 1; ++round) {
      write(count, count + 1);
      ++count;
      tick_all(1);
    }
    REQUIRE(first_index(0) > status(2).applied + 1);
    net->isolate(store_of(2), false);
    return count;
  }

  /// Ticks until store 2 applied everything the leader committed, bounded.
  void catch_up() {
    for (int round = 0; round < 50; ++round) {
      if (status(2).applied >= status(0).commit) return;
      tick_all(1);
    }
    FAIL("store 2 did not catch up: applied " << status(2).applied.value() << ", leader commit "
                                              << status(0).commit.value());
  }
};

}  // namespace

TEST_CASE_FIXTURE(lagging_cluster,
                  "snapshot: a follower behind the compacted log catches up by snapshot") {
  auto behind = status(2).applied;
  int written = fall_behind(60);
  catch_up();
  // It got a snapshot: its log starts past everything it missed, not at the founding index.
  CHECK(first_index(2) > behind + 1);
  for (int n = 0; n < written; ++n)
    CHECK(stored(2, "k" + std::to_string(n)) == "v" + std::to_string(n));
  // And it keeps replicating from the log after the snapshot.
  write(written, written + 5);
  catch_up();
  CHECK(stored(2, "k" + std::to_string(written + 4)) == "v" + std::to_string(written + 4));
  // The received file is gone once installed; the leader's may stay for other followers.
  for (const auto& f : std::filesystem::directory_iterator(dir.sub("snap2")))
    CHECK(f.path().filename().string().find(".to-") == std::string::npos);
}

TEST_CASE_FIXTURE(lagging_cluster,
                  "snapshot: the installed state and client sessions survive a restart") {
  int written = fall_behind(40);
  catch_up();
  stop_all();
  start_all(false);
  caf::anon_send(nodes[2].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(2).is_leader());
  for (int n = 0; n < written; ++n) {
    auto g = get(2, "k" + std::to_string(n));
    REQUIRE(g.engaged());
    CHECK(g->value == "v" + std::to_string(n));
  }
  // A retry of a write applied before the snapshot is recognised on the replica that only
  // knows it from the snapshot's sessions.
  REQUIRE(test::ask<write_response>(sys, sched, nodes[2].peer, kv_put_atom::value,
                                    put_request{header(), "k3", "again", client_id{1}, 4})
              .engaged());
  CHECK(get(2, "k3")->value == "v3");
}

namespace {

/// Stands in for a log writer that loses every log reset of an install, as a crash right after
/// the install's kv commit would: everything else passes.
store_writer_actor drop_log_resets(caf::actor_system& sys, store_writer_actor writer) {
  return sys.spawn([=](store_writer_actor::pointer self) -> store_writer_actor::behavior_type {
    return {
        [=](persist_atom, write_task& task) {
          if (task.has_snapshot) return;
          caf::send_as(caf::actor_cast<caf::actor>(self->current_sender()), writer,
                       persist_atom::value, std::move(task));
        },
        [=](flush_atom) {},
        [=](commit_due_atom) {},
        [=](bootstrap_atom, storage::region_meta& m) {
          return self->delegate(writer, bootstrap_atom::value, std::move(m));
        },
        [=](stats_atom) { return self->delegate(writer, stats_atom::value); },
    };
  });
}

}  // namespace

TEST_CASE_FIXTURE(lagging_cluster,
                  "snapshot: a crash between the install's kv commit and its log reset is repaired "
                  "at open") {
  stop_all();
  writer_for = [&](std::size_t i, store_writer_actor w) {
    return i == 2 ? drop_log_resets(sys, w) : w;
  };
  start_all(false);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  auto behind = status(2).applied;
  int written = fall_behind(40);
  // Wait until the snapshot is in the kv environment of store 2 (its log never hears of it).
  auto kv_truncated = [&] {
    auto view = nodes[2].store.kv->read();
    REQUIRE(view.has_value());
    auto as = view->load_apply_state(meta.id);
    REQUIRE(as.has_value());
    return (*as)->truncated_index;
  };
  for (int round = 0; round < 50 && kv_truncated() <= behind + 1; ++round)
    tick_all(1);
  REQUIRE(kv_truncated() > behind + 1);
  REQUIRE(first_index(2) <= behind + 1);
  stop_all();
  writer_for = nullptr;
  start_all(false);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  // The reopened replica took the snapshot as installed and reset its log first.
  CHECK(first_index(2) > behind + 1);
  catch_up();
  for (int n = 0; n < written; ++n)
    CHECK(stored(2, "k" + std::to_string(n)) == "v" + std::to_string(n));
}

TEST_CASE_FIXTURE(lagging_cluster,
                  "snapshot: the leader keeps its log from a snapshot's index while the follower "
                  "installs it, so one snapshot is enough") {
  stop_all();
  auto gate = std::make_shared<writer_gate>();
  store_writer_actor gate_actor;
  applier_for = [&](std::size_t i, store_writer_actor w) {
    if (i != 2) return w;
    gate_actor = spawn_gate(sys, w, gate);
    return gate_actor;
  };
  start_all(false);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  // Store 2's install is held in its apply writer: the snapshot went, the install takes long.
  gate->hold = true;
  int written = fall_behind(40);
  for (int round = 0; round < 20 && gate->installs == 0; ++round)
    tick_all(1);
  REQUIRE(gate->installs == 1);
  // Meanwhile the leader compacts at every tick (a compaction takes effect once a later write
  // made its apply durable), and store 2 is more than its count limit behind.
  for (int round = 0; round < 30; ++round) {
    write(written, written + 2);
    written += 2;
    tick_all(1);
  }
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  catch_up();
  CHECK(gate->installs == 1);
  for (int n = 0; n < written; ++n)
    CHECK(stored(2, "k" + std::to_string(n)) == "v" + std::to_string(n));
}

TEST_CASE("snapshot: a descriptor round-trips and a damaged one is refused") {
  snapshot_descriptor d;
  d.path = "/tmp/x.snap";
  d.bytes = 1234;
  d.crc = 0xdeadbeef;
  d.region.region.id = region_id{3};
  d.region.region.start_key = "a";
  d.region.region.peers = {{peer_id{1}, store_id{1}, storage::peer_role::voter}};
  auto data = encode_descriptor(d);
  auto back = decode_descriptor(data);
  REQUIRE(back.has_value());
  CHECK(*back == d);
  CHECK_FALSE(decode_descriptor(data.substr(0, 10)).has_value());
  auto long_path = data;
  long_path[15] = '\x7f';
  CHECK_FALSE(decode_descriptor(long_path).has_value());
}

TEST_CASE_FIXTURE(test::cluster,
                  "snapshot: one of an older membership than the replica's is refused") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "a", "1", 1).engaged());
  auto staged = dir.sub("staged.snap");
  { std::ofstream{staged} << "not a snapshot"; }
  snapshot_descriptor d;
  d.path = staged;
  d.region = storage::region_local_state{meta, storage::peer_state::normal};
  d.region.region.epoch.conf_ver = 0;
  raft_envelope env;
  env.region = meta.id;
  env.from = meta.peers[0];
  env.to = meta.peers[1];
  env.epoch = meta.epoch;
  env.msg.type = raft::message_type::snapshot;
  env.msg.from = env.from.id;
  env.msg.to = env.to.id;
  env.msg.term = status(0).term;
  env.msg.snapshot.meta.index = raft::log_index{1000};
  env.msg.snapshot.meta.term = status(0).term;
  env.msg.snapshot.meta.conf = raft_storage::conf_state_of(meta);
  env.msg.snapshot.data = encode_descriptor(d);
  auto before = status(1).applied;
  caf::anon_send(nodes[1].peer, raft_msg_atom::value, env);
  sched.run();
  // Not installed (its file would not even read) and not kept.
  CHECK(status(1).applied == before);
  CHECK_FALSE(std::filesystem::exists(staged));
  REQUIRE(put(0, "b", "2", 2).engaged());
}
