#include <string>

#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

struct supervised : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "m");
  storage::region_meta r2 = region(2, "m", "");

  caf::expected<bool> create_on(std::size_t i, const storage::region_meta& meta) {
    return test::ask<bool>(sys, sched, nodes[i].supervisor, create_region_atom::value, meta);
  }

  std::vector<storage::region_meta> regions_of(std::size_t i) {
    return test::ask<std::vector<storage::region_meta>>(sys, sched, nodes[i].supervisor,
                                                        regions_atom::value)
        .value();
  }
};

}  // namespace

TEST_CASE_FIXTURE(supervised, "supervisor: creates each region once and refuses bad metas") {
  CHECK(create_on(0, r1).value());
  CHECK_FALSE(create_on(0, r1).value());
  auto overlapping = region(3, "k", "p");
  auto refused = create_on(0, overlapping);
  REQUIRE_FALSE(refused.engaged());
  CHECK(rdb_code(refused.error()) == errc::invalid_argument);
  auto why = to_request_error(refused.error());
  REQUIRE(why);
  CHECK(why->detail.find("overlaps region 1") != std::string::npos);
  auto elsewhere = region(4, "x", "");
  elsewhere.peers.erase(elsewhere.peers.begin());
  auto not_here = create_on(0, elsewhere);
  REQUIRE_FALSE(not_here.engaged());
  CHECK(rdb_code(not_here.error()) == errc::invalid_argument);
  auto regions = regions_of(0);
  REQUIRE(regions.size() == 1);
  CHECK(regions[0] == r1);
}

TEST_CASE_FIXTURE(supervised, "supervisor: a crashed peer restarts from disk, others serve") {
  create(r1);
  create(r2);
  elect(0, r1.id);
  elect(0, r2.id);
  REQUIRE(put(0, "a", "before").engaged());
  REQUIRE(put(0, "x", "before").engaged());
  auto crashed = peer_of(0, r1.id);
  caf::anon_send_exit(crashed, caf::exit_reason::kill);
  sched.run();
  // The other region kept serving throughout, and region 1 has a new peer from disk.
  REQUIRE(put(0, "y", "during").engaged());
  auto restarted = peer_of(0, r1.id);
  CHECK(restarted.address() != crashed.address());
  tick_all(30);
  std::size_t leader = nodes.size();
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (status(i, r1.id).is_leader()) leader = i;
  REQUIRE(leader < nodes.size());
  auto g = get(leader, "a");
  REQUIRE(g.engaged());
  CHECK(g->value == "before");
  REQUIRE(put(leader, "b", "after").engaged());
  CHECK(get(leader, "b")->value == "after");
  CHECK(regions_of(0).size() == 2);
}

TEST_CASE_FIXTURE(supervised, "supervisor: a whole restart boots every region from disk") {
  create(r1);
  create(r2);
  elect(1, r1.id);
  elect(1, r2.id);
  for (int k = 0; k < 10; ++k) {
    REQUIRE(put(1, "a" + std::to_string(k), "v" + std::to_string(k)).engaged());
    REQUIRE(put(1, "z" + std::to_string(k), "w" + std::to_string(k)).engaged());
  }
  for (std::size_t i = 0; i < nodes.size(); ++i)
    halt(i);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    boot(i);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    CHECK(test::ask<std::uint64_t>(sys, sched, nodes[i].supervisor, start_atom::value).value() ==
          2);
    auto regions = regions_of(i);
    REQUIRE(regions.size() == 2);
    CHECK(regions[0] == r1);
    CHECK(regions[1] == r2);
  }
  elect(2, r1.id);
  elect(2, r2.id);
  for (int k = 0; k < 10; ++k) {
    CHECK(get(2, "a" + std::to_string(k))->value == "v" + std::to_string(k));
    CHECK(get(2, "z" + std::to_string(k))->value == "w" + std::to_string(k));
  }
  CHECK(test::ask<std::uint64_t>(sys, sched, nodes[2].supervisor, start_atom::value).value() == 0);
}

TEST_CASE_FIXTURE(supervised, "supervisor: one voter of a region founded just now campaigns") {
  create(r1);
  sched.run();
  // Before the delay nobody campaigned: the founding replicas wait for each other.
  for (std::size_t i = 0; i < nodes.size(); ++i)
    CHECK_FALSE(status(i, r1.id).is_leader());
  sched.advance_time(supervisor_config{}.first_campaign_delay);
  sched.run();
  // Region 1 of three voters: the second voter's store, with no tick given to anyone.
  CHECK_FALSE(status(0, r1.id).is_leader());
  CHECK(status(1, r1.id).is_leader());
  CHECK_FALSE(status(2, r1.id).is_leader());
  REQUIRE(put(1, "a", "1").engaged());
}

TEST_CASE_FIXTURE(supervised, "supervisor: a region started from disk does not campaign early") {
  create(r2);
  elect(0, r2.id);
  REQUIRE(put(0, "x", "1").engaged());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    halt(i);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    boot(i);
    REQUIRE(test::ask<std::uint64_t>(sys, sched, nodes[i].supervisor, start_atom::value).value() ==
            1);
  }
  sched.advance_time(supervisor_config{}.first_campaign_delay * 2);
  sched.run();
  for (std::size_t i = 0; i < nodes.size(); ++i)
    CHECK_FALSE(status(i, r2.id).is_leader());
}

TEST_CASE_FIXTURE(supervised,
                  "supervisor: a replica of a changed region is not founded from its meta") {
  // Founded at index 5 from a meta that may be stale, it would replay the region's history
  // from there: a replica added later is created by its leader's message and gets a snapshot.
  auto changed = r1;
  changed.epoch.conf_ver = 2;
  auto split = r1;
  split.epoch.version = 2;
  for (const auto& meta : {changed, split}) {
    auto r = test::ask<bool>(sys, sched, nodes[0].supervisor, create_region_atom::value, meta);
    REQUIRE_FALSE(r.engaged());
    CHECK(rdb_code(r.error()) == errc::invalid_argument);
  }
  CHECK(regions_of(0).empty());
  CHECK_FALSE(nodes[0].store.raft->hard_state(r1.id).has_value());
}

TEST_CASE_FIXTURE(supervised,
                  "supervisor: the log a crash left behind a tombstone is destroyed at start") {
  create(r1);
  halt(0);
  {
    // The replica wrote its tombstone; the crash came before its log was destroyed.
    auto st = test::open_test_engines(dir.sub("store0"), nodes[0].id);
    REQUIRE(st.raft->hard_state(r1.id).has_value());
    storage::write_batch b;
    b.set_region_state(r1.id, storage::region_local_state{r1, storage::peer_state::tombstone});
    REQUIRE(st.kv->write(b).has_value());
  }
  boot(0);
  CHECK(test::ask<std::uint64_t>(sys, sched, nodes[0].supervisor, start_atom::value).value() == 0);
  sched.run();
  CHECK_FALSE(nodes[0].store.raft->hard_state(r1.id).has_value());
  CHECK(regions_of(0).empty());
}

TEST_CASE_FIXTURE(supervised,
                  "supervisor: a leader's message creates the replica it addresses, unless the "
                  "store left that membership or the message is no leader's") {
  // Region 1 lives on stores 1 and 2; store 3 has nothing of it.
  auto two = r1;
  two.peers.pop_back();
  create(two);
  elect(0, two.id);
  auto term = status(0, two.id).term;
  auto forged = [&](region_id region, raft::message_type type, std::uint64_t conf_ver) {
    raft_envelope env;
    env.region = region;
    env.from = two.peers[0];
    env.to = {peer_id{region.value() * 100 + 3}, nodes[2].id, storage::peer_role::learner};
    env.epoch = {conf_ver, 1};
    env.msg.type = type;
    env.msg.from = env.from.id;
    env.msg.to = env.to.id;
    env.msg.term = term;
    caf::anon_send(nodes[2].transport, deliver_atom::value,
                   raft_batch{nodes[0].id, nodes[2].id, {env}, {}, 0});
    sched.run();
  };
  const auto& log = *nodes[2].store.raft;
  // A vote request may come from a replica that was removed and never learnt it.
  forged(two.id, raft::message_type::vote, 2);
  CHECK_FALSE(log.hard_state(two.id).has_value());
  // A leader's heartbeat creates the replica: it answers in the leader's term (written to its
  // log engine), and is not routed for clients until a snapshot gives it a range.
  forged(two.id, raft::message_type::heartbeat, 2);
  REQUIRE(log.hard_state(two.id).has_value());
  CHECK(log.hard_state(two.id)->term == term);
  CHECK(nodes[2].routes->load()->find(two.id) == nullptr);
  CHECK(regions_of(2).empty());
  CHECK(transport_stats_of(2).to_supervisor == 2);
  // Region 7 left store 3 at conf_ver 3: a message of that membership or older is stale.
  auto gone = region(7, "x", "");
  gone.epoch.conf_ver = 3;
  storage::write_batch b;
  b.set_region_state(gone.id, storage::region_local_state{gone, storage::peer_state::tombstone});
  REQUIRE(nodes[2].store.kv->write(b).has_value());
  forged(gone.id, raft::message_type::heartbeat, 3);
  CHECK_FALSE(log.hard_state(gone.id).has_value());
  // A newer membership added the store back under a new peer id.
  forged(gone.id, raft::message_type::heartbeat, 4);
  CHECK(log.hard_state(gone.id).has_value());
}
