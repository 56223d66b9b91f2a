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

TEST_CASE_FIXTURE(supervised, "supervisor: a replica of a changed region does not campaign early") {
  // A replica created for a region that already changed membership: its group has a leader.
  auto changed = r1;
  changed.epoch.conf_ver = 2;
  create(changed);
  sched.advance_time(supervisor_config{}.first_campaign_delay * 2);
  sched.run();
  for (std::size_t i = 0; i < nodes.size(); ++i)
    CHECK_FALSE(status(i, changed.id).is_leader());
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
