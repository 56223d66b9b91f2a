#include "actors/common/errors.hpp"
#include "actors/store/region_bootstrap.hpp"
#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using rdb::test::cluster;
using rdb::test::code_of;

TEST_CASE_FIXTURE(cluster, "region: a campaign elects a leader that all replicas know") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  auto s0 = status(0);
  CHECK(s0.is_leader());
  CHECK(s0.term > founding_term);
  // The followers learn the leader from its first append, and commit the leader's entry.
  tick_all(2);
  for (std::size_t i = 1; i < 3; ++i) {
    auto s = status(i);
    CHECK_FALSE(s.is_leader());
    CHECK(s.leader.id == peer_id{11});
    CHECK(s.leader.store == store_id{1});
    CHECK(s.commit == s0.commit);
  }
}

TEST_CASE_FIXTURE(cluster, "region: ticks alone elect a leader") {
  start_all(true);
  tick_all(40);
  int leaders = 0;
  for (std::size_t i = 0; i < 3; ++i)
    leaders += status(i).is_leader() ? 1 : 0;
  CHECK(leaders == 1);
}

TEST_CASE_FIXTURE(cluster, "region: the leader accepts writes and answers reads") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  auto w1 = put(0, "a", "1", 1);
  REQUIRE(w1.engaged());
  CHECK(w1->index > founding_index);
  auto w2 = put(0, "b", "2", 2);
  REQUIRE(w2.engaged());
  CHECK(w2->index == w1->index + 1);
  auto g = get(0, "a");
  REQUIRE(g.engaged());
  CHECK(g->found);
  CHECK(g->value == "1");
  auto missing = get(0, "c");
  REQUIRE(missing.engaged());
  CHECK_FALSE(missing->found);
  auto del = test::ask<write_response>(sys, sched, nodes[0].peer, kv_delete_atom::value,
                                       delete_request{header(), "a", client_id{1}, 3});
  REQUIRE(del.engaged());
  CHECK_FALSE(get(0, "a")->found);
  auto scan = test::ask<scan_response>(sys, sched, nodes[0].peer, kv_scan_atom::value,
                                       scan_request{header(), "", "", 10});
  REQUIRE(scan.engaged());
  REQUIRE(scan->pairs.size() == 1);
  CHECK(scan->pairs[0] == storage::kv_pair{"b", "2"});
  CHECK(scan->scanned_end == "m");
  // Every replica applied the same data once the commit index reached it.
  tick_all(2);
  for (std::size_t i = 0; i < 3; ++i) {
    auto view = nodes[i].store.kv->read().value();
    CHECK(view.get("b").value() == std::optional<std::string>{"2"});
    CHECK(view.get("a").value() == std::nullopt);
  }
}

TEST_CASE_FIXTURE(cluster, "region: requests that do not belong here get structured errors") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  tick_all(2);
  SUBCASE("a follower answers not_leader with the leader's peer and store") {
    auto r = put(1, "a", "1");
    REQUIRE_FALSE(r.engaged());
    CHECK(code_of(r.error()) == errc::not_leader);
    auto hint = not_leader_hint(r.error());
    REQUIRE(hint.has_value());
    CHECK(hint->id == peer_id{11});
    CHECK(hint->store == store_id{1});
    auto g = get(2, "a");
    REQUIRE_FALSE(g.engaged());
    CHECK(code_of(g.error()) == errc::not_leader);
  }
  SUBCASE("a stale epoch gets epoch_not_match with the current region") {
    auto stale = header();
    stale.epoch.version = 0;
    auto r = test::ask<write_response>(sys, sched, nodes[0].peer, kv_put_atom::value,
                                       put_request{stale, "a", "1", client_id{1}, 1});
    REQUIRE_FALSE(r.engaged());
    CHECK(code_of(r.error()) == errc::epoch_not_match);
    auto regions = epoch_not_match_regions(r.error());
    REQUIRE(regions.has_value());
    REQUIRE(regions->size() == 1);
    CHECK(regions->front() == meta);
  }
  SUBCASE("a key outside the range gets key_not_in_region") {
    auto r = put(0, "z", "1");
    REQUIRE_FALSE(r.engaged());
    CHECK(code_of(r.error()) == errc::key_not_in_region);
  }
  SUBCASE("another region's id gets region_not_found") {
    auto h = header();
    h.region = region_id{2};
    auto r =
        test::ask<get_response>(sys, sched, nodes[0].peer, kv_get_atom::value, get_request{h, "a"});
    REQUIRE_FALSE(r.engaged());
    CHECK(code_of(r.error()) == errc::region_not_found);
  }
  SUBCASE("an oversized key gets invalid_argument") {
    auto r = put(0, std::string(storage::max_key_size + 1, 'a'), "1");
    REQUIRE_FALSE(r.engaged());
    CHECK(code_of(r.error()) == errc::invalid_argument);
  }
}

TEST_CASE_FIXTURE(cluster, "region: keys and values over the store's limits are refused") {
  limits = request_limits{8, 16};
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  tick_all(2);
  CHECK(put(0, std::string(8, 'a'), std::string(16, 'v')).engaged());
  auto long_key = put(0, std::string(9, 'a'), "v");
  REQUIRE_FALSE(long_key.engaged());
  CHECK(code_of(long_key.error()) == errc::invalid_argument);
  CHECK(to_request_error(long_key.error())->detail == "key of 9 bytes exceeds the limit of 8");
  auto big_value = put(0, "a", std::string(17, 'v'));
  REQUIRE_FALSE(big_value.engaged());
  CHECK(to_request_error(big_value.error())->detail == "value of 17 bytes exceeds the limit of 16");
  auto big_expected = test::ask<cas_response>(
      sys, sched, nodes[0].peer, kv_cas_atom::value,
      cas_request{header(), "a", false, std::string(17, 'e'), "v", client_id{1}, 0});
  REQUIRE_FALSE(big_expected.engaged());
  CHECK(code_of(big_expected.error()) == errc::invalid_argument);
}

TEST_CASE_FIXTURE(cluster, "region: traffic for another peer id is dropped") {
  start_all(true);
  raft_envelope env;
  env.region = meta.id;
  env.from = meta.peers[1];
  env.to = storage::region_peer{peer_id{99}, store_id{1}, storage::peer_role::voter};
  env.msg.type = raft::message_type::vote;
  env.msg.from = peer_id{12};
  env.msg.to = peer_id{99};
  env.msg.term = raft::term_id{50};
  caf::anon_send(nodes[0].peer, raft_msg_atom::value, env);
  sched.run();
  CHECK(status(0).term == founding_term);
}

TEST_CASE_FIXTURE(cluster, "region: a leader that loses leadership fails what it still owes") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  tick_all(2);
  // Cut the leader off: its proposal cannot commit. A new leader is elected elsewhere.
  net->isolate(store_of(0), true);
  auto out = test::send_request<write_response>(sys, nodes[0].peer, kv_put_atom::value,
                                                put_request{header(), "c", "1", client_id{1}, 1});
  sched.run();
  CHECK_FALSE(out->has_value());
  // Check quorum makes the isolated leader step down within an election timeout or two.
  tick_all(40);
  REQUIRE(out->has_value());
  REQUIRE_FALSE(out->value().engaged());
  CHECK(code_of(out->value().error()) == errc::not_leader);
  // It was proposed: for all the old leader knows, it may still commit.
  CHECK(to_request_error(out->value().error())->maybe_applied);
  net->isolate(store_of(0), false);
  tick_all(5);
  CHECK_FALSE(status(0).is_leader());
  // Refused before it is proposed: certainly not applied.
  auto refused = test::send_request<write_response>(
      sys, nodes[0].peer, kv_put_atom::value, put_request{header(), "d", "1", client_id{1}, 2});
  sched.run();
  REQUIRE(refused->has_value());
  REQUIRE_FALSE(refused->value().engaged());
  CHECK(code_of(refused->value().error()) == errc::not_leader);
  CHECK_FALSE(to_request_error(refused->value().error())->maybe_applied);
}

TEST_CASE_FIXTURE(cluster, "region: leadership goes only to a replica that has caught up") {
  transfer_max_lag = 2;
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(0).is_leader());
  // Store 2 is cut off and falls behind.
  net->isolate(store_of(2), true);
  for (int k = 0; k < 5; ++k)
    REQUIRE(put(0, "k" + std::to_string(k), "v", k + 1).engaged());
  transfer_to(2);
  sched.run();
  // A transfer to it would hold every proposal until it timed out; the leader declines it.
  CHECK(status(0).is_leader());
  CHECK(put(0, "after", "v", 6).engaged());
  // A replica that has caught up takes leadership.
  transfer_to(1);
  tick_all(3);
  CHECK(status(1).is_leader());
}

TEST_CASE_FIXTURE(cluster, "region: a restart from disk keeps every acknowledged write") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  constexpr int writes = 20;
  raft::log_index last;
  for (int k = 0; k < writes; ++k) {
    auto w = put(0, "k" + std::to_string(k), "v" + std::to_string(k), k + 1);
    REQUIRE(w.engaged());
    last = w->index;
  }
  stop_all();
  start_all(false);
  // Another replica leads this time: it must hold every write the old leader acknowledged.
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(1).is_leader());
  for (int k = 0; k < writes; ++k) {
    auto g = get(1, "k" + std::to_string(k));
    REQUIRE(g.engaged());
    CHECK(g->found);
    CHECK(g->value == "v" + std::to_string(k));
  }
  CHECK(status(1).applied > last);
  auto w = put(1, "after", "restart");
  REQUIRE(w.engaged());
  CHECK(get(1, "after")->value == "restart");
}

TEST_CASE_FIXTURE(cluster, "region: a replica with too much waiting answers server_busy") {
  max_pending_requests = 2;
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  // Cut the leader off so nothing commits and every write keeps waiting.
  net->isolate(store_of(0), true);
  auto answers = std::make_shared<std::vector<caf::expected<write_response>>>();
  auto leader = nodes[0].peer;
  auto hdr = header();
  for (int k = 0; k < 3; ++k) {
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(leader, caf::infinite, kv_put_atom::value,
                    put_request{hdr, "c" + std::to_string(k), "1", client_id{1}, 0})
          .then([=](write_response& r) { answers->push_back(r); },
                [=](caf::error& e) { answers->push_back(caf::expected<write_response>{e}); });
    });
  }
  sched.run();
  REQUIRE(answers->size() == 1);
  REQUIRE_FALSE(answers->front().engaged());
  CHECK(code_of(answers->front().error()) == errc::server_busy);
  net->isolate(store_of(0), false);
  // Once the quorum is back the waiting writes commit.
  tick_all(3);
  CHECK(answers->size() == 3);
}

TEST_CASE_FIXTURE(cluster, "region: a retried write is applied once, also after a restart") {
  bool checkpointed = false;
  SUBCASE("sessions replayed from the log") {}
  SUBCASE("sessions loaded from a checkpoint") {
    sessions.checkpoint_entries = 1;
    checkpointed = true;
  }
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  auto write = [&](std::size_t i, std::uint64_t client, std::uint64_t seq, std::string value) {
    return test::ask<write_response>(
        sys, sched, nodes[i].peer, kv_put_atom::value,
        put_request{header(), "k", std::move(value), client_id{client}, seq, seq});
  };
  REQUIRE(write(0, 1, 1, "first").engaged());
  // Another client overwrites the key; then the first client's write comes again (its answer
  // was lost). Applying it twice would undo the second client's acknowledged write.
  REQUIRE(write(0, 2, 1, "second").engaged());
  auto retry = write(0, 1, 1, "first");
  REQUIRE(retry.engaged());
  CHECK(get(0, "k")->value == "second");
  // The sessions are on disk with the data: a restarted replica, now leading, decides alike.
  stop_all();
  start_all(false);
  caf::anon_send(nodes[1].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(1).is_leader());
  REQUIRE(write(1, 1, 1, "first").engaged());
  REQUIRE(write(1, 2, 1, "second again").engaged());
  CHECK(get(1, "k")->value == "second");
  // A new number of the same client is a new write.
  REQUIRE(write(1, 1, 2, "third").engaged());
  CHECK(get(1, "k")->value == "third");
  tick_all(2);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto view = nodes[i].store.kv->read().value();
    CHECK(view.get("k").value() == std::optional<std::string>{"third"});
    auto on_disk = view.load_client_sessions(meta.id).value();
    if (!checkpointed) {
      // Nothing reached disk: the restart above replayed the sessions from the log.
      CHECK(on_disk.empty());
      CHECK(view.load_session_index(meta.id).value() == raft::log_index{});
      continue;
    }
    REQUIRE(on_disk.size() == 2);
    CHECK(on_disk[0].client == 1);
    CHECK(on_disk[0].applied == std::vector<std::uint64_t>{2});
    CHECK(view.load_session_index(meta.id).value() == status(i).applied);
  }
}
