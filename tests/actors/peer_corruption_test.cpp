#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/system_messages.hpp>

#include "actors/common/errors.hpp"
#include "actors/region/command_codec.hpp"
#include "actors/region/peer.hpp"
#include "actors/region/region_peer.hpp"
#include "actors/store/region_bootstrap.hpp"
#include "actors/store/store_writer.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

/// Region 1 with one voter, peer 11 on store 1.
storage::region_meta lone_region() {
  storage::region_meta m;
  m.id = region_id{1};
  m.epoch = {1, 1};
  m.peers = {{peer_id{11}, store_id{1}, storage::peer_role::voter}};
  return m;
}

/// A founded replica of `lone_region` whose log holds one more entry, committed but not
/// applied: index 6 of the founding term, carrying `data`.
storage::engines store_with_committed(const std::string& dir, std::string data) {
  auto st = test::open_test_engines(dir, store_id{1});
  for (auto stage : {write_stage::log, write_stage::apply}) {
    storage::write_batch b;
    add_founding_state(b, lone_region(), stage);
    REQUIRE((stage == write_stage::log ? st.raft->write(b) : st.kv->write(b)).has_value());
  }
  write_task t;
  t.region = region_id{1};
  t.entries.push_back(
      raft::entry{founding_term, founding_index + 1, raft::entry_type::normal, std::move(data)});
  t.has_hard_state = true;
  t.hard_state = raft::hard_state{founding_term, peer_id{}, founding_index + 1};
  storage::write_batch b;
  add_write_task(b, t);
  REQUIRE(st.raft->write(b).has_value());
  return st;
}

peer_config config() {
  peer_config cfg;
  cfg.store = store_id{1};
  cfg.region = region_id{1};
  return cfg;
}

/// A put's encoding with its kind byte replaced: what a newer binary's command looks like.
std::string command_of_kind(std::uint8_t kind) {
  command cmd;
  cmd.kind = command_kind::put;
  cmd.key = "k";
  cmd.value = "v";
  auto bytes = command_codec::encode(cmd);
  bytes[1] = static_cast<char>(kind);
  return bytes;
}

/// The replica's first ready, with the committed entry in it; what it asks its actor to do.
peer_output first_ready(const storage::engines& st) {
  auto p = peer::open(config(), st);
  REQUIRE(p.has_value());
  (*p)->tick();
  return (*p)->take_output();
}

}  // namespace

TEST_CASE("peer: a committed entry that does not decode stops the replica, applying nothing") {
  test::temp_dir dir;
  auto st = store_with_committed(dir.path(), "\x07 not a command");
  auto out = first_ready(st);
  REQUIRE(out.fatal.has_value());
  CHECK(out.fatal->find("committed entry 6") != std::string::npos);
  CHECK(out.fatal->find("unknown format version 7") != std::string::npos);
  // Not applied as a no-op: no apply half leaves, and the applied index stays at founding.
  CHECK(out.tasks.empty());
  auto view = st.kv->read().value();
  CHECK(view.load_apply_state(region_id{1}).value()->applied_index == founding_index);
}

TEST_CASE("peer: a command kind this binary does not know stops the replica, not skipped") {
  test::temp_dir dir;
  auto st = store_with_committed(dir.path(), command_of_kind(9));
  auto out = first_ready(st);
  REQUIRE(out.fatal.has_value());
  CHECK(out.fatal->find("command kind 9 is unknown to this binary") != std::string::npos);
  CHECK(out.tasks.empty());
  // The same bytes with a known kind apply: the refusal is about the kind alone.
  test::temp_dir known;
  auto ok = store_with_committed(known.path(), command_of_kind(1));
  auto fine = first_ready(ok);
  CHECK_FALSE(fine.fatal.has_value());
  CHECK_FALSE(fine.tasks.empty());
}

TEST_CASE("peer: an applied entry that no longer decodes refuses to open the replica") {
  test::temp_dir dir;
  auto st = store_with_committed(dir.path(), "\x07 not a command");
  // As if the entry had been applied when it still decoded: sessions are replayed from it.
  write_task t;
  t.region = region_id{1};
  t.stage = write_stage::apply;
  t.has_apply_state = true;
  t.apply_state = storage::apply_state{founding_index + 1, founding_index, founding_term};
  storage::write_batch b;
  add_write_task(b, t);
  REQUIRE(st.kv->write(b).has_value());
  auto p = peer::open(config(), st);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == storage::errc::storage_corrupt);
  CHECK(p.error().message.find("applied entry 6") != std::string::npos);
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "region peer: an undecodable entry ends the actor with "
                  "storage_corrupt") {
  test::temp_dir dir;
  region_peer_context ctx;
  ctx.config = config();
  ctx.store = store_with_committed(dir.path(), "\x07 not a command");
  ctx.writer = spawn_log_writer(sys, ctx.store.raft, false);
  ctx.applier = spawn_apply_writer(sys, ctx.store.kv, false);
  auto p = spawn_region_peer(sys, ctx);
  auto reason = std::make_shared<caf::error>();
  auto watcher = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(p);
    self->set_down_handler([=](caf::down_msg& dm) { *reason = dm.reason; });
    // A behavior keeps the watcher alive until the down message comes.
    return {[](stop_atom) {}};
  });
  sched.run();
  caf::anon_send(p, raft_tick_atom::value);
  sched.run();
  REQUIRE(*reason);
  CHECK(rdb_code(*reason) == errc::storage_corrupt);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx.writer, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx.applier, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(test::store_fixture,
                  "region peer: one that cannot open its replica quits, "
                  "saying why") {
  test::temp_dir dir;
  region_peer_context ctx;
  ctx.config = config();
  // Nothing founded: the store holds no state of region 1.
  ctx.store = test::open_test_engines(dir.path(), store_id{1});
  auto p = spawn_region_peer(sys, ctx);
  auto reason = std::make_shared<caf::error>();
  sys.spawn([=](caf::event_based_actor* self) {
    self->monitor(p);
    self->set_down_handler([=](caf::down_msg& dm) {
      *reason = dm.reason;
      self->quit();
    });
    return caf::behavior{[](stop_atom) {}};
  });
  sched.run();
  REQUIRE(*reason);
  CHECK(rdb_code(*reason) == errc::storage_corrupt);
  auto why = to_request_error(*reason);
  REQUIRE(why);
  CHECK(why->detail.find("cannot open") != std::string::npos);
}
