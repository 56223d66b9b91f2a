#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/store/region_bootstrap.hpp"
#include "actors/store/store_writer.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

using ack_receiver = caf::typed_actor<caf::reacts_to<persisted_atom, persisted>>;

storage::region_meta meta_of(region_id id) {
  storage::region_meta m;
  m.id = id;
  m.epoch = {1, 1};
  m.peers = {{peer_id{id.value() * 10 + 1}, store_id{1}, storage::peer_role::voter}};
  return m;
}

/// Ready `n` of `region`: one entry at index 5 + n, its hard state, one put and the apply state.
write_task task_of(region_id region, std::uint64_t n) {
  write_task t;
  t.region = region;
  t.ready_number = n;
  auto index = founding_index + n;
  t.entries.push_back(raft::entry{raft::term_id{6}, index, raft::entry_type::normal, "cmd"});
  t.has_hard_state = true;
  t.hard_state = raft::hard_state{raft::term_id{6}, raft::node_id{}, index};
  t.ops.push_back(data_op{data_op_kind::put,
                          "r" + std::to_string(region.value()) + "-" + std::to_string(n), "v"});
  t.has_apply_state = true;
  t.apply_state = storage::apply_state{index, founding_index, founding_term};
  return t;
}

using ack_log = std::map<region_id, std::vector<persisted>>;

/// A stand-in for a region peer that records the acknowledgements it gets.
ack_receiver spawn_recorder(caf::actor_system& sys, std::shared_ptr<ack_log> log) {
  return sys.spawn([log]() -> ack_receiver::behavior_type {
    return {[log](persisted_atom, const persisted& p) { (*log)[p.region].push_back(p); }};
  });
}

}  // namespace

TEST_CASE_FIXTURE(test::store_fixture, "writer: tasks of many regions share one commit") {
  test::temp_dir dir;
  auto st = test::open_test_store(dir.path(), store_id{1});
  auto writer = spawn_apply_writer(sys, st, false);
  for (std::uint64_t r = 1; r <= 3; ++r)
    CHECK(
        test::ask<bool>(sys, sched, writer, bootstrap_atom::value, meta_of(region_id{r})).value());
  // A second bootstrap finds the state and changes nothing.
  CHECK_FALSE(
      test::ask<bool>(sys, sched, writer, bootstrap_atom::value, meta_of(region_id{1})).value());
  auto before = test::ask<writer_stats>(sys, sched, writer, stats_atom::value).value();
  auto log = std::make_shared<ack_log>();
  std::vector<ack_receiver> regions;
  for (int r = 0; r < 3; ++r)
    regions.push_back(spawn_recorder(sys, log));
  // Everything is in the writer's mailbox before it runs: one flush takes it all.
  for (std::uint64_t n = 1; n <= 10; ++n)
    for (std::uint64_t r = 1; r <= 3; ++r)
      caf::send_as(regions[r - 1], writer, persist_atom::value, task_of(region_id{r}, n));
  sched.run();
  auto after = test::ask<writer_stats>(sys, sched, writer, stats_atom::value).value();
  CHECK(after.tasks - before.tasks == 30);
  CHECK(after.batches - before.batches == 1);
  CHECK(after.syncs - before.syncs == 1);
  CHECK(after.entries - before.entries == 30);
  CHECK(after.data_ops - before.data_ops == 30);
  CHECK(after.max_batch_tasks == 30);
  CHECK(after.failed_batches == 0);
  // One acknowledgement per region, for its last task: it covers the nine before it.
  for (std::uint64_t r = 1; r <= 3; ++r) {
    const auto& acks = (*log)[region_id{r}];
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].ready_number == 10);
    CHECK_FALSE(acks[0].failed);
  }
  auto view = st->read().value();
  CHECK(view.get("r2-10").value() == std::optional<std::string>{"v"});
  CHECK(view.last_index(region_id{3}).value() == raft::log_index{15});
  CHECK(view.load_apply_state(region_id{1}).value()->applied_index == raft::log_index{15});
}

TEST_CASE_FIXTURE(test::store_fixture, "writer: an idle writer commits a lone task at once") {
  test::temp_dir dir;
  auto st = test::open_test_store(dir.path(), store_id{1});
  auto writer = spawn_apply_writer(sys, st, false);
  REQUIRE(
      test::ask<bool>(sys, sched, writer, bootstrap_atom::value, meta_of(region_id{1})).value());
  auto log = std::make_shared<ack_log>();
  auto region = spawn_recorder(sys, log);
  for (std::uint64_t n = 1; n <= 3; ++n) {
    caf::send_as(region, writer, persist_atom::value, task_of(region_id{1}, n));
    sched.run();
    CHECK((*log)[region_id{1}].size() == n);
  }
  auto stats = test::ask<writer_stats>(sys, sched, writer, stats_atom::value).value();
  CHECK(stats.batches == 3);
  CHECK(stats.tasks == 3);
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "writer: each environment's writer founds its half and echoes its stage") {
  test::temp_dir dir;
  auto st = test::open_test_engines(dir.path(), store_id{1});
  auto log_writer = spawn_log_writer(sys, st.raft, false);
  auto apply_writer = spawn_apply_writer(sys, st.kv, false);
  auto meta = meta_of(region_id{1});
  CHECK(test::ask<bool>(sys, sched, log_writer, bootstrap_atom::value, meta).value());
  CHECK(test::ask<bool>(sys, sched, apply_writer, bootstrap_atom::value, meta).value());
  CHECK_FALSE(test::ask<bool>(sys, sched, log_writer, bootstrap_atom::value, meta).value());
  CHECK_FALSE(test::ask<bool>(sys, sched, apply_writer, bootstrap_atom::value, meta).value());
  {
    CHECK(st.raft->hard_state(region_id{1}) ==
          raft::hard_state{founding_term, raft::node_id{}, founding_index});
    CHECK(st.raft->truncated(region_id{1})->truncated_index == founding_index);
    auto kv = st.kv->read().value();
    CHECK(kv.load_region_state(region_id{1}).value()->region == meta);
    CHECK_FALSE(kv.load_hard_state(region_id{1}).value().has_value());
    CHECK(kv.load_apply_state(region_id{1}).value()->applied_index == founding_index);
  }
  auto log = std::make_shared<ack_log>();
  auto region = spawn_recorder(sys, log);
  auto whole = task_of(region_id{1}, 1);
  auto apply = split_apply_half(whole);
  caf::send_as(region, log_writer, persist_atom::value, whole);
  sched.run();
  caf::send_as(region, apply_writer, persist_atom::value, apply);
  sched.run();
  const auto& acks = (*log)[region_id{1}];
  REQUIRE(acks.size() == 2);
  CHECK(acks[0].stage == write_stage::log);
  CHECK(acks[1].stage == write_stage::apply);
  CHECK(acks[1].ready_number == 1);
  CHECK(st.raft->last_index(region_id{1}).value() == founding_index + 1);
  CHECK(st.raft->hard_state(region_id{1})->commit == founding_index + 1);
  auto kv = st.kv->read().value();
  CHECK(kv.get("r1-1").value() == std::optional<std::string>{"v"});
  // No entry went to the kv environment: its log stays empty at the founding index.
  CHECK(kv.last_index(region_id{1}).value() == founding_index);
  CHECK(kv.load_apply_state(region_id{1}).value()->applied_index == founding_index + 1);
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "writer: with a commit delay, only urgent tasks and urges commit at once") {
  test::temp_dir dir;
  auto st = test::open_test_store(dir.path(), store_id{1});
  auto writer = spawn_apply_writer(sys, st, false, std::chrono::milliseconds{10});
  REQUIRE(
      test::ask<bool>(sys, sched, writer, bootstrap_atom::value, meta_of(region_id{1})).value());
  auto log = std::make_shared<ack_log>();
  auto region = spawn_recorder(sys, log);
  const auto& acks = (*log)[region_id{1}];
  auto task = [](std::uint64_t n, bool urgent) {
    auto t = task_of(region_id{1}, n);
    t.stage = write_stage::apply;
    t.urgent = urgent;
    return t;
  };
  // A task that may wait waits for the delay ...
  caf::send_as(region, writer, persist_atom::value, task(1, false));
  sched.run();
  CHECK(acks.empty());
  CHECK(sched.trigger_timeouts() == 1);
  sched.run();
  REQUIRE(acks.size() == 1);
  // ... unless an urgent task comes, which takes it along ...
  caf::send_as(region, writer, persist_atom::value, task(2, false));
  sched.run();
  CHECK(acks.size() == 1);
  caf::send_as(region, writer, persist_atom::value, task(3, true));
  sched.run();
  REQUIRE(acks.size() == 2);
  CHECK(acks[1].ready_number == 3);
  // ... or a region peer urges the commit.
  sched.trigger_timeouts();
  sched.run();
  caf::send_as(region, writer, persist_atom::value, task(4, false));
  sched.run();
  CHECK(acks.size() == 2);
  caf::send_as(region, writer, flush_atom::value);
  sched.run();
  REQUIRE(acks.size() == 3);
  CHECK(acks[2].ready_number == 4);
  CHECK(acks[2].stage == write_stage::apply);
  auto stats = test::ask<writer_stats>(sys, sched, writer, stats_atom::value).value();
  CHECK(stats.batches == 3);
  CHECK(stats.tasks == 4);
}

TEST_CASE_FIXTURE(test::store_fixture, "writer: a failed batch is acknowledged as failed") {
  test::temp_dir dir;
  auto st = test::open_test_store(dir.path(), store_id{1});
  auto writer = spawn_apply_writer(sys, st, false);
  REQUIRE(
      test::ask<bool>(sys, sched, writer, bootstrap_atom::value, meta_of(region_id{1})).value());
  auto log = std::make_shared<ack_log>();
  auto region = spawn_recorder(sys, log);
  // Index 9 leaves a gap after the founding index 5: the batch is refused as a whole.
  auto bad = task_of(region_id{1}, 4);
  caf::send_as(region, writer, persist_atom::value, task_of(region_id{1}, 1));
  caf::send_as(region, writer, persist_atom::value, bad);
  sched.run();
  const auto& acks = (*log)[region_id{1}];
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].ready_number == 4);
  CHECK(acks[0].failed);
  CHECK_FALSE(acks[0].detail.empty());
  auto view = st->read().value();
  CHECK(view.get("r1-1").value() == std::nullopt);
  auto stats = test::ask<writer_stats>(sys, sched, writer, stats_atom::value).value();
  CHECK(stats.failed_batches == 1);
}

TEST_CASE("writer: detached, under load, syncs far fewer times than it gets tasks") {
  test::temp_dir dir;
  auto st = test::open_test_store(dir.path(), store_id{1});
  caf::actor_system_config cfg;
  add_store_types(cfg);
  caf::actor_system sys{cfg};
  constexpr std::uint64_t regions = 8;
  constexpr std::uint64_t readys = 100;
  {
    auto writer = spawn_apply_writer(sys, st, true);
    caf::scoped_actor self{sys};
    for (std::uint64_t r = 1; r <= regions; ++r) {
      bool founded = false;
      self->request(writer, std::chrono::seconds(10), bootstrap_atom::value, meta_of(region_id{r}))
          .receive([&](bool ok) { founded = ok; }, [&](caf::error& e) { FAIL(sys.render(e)); });
      REQUIRE(founded);
    }
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t n = 1; n <= readys; ++n)
      for (std::uint64_t r = 1; r <= regions; ++r)
        self->send(writer, persist_atom::value, task_of(region_id{r}, n));
    std::map<region_id, std::uint64_t> last;
    std::uint64_t received = 0;
    bool timed_out = false;
    while (received < regions * readys && !timed_out) {
      self->receive(
          [&](persisted_atom, const persisted& p) {
            CHECK_FALSE(p.failed);
            // An acknowledgement covers every earlier task of its region.
            CHECK(p.ready_number > last[p.region]);
            received += p.ready_number - last[p.region];
            last[p.region] = p.ready_number;
          },
          caf::after(std::chrono::seconds(30)) >> [&] { timed_out = true; });
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(timed_out);
    writer_stats stats;
    self->request(writer, std::chrono::seconds(10), stats_atom::value)
        .receive([&](const writer_stats& s) { stats = s; },
                 [&](caf::error& e) { FAIL(sys.render(e)); });
    MESSAGE(
        "group commit: " << stats.tasks << " tasks in " << stats.batches << " batches ("
                         << stats.syncs << " syncs incl. " << regions
                         << " bootstraps), largest batch " << stats.max_batch_tasks << " tasks, "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                         << " ms");
    CHECK(stats.tasks == regions * readys);
    CHECK(stats.batches < stats.tasks / 4);
    self->send_exit(writer, caf::exit_reason::user_shutdown);
  }
  auto view = st->read().value();
  for (std::uint64_t r = 1; r <= regions; ++r)
    CHECK(view.last_index(region_id{r}).value() == founding_index + readys);
}
