#include <memory>
#include <string>

#include "actors/pd_client/heartbeat_agent.hpp"
#include "pd/memory_meta_store.hpp"
#include "pd/pd_actor.hpp"
#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

/// A PD that never answers: every request it takes waits forever.
pd::pd_actor spawn_silent_pd(caf::actor_system& sys) {
  auto h = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {
        [=](pd::store_heartbeat_atom, const pd::store_stats&) {
          return self->make_response_promise();
        },
        [=](pd::get_store_regions_atom, store_id) { return self->make_response_promise(); },
        [=](pd::region_heartbeat_atom, const pd::region_heartbeat&) {
          return self->make_response_promise();
        },
    };
  });
  return caf::actor_cast<pd::pd_actor>(h);
}

/// One store whose regions come from PD's layout through its heartbeat agent. No agent timer:
/// the test sends its rounds.
struct agent_fixture : test::store_fixture {
  test::temp_dir dir;
  pd::pd_actor pd;
  store_id self_id;
  storage::engines store;
  std::shared_ptr<route_holder> routes = std::make_shared<route_holder>();
  store_writer_actor writer;
  store_writer_actor applier;
  router_actor router;
  local_transport_actor transport;
  store_supervisor_actor supervisor;
  store_agent_actor agent;

  agent_fixture() {
    auto spawned = pd::spawn_pd(sys, std::make_unique<pd::memory_meta_store>());
    REQUIRE(spawned.has_value());
    pd = *spawned;
    pd::bootstrap_request req;
    req.cluster = cluster_id{7};
    req.split_keys = {"m"};
    req.replicas = 1;
    req.stores = {"store1"};
    REQUIRE(
        test::ask<std::vector<storage::region_meta>>(sys, sched, pd, pd::bootstrap_atom::value, req)
            ->size() == 2);
    auto stores =
        test::ask<std::vector<pd::store_info>>(sys, sched, pd, pd::get_stores_atom::value);
    REQUIRE(stores->size() == 1);
    self_id = stores->front().id;
  }

  ~agent_fixture() {
    auto stopped = std::make_shared<bool>(false);
    if (supervisor) {
      auto sup = supervisor;
      sys.spawn([=](caf::event_based_actor* self) {
        self->request(sup, caf::infinite, stop_atom::value).then([=] { *stopped = true; });
      });
      sched.run();
      CHECK(*stopped);
    }
    for (auto h : {caf::actor_cast<caf::actor>(agent), caf::actor_cast<caf::actor>(supervisor),
                   caf::actor_cast<caf::actor>(router), caf::actor_cast<caf::actor>(transport),
                   caf::actor_cast<caf::actor>(pd)})
      if (h) caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Spawns the store's actors and its agent; `interval` zero: rounds only from `round()`.
  void boot(pd::pd_actor to, caf::timespan interval = caf::timespan{0},
            std::uint64_t sync_every = 1) {
    store = test::open_test_engines(dir.sub("store"), self_id);
    writer = spawn_log_writer(sys, store.raft, false);
    applier = spawn_apply_writer(sys, store.kv, false);
    router = spawn_router(sys, routes);
    transport = spawn_transport(sys, self_id, routes);
    supervisor_config sc;
    sc.peer.config.store = self_id;
    sc.peer.config.hibernate = false;
    sc.peer.store = store;
    sc.peer.writer = writer;
    sc.peer.applier = applier;
    sc.peer.transport = transport;
    sc.peer.router = router;
    supervisor = spawn_supervisor(sys, std::move(sc));
    agent_config ac;
    ac.store = self_id;
    ac.dir = dir.path();
    ac.pd = to;
    ac.supervisor = supervisor;
    ac.routes = routes;
    ac.interval = interval;
    ac.request_timeout = std::chrono::milliseconds{700};
    ac.sync_every = sync_every;
    agent = spawn_heartbeat_agent(sys, std::move(ac));
    caf::anon_send(supervisor, connect_atom::value, heartbeat_agent_actor{agent});
    sched.run();
  }

  void round() {
    caf::anon_send(agent, agent_round_atom::value);
    sched.run();
  }

  agent_stats stats() {
    return test::ask<agent_stats>(sys, sched, agent, stats_atom::value).value();
  }
};

}  // namespace

TEST_CASE_FIXTURE(agent_fixture, "agent: PD's layout becomes local regions, leaders reach PD") {
  boot(pd);
  round();
  CHECK(stats().regions_created == 2);
  auto table = routes->load();
  REQUIRE(table->size() == 2);
  // A region that gains a leader is reported at once, not at the next round.
  for (const auto& m : table->metas())
    caf::anon_send(table->find(m.id)->peer, campaign_atom::value);
  sched.run();
  CHECK(stats().immediate_reports == 2);
  for (const auto& m : table->metas()) {
    auto info = test::ask<pd::region_info>(sys, sched, pd, pd::get_region_by_id_atom::value, m.id);
    REQUIRE(info.engaged());
    CHECK(info->leader.id == m.peers.front().id);
  }
  // The next round's store heartbeat counts both regions and both leaders; nothing is
  // created twice.
  round();
  auto s = stats();
  CHECK(s.regions_created == 2);
  CHECK(s.store_heartbeats == 2);
  CHECK(s.pd_failures == 0);
  auto info = test::ask<pd::store_info>(sys, sched, pd, pd::get_store_atom::value, self_id);
  CHECK(info->stats.region_count == 2);
  CHECK(info->stats.leader_count == 2);
}

TEST_CASE_FIXTURE(agent_fixture, "agent: requests to a silent PD time out and are retried") {
  auto silent = spawn_silent_pd(sys);
  boot(silent);
  CHECK(test::ask<bool>(
            sys, sched, supervisor, create_region_atom::value,
            test::ask<pd::region_info>(sys, sched, pd, pd::get_region_atom::value, std::string{"a"})
                ->meta)
            .value());
  auto peer = routes->load()->find_by_key("a")->peer;
  caf::anon_send(peer, campaign_atom::value);
  sched.run();
  CHECK(stats().immediate_reports == 1);
  // The report never gets an answer: it times out and waits for the next round.
  sched.advance_time(std::chrono::milliseconds{800});
  sched.run();
  CHECK(stats().pd_failures == 1);
  round();
  CHECK(stats().region_heartbeats == 2);
  // The retried report, the store heartbeat and the region list all time out in turn.
  sched.advance_time(std::chrono::milliseconds{800});
  sched.run();
  CHECK(stats().pd_failures == 4);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(agent_fixture, "agent: asks again soon for regions while PD has none yet") {
  auto spawned = pd::spawn_pd(sys, std::make_unique<pd::memory_meta_store>());
  REQUIRE(spawned.has_value());
  auto fresh = *spawned;
  boot(fresh, std::chrono::seconds{1});
  // The first round ran at once; the region list failed: the cluster is not bootstrapped.
  auto failures = stats().pd_failures;
  REQUIRE(failures >= 1);
  const auto retry = agent_config{}.unsynced_retry;
  for (int k = 1; k <= 3; ++k) {
    sched.advance_time(retry);
    sched.run();
    // Each retry fails again, well before the next round is due.
    CHECK(stats().pd_failures == failures + static_cast<std::uint64_t>(k));
    CHECK(stats().rounds == 1);
  }
  pd::bootstrap_request req;
  req.cluster = cluster_id{7};
  req.split_keys = {"m"};
  req.replicas = 1;
  req.stores = {"store1"};
  REQUIRE(test::ask<std::vector<storage::region_meta>>(sys, sched, fresh, pd::bootstrap_atom::value,
                                                       req)
              ->size() == 2);
  sched.advance_time(retry);
  sched.run();
  CHECK(stats().regions_created == 2);
  CHECK(routes->load()->size() == 2);
  // Listed once: no more retries between rounds.
  auto settled = stats().pd_failures;
  for (int k = 0; k < 3; ++k) {
    sched.advance_time(retry);
    sched.run();
  }
  CHECK(stats().pd_failures == settled);
  CHECK(stats().rounds == 1);
  caf::anon_send_exit(fresh, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(agent_fixture,
                  "agent: a replica PD shows removed while the store was away destroys itself") {
  boot(pd);
  round();
  auto table = routes->load();
  REQUIRE(table->size() == 2);
  for (const auto& m : table->metas())
    caf::anon_send(table->find(m.id)->peer, campaign_atom::value);
  sched.run();
  // Region "a"'s group went on without this store: its leader elsewhere reports a membership
  // (conf_ver 2) that no longer lists this store's replica.
  auto local = table->find_by_key("a")->meta;
  pd::region_heartbeat hb;
  hb.region = local;
  hb.region.epoch.conf_ver = 2;
  hb.region.peers = {{peer_id{900}, store_id{90}, storage::peer_role::voter}};
  hb.leader = peer_id{900};
  REQUIRE(
      test::ask<pd::region_heartbeat_response>(sys, sched, pd, pd::region_heartbeat_atom::value, hb)
          .engaged());
  round();
  CHECK(stats().removals_found == 1);
  table = routes->load();
  CHECK(table->find(local.id) == nullptr);
  CHECK(table->size() == 1);
  auto view = store.kv->read().value();
  auto rs = view.load_region_state(local.id).value();
  REQUIRE(rs.has_value());
  CHECK(rs->state == storage::peer_state::tombstone);
  CHECK(rs->region.epoch.conf_ver == 2);
  CHECK_FALSE(store.raft->hard_state(local.id).has_value());
  // The other region, which PD still places here, is left alone.
  round();
  CHECK(stats().removals_found == 1);
}

TEST_CASE_FIXTURE(agent_fixture, "agent: a report PD refuses as stale is not sent again") {
  boot(pd);
  round();
  auto table = routes->load();
  auto local = table->find_by_key("a")->meta;
  // PD already knows a newer epoch of the region (its leader split it, say).
  pd::region_heartbeat hb;
  hb.region = local;
  hb.region.epoch.version = 2;
  hb.leader = local.peers.front().id;
  REQUIRE(
      test::ask<pd::region_heartbeat_response>(sys, sched, pd, pd::region_heartbeat_atom::value, hb)
          .engaged());
  caf::anon_send(table->find(local.id)->peer, campaign_atom::value);
  sched.run();
  auto before = stats();
  CHECK(before.pd_failures == 0);
  // The next rounds send nothing for it again.
  round();
  round();
  CHECK(stats().region_heartbeats == before.region_heartbeats);
}

TEST_CASE_FIXTURE(agent_fixture,
                  "agent: a leader PD has a directive waiting for reports with the next round") {
  // Leaders are asked to report on their own only every 1000 rounds here.
  boot(pd, caf::timespan{0}, 1000);
  round();
  auto table = routes->load();
  REQUIRE(table->size() == 2);
  for (const auto& m : table->metas())
    caf::anon_send(table->find(m.id)->peer, campaign_atom::value);
  sched.run();
  round();
  auto quiet = stats();
  round();
  CHECK(stats().region_heartbeats == quiet.region_heartbeats);
  // PD queues a split of region "a" (nobody carries it out here: the store has no splitter).
  auto local = table->find_by_key("a")->meta;
  caf::anon_send(pd, pd::split_region_atom::value, pd::split_region_request{local.id, "c", {}});
  sched.run();
  REQUIRE(test::ask<pd::region_info>(sys, sched, pd, pd::get_region_by_id_atom::value, local.id)
              ->leader.store == self_id);
  auto before = stats();
  // The store heartbeat's answer names the region; its leader reports at once.
  round();
  auto after = stats();
  CHECK(after.region_heartbeats == before.region_heartbeats + 1);
  CHECK(after.immediate_reports == before.immediate_reports + 1);
}

TEST_CASE_FIXTURE(agent_fixture,
                  "agent: a report whose replicas catching up changed goes to PD at once") {
  boot(pd, caf::timespan{0}, 1000);
  round();
  auto table = routes->load();
  auto local = table->find_by_key("a")->meta;
  auto peer = table->find(local.id)->peer;
  caf::anon_send(peer, campaign_atom::value);
  sched.run();
  round();
  pd::region_heartbeat hb;
  hb.region = local;
  hb.leader = local.peers.front().id;
  hb.pending_peers = {storage::region_peer{peer_id{99}, store_id{42}, storage::peer_role::learner}};
  auto report = [&] {
    caf::anon_send(agent, report_atom::value, hb, peer);
    sched.run();
  };
  auto before = stats();
  // A replica newly catching up is news: a move waits for it.
  report();
  CHECK(stats().immediate_reports == before.immediate_reports + 1);
  // The same again waits for the next round.
  report();
  CHECK(stats().immediate_reports == before.immediate_reports + 1);
  // It caught up: news again.
  hb.pending_peers.clear();
  report();
  CHECK(stats().immediate_reports == before.immediate_reports + 2);
}
