#include <memory>
#include <string>

#include "tests/support/runtime_fixture.hpp"

using namespace rdb;

namespace {

raft_envelope envelope_to(std::uint64_t store, std::uint64_t region = 1, std::size_t bytes = 0) {
  raft_envelope env;
  env.region = region_id{region};
  env.from = {peer_id{region * 100 + 1}, store_id{1}, storage::peer_role::voter};
  env.to = {peer_id{region * 100 + store}, store_id{store}, storage::peer_role::voter};
  env.msg.type = raft::message_type::append;
  if (bytes > 0) env.msg.entries.push_back(raft::entry{{}, {}, {}, std::string(bytes, 'x')});
  return env;
}

/// A plain heartbeat (or response) of `region` from store 1 to `store`, as a raft core emits it.
raft_envelope beat_to(std::uint64_t store, std::uint64_t region, bool response = false) {
  auto env = envelope_to(store, region);
  env.epoch = {2, 3};
  env.msg.type = response ? raft::message_type::heartbeat_resp : raft::message_type::heartbeat;
  env.msg.from = env.from.id;
  env.msg.to = env.to.id;
  env.msg.term = raft::term_id{7};
  if (!response) env.msg.commit = raft::log_index{41};
  return env;
}

}  // namespace

TEST_CASE("transport beats: plain heartbeats compact exactly, others stay envelopes") {
  for (bool response : {false, true}) {
    auto env = beat_to(2, 5, response);
    env.to.role = storage::peer_role::learner;
    auto beat = compact_beat(env);
    REQUIRE(beat);
    CHECK(beat->response == response);
    CHECK(expand_beat(*beat, store_id{1}, store_id{2}) == env);
  }
  // A read-index heartbeat carries its context; anything else is not a heartbeat.
  auto with_context = beat_to(2, 5);
  with_context.msg.context = "read-7";
  CHECK_FALSE(compact_beat(with_context));
  auto stray = beat_to(2, 5);
  stray.msg.index = raft::log_index{3};
  CHECK_FALSE(compact_beat(stray));
  CHECK_FALSE(compact_beat(envelope_to(2)));
}

TEST_CASE("transport outbox: heartbeats of many regions share one batch per store") {
  outbox_config cfg;
  cfg.max_queued = 40;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  out.connect(store_id{3});
  for (std::uint64_t r = 1; r <= 30; ++r) {
    CHECK(out.add(beat_to(2, r)) == transport_outbox::add_result::beat_queued);
    CHECK(out.add(beat_to(3, r, true)) == transport_outbox::add_result::beat_queued);
  }
  auto with_context = beat_to(2, 31);
  with_context.msg.context = "read";
  CHECK(out.add(with_context) == transport_outbox::add_result::queued);
  auto batches = out.take_all();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].beats.size() == 30);
  REQUIRE(batches[0].envelopes.size() == 1);
  CHECK(batches[0].envelopes[0] == with_context);
  CHECK(batches[1].beats.size() == 30);
  CHECK(batches[1].envelopes.empty());
  CHECK(expand_beat(batches[1].beats[4], store_id{1}, store_id{3}) == beat_to(3, 5, true));
  CHECK(out.stats().beats_sent == 60);
  CHECK(out.stats().envelopes_sent == 1);
  // Beats count against the queue bound, and a lost connection drops them.
  for (std::uint64_t r = 1; r <= 45; ++r)
    out.add(beat_to(2, r));
  CHECK(out.queued(store_id{2}) == 40);
  CHECK(out.stats().dropped_full == 5);
  out.disconnect(store_id{2});
  CHECK(out.stats().dropped_unreachable == 40);
}

TEST_CASE("transport outbox: beats fill the room a batch has left") {
  outbox_config cfg;
  cfg.batch_bytes = 10 * transport_outbox::beat_size;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  for (std::uint64_t r = 1; r <= 25; ++r)
    out.add(beat_to(2, r));
  auto batches = out.take_all();
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].beats.size() == 10);
  CHECK(batches[1].beats.size() == 10);
  CHECK(batches[2].beats.size() == 5);
  CHECK(batches[2].beats.back().region == region_id{25});
}

TEST_CASE("transport outbox: one batch per destination and flush") {
  outbox_config cfg;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  out.connect(store_id{3});
  for (int k = 0; k < 10; ++k) {
    CHECK(out.add(envelope_to(2)) == transport_outbox::add_result::queued);
    CHECK(out.add(envelope_to(3)) == transport_outbox::add_result::queued);
  }
  CHECK(out.add(envelope_to(4)) == transport_outbox::add_result::unreachable);
  auto batches = out.take_all();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].to_store == store_id{2});
  CHECK(batches[0].from_store == store_id{1});
  CHECK(batches[0].envelopes.size() == 10);
  CHECK(batches[1].envelopes.size() == 10);
  CHECK(out.take_all().empty());
  CHECK(out.stats().dropped_unreachable == 1);
}

TEST_CASE("transport outbox: a full batch leaves at once, by count or by bytes") {
  outbox_config cfg;
  cfg.batch_envelopes = 4;
  cfg.batch_bytes = 8 * 1024;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  for (int k = 0; k < 3; ++k)
    CHECK(out.add(envelope_to(2)) == transport_outbox::add_result::queued);
  CHECK(out.add(envelope_to(2)) == transport_outbox::add_result::send_now);
  CHECK(out.take(store_id{2})->envelopes.size() == 4);
  CHECK(out.add(envelope_to(2, 1, 10 * 1024)) == transport_outbox::add_result::send_now);
  CHECK(out.take(store_id{2})->envelopes.size() == 1);
}

TEST_CASE("transport outbox: the window bounds batches in flight, then envelopes drop") {
  outbox_config cfg;
  cfg.batch_envelopes = 2;
  cfg.window = 2;
  cfg.max_queued = 6;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  for (int k = 0; k < 4; ++k)
    out.add(envelope_to(2));
  CHECK(out.take_all().size() == 2);
  CHECK(out.in_flight(store_id{2}) == 2);
  // The window is closed: envelopes wait, up to max_queued, and the rest are dropped.
  for (int k = 0; k < 8; ++k)
    out.add(envelope_to(2));
  CHECK(out.queued(store_id{2}) == 6);
  CHECK(out.stats().dropped_full == 2);
  CHECK_FALSE(out.take(store_id{2}));
  out.on_ack(store_id{2}, 1);
  CHECK(out.take(store_id{2})->envelopes.size() == 2);
  CHECK_FALSE(out.take(store_id{2}));
  out.on_ack(store_id{2}, 2);
  CHECK(out.take_all().size() == 2);
  CHECK(out.queued(store_id{2}) == 0);
}

TEST_CASE("transport outbox: a window full without acknowledgement for a whole watch reopens") {
  outbox_config cfg;
  cfg.batch_envelopes = 1;
  cfg.window = 2;
  transport_outbox out{store_id{1}, cfg};
  out.connect(store_id{2});
  out.connect(store_id{3});
  CHECK_FALSE(out.watch_stalls());
  for (int k = 0; k < 3; ++k) {
    out.add(envelope_to(2));
    out.add(envelope_to(3));
  }
  CHECK(out.take_all().size() == 4);
  REQUIRE(out.watch_stalls());
  // Store 3 acknowledges one batch and fills its window again; store 2 stays silent.
  out.on_ack(store_id{3}, 1);
  REQUIRE(out.take(store_id{3}));
  CHECK(out.reopen_stalled() == std::vector<store_id>{store_id{2}});
  CHECK(out.stats().window_resets == 1);
  CHECK(out.in_flight(store_id{2}) == 0);
  CHECK(out.in_flight(store_id{3}) == 2);
  // Nothing is watched until the next watch starts.
  CHECK(out.reopen_stalled().empty());
  CHECK(out.take(store_id{2}));
}

namespace {

/// Stands in for another store's transport: records every batch delivered to it.
transport_inbox_actor recording_inbox(caf::actor_system& sys,
                                      std::shared_ptr<std::vector<raft_batch>> received) {
  return sys.spawn([received]() -> transport_inbox_actor::behavior_type {
    return {[received](deliver_atom, raft_batch& b) { received->push_back(std::move(b)); },
            [](snapshot_chunk_atom, const snapshot_chunk&) { return true; },
            [](partition_atom, const std::vector<store_id>&) { return true; }};
  });
}

/// Two regions replicated on three stores over the batching transport.
struct two_regions : test::runtime_fixture {
  storage::region_meta r1 = region(1, "", "m");
  storage::region_meta r2 = region(2, "m", "");

  two_regions() {
    create(r1);
    create(r2);
  }
};

}  // namespace

TEST_CASE_FIXTURE(two_regions, "transport: regions elect and write independently in batches") {
  elect(0, r1.id);
  elect(0, r2.id);
  // Writes to both regions in flight at once: their raft messages to each follower store share
  // batches.
  auto acked = std::make_shared<int>(0);
  for (int k = 0; k < 5; ++k) {
    for (std::string key : {"a" + std::to_string(k), "x" + std::to_string(k)}) {
      put_request req{{}, key, key, client_id{1}, 0};
      auto peer = test::peer_for(*nodes[0].routes, req.header, key);
      REQUIRE(peer);
      sys.spawn([=](caf::event_based_actor* self) {
        self->request(*peer, caf::infinite, kv_put_atom::value, req).then([=](write_response&) {
          ++*acked;
        });
      });
    }
  }
  sched.run();
  CHECK(*acked == 10);
  tick_all(2);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto view = nodes[i].store.kv->read().value();
    CHECK(view.get("a4").value() == std::optional<std::string>{"a4"});
    CHECK(view.get("x4").value() == std::optional<std::string>{"x4"});
  }
  std::uint64_t batches = 0;
  std::uint64_t envelopes = 0;
  std::uint64_t beats = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto s = transport_stats_of(i);
    batches += s.batches_sent;
    envelopes += s.envelopes_sent;
    beats += s.beats_sent;
    CHECK(s.dropped_no_peer == 0);
    CHECK(s.dropped_full == 0);
    CHECK(s.batches_received > 0);
  }
  CHECK(envelopes > batches);
  // The ticks' heartbeats and their answers travelled in compact form.
  CHECK(beats > 0);
  // Most acknowledgements rode on batches going back.
  std::uint64_t received = 0;
  std::uint64_t acks_alone = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    received += transport_stats_of(i).batches_received;
    acks_alone += transport_stats_of(i).acks_alone;
  }
  CHECK(acks_alone * 4 < received);
  MESSAGE("envelopes " << envelopes << " and beats " << beats << " in " << batches << " batches");
}

TEST_CASE_FIXTURE(two_regions, "transport: traffic of one region never reaches another") {
  elect(0, r1.id);
  auto term1 = status(1, r1.id).term;
  auto term2 = status(1, r2.id).term;
  // A vote request of region 1 addressed to region 2's peer on store 2, and one naming
  // region 2 but addressed to region 1's peer: both must be dropped, not stepped.
  auto forged = [&](region_id region, peer_id to) {
    raft_envelope env;
    env.region = region;
    env.from = {peer_id{103}, store_id{3}, storage::peer_role::voter};
    env.to = {to, store_id{2}, storage::peer_role::voter};
    env.msg.type = raft::message_type::vote;
    env.msg.from = peer_id{103};
    env.msg.to = to;
    env.msg.term = raft::term_id{99};
    env.msg.index = raft::log_index{1000};
    env.msg.log_term = raft::term_id{99};
    return env;
  };
  raft_batch batch{
      store_id{3}, store_id{2}, {forged(r1.id, peer_id{202}), forged(r2.id, peer_id{102})}, {}, 0};
  caf::anon_send(nodes[1].transport, deliver_atom::value, batch);
  sched.run();
  // The supervisor hears of them (a message for a replica a leader just added creates it),
  // and drops them: the store holds both regions.
  CHECK(transport_stats_of(1).to_supervisor == 2);
  CHECK(status(1, r1.id).term == term1);
  CHECK(status(1, r2.id).term == term2);
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: an unreachable store is reported to the sender") {
  auto routes = std::make_shared<route_holder>();
  auto transport = spawn_transport(sys, store_id{1}, routes);
  auto reported = std::make_shared<std::vector<peer_id>>();
  sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    std::vector<raft_envelope> envs{envelope_to(9), envelope_to(9), envelope_to(8, 2)};
    self->send(transport, send_raft_atom::value, std::move(envs));
    return {
        [=](unreachable_atom, peer_id id) { reported->push_back(id); },
    };
  });
  sched.run();
  // One report per unreachable peer, however many of its envelopes were dropped.
  REQUIRE(reported->size() == 2);
  CHECK((*reported)[0] == peer_id{109});
  CHECK((*reported)[1] == peer_id{208});
  auto stats = test::ask<transport_stats>(sys, sched, transport, stats_atom::value);
  CHECK(stats->dropped_unreachable == 3);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: a partition drops traffic both ways, only where it is allowed") {
  outbox_config cfg;
  cfg.beat_delay = std::chrono::nanoseconds{0};
  auto refusing = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), cfg);
  CHECK_FALSE(test::ask<bool>(sys, sched, refusing, partition_atom::value,
                              std::vector<store_id>{store_id{2}})
                  .engaged());
  cfg.allow_partitions = true;
  auto transport = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), cfg);
  auto received = std::make_shared<std::vector<raft_batch>>();
  auto inbox = recording_inbox(sys, received);
  caf::anon_send(transport, connect_atom::value, store_id{2}, inbox);
  sched.run();
  REQUIRE(test::ask<bool>(sys, sched, transport, partition_atom::value,
                          std::vector<store_id>{store_id{2}})
              .engaged());
  auto msg = beat_to(2, 1);
  msg.msg.context = "read";
  caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{msg});
  sched.run();
  CHECK(received->empty());
  // What store 2 sends is dropped too; its acknowledgements still count.
  raft_batch from_2{store_id{2}, store_id{1}, {beat_to(1, 1)}, {}, 0};
  caf::anon_send(transport, deliver_atom::value, from_2);
  sched.run();
  auto stats = test::ask<transport_stats>(sys, sched, transport, stats_atom::value);
  REQUIRE(stats.engaged());
  CHECK(stats->dropped_partitioned == 2);
  CHECK(stats->envelopes_delivered == 0);
  // Healed: traffic flows again.
  REQUIRE(test::ask<bool>(sys, sched, transport, partition_atom::value, std::vector<store_id>{})
              .engaged());
  caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{msg});
  sched.run();
  CHECK(received->size() == 1);
  for (auto h : {caf::actor_cast<caf::actor>(transport), caf::actor_cast<caf::actor>(refusing),
                 caf::actor_cast<caf::actor>(inbox)})
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: a heartbeat round of many regions leaves as one batch per store") {
  outbox_config cfg;
  cfg.beat_delay = std::chrono::milliseconds{10};
  auto transport = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), cfg);
  auto received = std::make_shared<std::vector<raft_batch>>();
  auto inbox = recording_inbox(sys, received);
  caf::anon_send(transport, connect_atom::value, store_id{2}, inbox);
  sched.run();
  // Each region peer hands over its heartbeat in a message of its own, as after a tick.
  for (std::uint64_t r = 1; r <= 8; ++r)
    caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{beat_to(2, r)});
  sched.run();
  CHECK(received->empty());
  sched.advance_time(cfg.beat_delay);
  sched.run();
  REQUIRE(received->size() == 1);
  CHECK((*received)[0].beats.size() == 8);
  CHECK((*received)[0].envelopes.empty());
  // A heartbeat with a read context does not wait, and takes held beats along.
  caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{beat_to(2, 9)});
  auto read = beat_to(2, 10);
  read.msg.context = "read";
  caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{read});
  sched.run();
  REQUIRE(received->size() == 2);
  CHECK((*received)[1].envelopes.size() == 1);
  CHECK((*received)[1].beats.size() == 1);
  // The timer armed for the beat finds nothing left to send.
  sched.advance_time(cfg.beat_delay);
  sched.run();
  CHECK(received->size() == 2);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(inbox, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: delivered batches are acknowledged on the way back or alone") {
  outbox_config cfg;
  cfg.window = 4;
  cfg.ack_every = 3;
  cfg.batch_envelopes = 1;
  cfg.beat_delay = {};
  auto transport = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), cfg);
  // Stands in for store 2's transport: records what store 1 sends it.
  auto received = std::make_shared<std::vector<raft_batch>>();
  auto store2 = recording_inbox(sys, received);
  caf::anon_send(transport, connect_atom::value, store_id{2}, store2);
  sched.run();
  auto from_store2 = [&](std::uint64_t acks) {
    raft_batch b{store_id{2}, store_id{1}, {envelope_to(1)}, {}, acks};
    caf::send_as(caf::actor_cast<caf::actor>(store2), transport, deliver_atom::value, b);
    sched.run();
  };
  auto send_one = [&] {
    caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{envelope_to(2)});
    sched.run();
  };
  // Two batches delivered, then one sent back: it carries both acknowledgements, also across
  // a reconnect (store 2 reconnects on its own schedule).
  from_store2(0);
  from_store2(0);
  CHECK(received->empty());
  caf::anon_send(transport, connect_atom::value, store_id{2}, store2);
  send_one();
  REQUIRE(received->size() == 1);
  CHECK((*received)[0].acks == 2);
  // A one-way stream: every third delivered batch is acknowledged alone.
  for (int k = 0; k < 6; ++k)
    from_store2(0);
  REQUIRE(received->size() == 3);
  CHECK((*received)[1].envelopes.empty());
  CHECK((*received)[1].acks == 3);
  CHECK((*received)[2].acks == 3);
  // Store 1's window (4) fills and two batches wait; an acknowledgement from store 2 reopens
  // it and sends both.
  for (int k = 0; k < 5; ++k)
    send_one();
  CHECK(received->size() == 6);
  auto stats = test::ask<transport_stats>(sys, sched, transport, stats_atom::value);
  CHECK(stats->acks_alone == 2);
  CHECK(stats->batches_received == 8);
  from_store2(2);
  REQUIRE(received->size() == 8);
  // The first carries the acknowledgement of the batch that freed them.
  CHECK((*received)[6].envelopes.size() == 1);
  CHECK((*received)[6].acks == 1);
  CHECK((*received)[7].envelopes.size() == 1);
  CHECK((*received)[7].acks == 0);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store2, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: a lost store is reported to the peers it leads for") {
  auto routes = std::make_shared<route_holder>();
  auto told = std::make_shared<std::vector<std::pair<std::uint64_t, peer_id>>>();
  // Stand-ins for the local peers of regions 1 and 2: record what they are told.
  auto recorder = [&](std::uint64_t region) {
    return caf::actor_cast<region_peer_actor>(
        sys.spawn([=](caf::event_based_actor*) -> caf::behavior {
          return {[=](unreachable_atom, peer_id id) { told->emplace_back(region, id); }};
        }));
  };
  auto meta_of = [](std::uint64_t region, std::string start, std::string end) {
    storage::region_meta m;
    m.id = region_id{region};
    m.start_key = std::move(start);
    m.end_key = std::move(end);
    m.epoch = {1, 1};
    for (std::uint64_t s = 1; s <= 3; ++s)
      m.peers.push_back({peer_id{region * 100 + s}, store_id{s}, storage::peer_role::voter});
    return m;
  };
  auto m1 = meta_of(1, "", "m");
  auto m2 = meta_of(2, "m", "");
  auto table = route_table{}.with_update(m1, recorder(1));
  table = table->with_update(m2, recorder(2));
  table = table->with_leader(m1.id, m1.peers[2]);
  table = table->with_leader(m2.id, m2.peers[1]);
  routes->publish(std::make_shared<const route_table>(*table));
  auto transport = spawn_transport(sys, store_id{1}, routes);
  auto inbox = sys.spawn([]() -> transport_inbox_actor::behavior_type {
    return {[](deliver_atom, raft_batch&) {},
            [](snapshot_chunk_atom, const snapshot_chunk&) { return true; },
            [](partition_atom, const std::vector<store_id>&) { return true; }};
  });
  caf::anon_send(transport, connect_atom::value, store_id{3}, inbox);
  caf::anon_send(transport, disconnect_atom::value, store_id{3});
  sched.run();
  // Only region 1 is led from store 3.
  REQUIRE(told->size() == 1);
  CHECK((*told)[0].first == 1);
  CHECK((*told)[0].second == peer_id{103});
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(inbox, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "transport: acknowledgements lost on the way back do not close the window") {
  outbox_config cfg;
  cfg.window = 4;
  cfg.batch_envelopes = 1;
  cfg.beat_delay = {};
  cfg.stall_timeout = std::chrono::milliseconds{300};
  auto transport = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), cfg);
  // Store 2 receives everything, and every acknowledgement it sends back is lost (its handle
  // to store 1 is a dead connection it has not noticed).
  auto received = std::make_shared<std::vector<raft_batch>>();
  auto store2 = recording_inbox(sys, received);
  caf::anon_send(transport, connect_atom::value, store_id{2}, store2);
  sched.run();
  for (int k = 0; k < 6; ++k) {
    caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{envelope_to(2)});
    sched.run();
  }
  CHECK(received->size() == 4);
  // Short of the timeout the window stays closed.
  sched.advance_time(cfg.stall_timeout / 2);
  sched.run();
  CHECK(received->size() == 4);
  sched.advance_time(cfg.stall_timeout / 2);
  sched.run();
  CHECK(received->size() == 6);
  auto stats = test::ask<transport_stats>(sys, sched, transport, stats_atom::value);
  CHECK(stats->window_resets == 1);
  // An acknowledgement that arrives in time keeps the window as it is.
  for (int k = 0; k < 6; ++k) {
    caf::anon_send(transport, send_raft_atom::value, std::vector<raft_envelope>{envelope_to(2)});
    sched.run();
  }
  CHECK(received->size() == 8);
  raft_batch ack{store_id{2}, store_id{1}, {}, {}, 1};
  caf::send_as(caf::actor_cast<caf::actor>(store2), transport, deliver_atom::value, ack);
  sched.run();
  CHECK(received->size() == 9);
  sched.advance_time(cfg.stall_timeout);
  sched.run();
  stats = test::ask<transport_stats>(sys, sched, transport, stats_atom::value);
  CHECK(stats->window_resets == 1);
  CHECK(received->size() == 9);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store2, caf::exit_reason::user_shutdown);
  sched.run();
}
