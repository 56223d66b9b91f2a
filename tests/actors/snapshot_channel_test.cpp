// The transport's snapshot channel, on real threads: a snapshot file crosses from one store's
// transport to another's in windowed chunks, is checked whole and only then handed to the local
// peer with a descriptor pointing at the staged copy; a file that does not match is refused.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/region/region_snapshot.hpp"
#include "actors/transport/transport.hpp"
#include "tests/support/live_system.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;
using namespace rdb::test;

namespace {

struct recorded {
  std::mutex mtx;
  std::optional<raft_envelope> delivered;
  std::optional<bool> status;
};

storage::region_meta region_meta() {
  storage::region_meta m;
  m.id = region_id{4};
  m.epoch = {1, 1};
  m.peers = {{peer_id{41}, store_id{1}, storage::peer_role::voter},
             {peer_id{42}, store_id{2}, storage::peer_role::voter}};
  return m;
}

/// Writes a snapshot of `pairs` values of 1 KiB and answers its descriptor.
snapshot_descriptor make_file(const std::string& path, int pairs) {
  storage::region_local_state rs{region_meta(), storage::peer_state::normal};
  auto w = storage::snapshot_writer::create(path, rs, raft::log_index{30}, raft::term_id{2});
  REQUIRE(w.has_value());
  for (int i = 0; i < pairs; ++i)
    REQUIRE(w->pair("k" + std::to_string(1000 + i), std::string(1024, 'a' + i % 26)).has_value());
  auto info = w->finish();
  REQUIRE(info.has_value());
  return snapshot_descriptor{path, info->bytes, info->crc, rs};
}

struct two_stores {
  live_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  std::shared_ptr<recorded> rec = std::make_shared<recorded>();
  local_transport_actor t1;
  local_transport_actor t2;
  caf::actor stand_in;
  /// Store 2's routes.
  std::shared_ptr<route_holder> routes = std::make_shared<route_holder>();

  explicit two_stores(std::uint64_t max_bytes_per_sec = 0) {
    std::filesystem::create_directories(dir.sub("recv"));
    // One actor stands in for the leader peer on store 1 and the follower on store 2.
    stand_in = sys.spawn([r = rec](caf::event_based_actor*) -> caf::behavior {
      return {
          [=](raft_msg_atom, raft_envelope& env) {
            std::lock_guard lock{r->mtx};
            r->delivered = std::move(env);
          },
          [=](snapshot_status_atom, peer_id, bool ok) {
            std::lock_guard lock{r->mtx};
            r->status = ok;
          },
      };
    });
    routes->publish(std::make_shared<const route_table>(
        *route_table{}.with_update(region_meta(), caf::actor_cast<region_peer_actor>(stand_in))));
    snapshot_channel_config snap;
    snap.chunk_bytes = 4096;
    snap.window = 3;
    snap.max_bytes_per_sec = max_bytes_per_sec;
    t1 = spawn_transport(sys, store_id{1}, std::make_shared<route_holder>(), {}, snap);
    snap.dir = dir.sub("recv");
    t2 = spawn_transport(sys, store_id{2}, routes, {}, snap);
    caf::anon_send(t1, connect_atom::value, store_id{2}, transport_inbox_actor{t2});
  }

  ~two_stores() {
    caf::anon_send_exit(t1, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(t2, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(stand_in, caf::exit_reason::user_shutdown);
  }

  /// Store 2 routes `meta` instead of the snapshot's region.
  void route_only(const storage::region_meta& meta) {
    routes->publish(std::make_shared<const route_table>(
        *route_table{}.with_update(meta, caf::actor_cast<region_peer_actor>(stand_in))));
  }

  /// Sends the snapshot `d` names from store 1 to store 2, as the leader peer would.
  void send(const snapshot_descriptor& d) {
    raft_envelope env;
    env.region = region_meta().id;
    env.from = region_meta().peers[0];
    env.to = region_meta().peers[1];
    env.msg.type = raft::message_type::snapshot;
    env.msg.snapshot.meta.index = raft::log_index{30};
    env.msg.snapshot.data = encode_descriptor(d);
    caf::send_as(stand_in, t1, send_snapshot_atom::value, std::move(env));
  }

  std::optional<bool> status() {
    REQUIRE(wait_until([&] {
      std::lock_guard lock{rec->mtx};
      return rec->status.has_value();
    }));
    std::lock_guard lock{rec->mtx};
    return rec->status;
  }
};

}  // namespace

TEST_CASE_FIXTURE(two_stores,
                  "snapshot channel: a file crosses in chunks and is delivered once whole") {
  // About 100 KiB: some 25 chunks of 4 KiB through a window of 3.
  auto d = make_file(dir.sub("sent.snap"), 100);
  send(d);
  CHECK(status() == true);
  std::lock_guard lock{rec->mtx};
  REQUIRE(rec->delivered.has_value());
  auto got = decode_descriptor(rec->delivered->msg.snapshot.data);
  REQUIRE(got.has_value());
  CHECK(got->path.starts_with(dir.sub("recv")));
  CHECK(got->bytes == d.bytes);
  auto a = storage::read_snapshot_file(d.path);
  auto b = storage::read_snapshot_file(got->path);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(*a == *b);
}

TEST_CASE_FIXTURE(two_stores,
                  "snapshot channel: a file that does not match its checksum is refused") {
  auto d = make_file(dir.sub("sent.snap"), 20);
  d.crc ^= 1;
  send(d);
  CHECK(status() == false);
  std::lock_guard lock{rec->mtx};
  CHECK_FALSE(rec->delivered.has_value());
  // Nothing is left staged.
  CHECK(std::filesystem::is_empty(dir.sub("recv")));
}

TEST_CASE_FIXTURE(two_stores, "snapshot channel: a missing file fails the stream") {
  auto d = make_file(dir.sub("sent.snap"), 5);
  std::filesystem::remove(d.path);
  send(d);
  CHECK(status() == false);
}

TEST_CASE_FIXTURE(two_stores,
                  "snapshot channel: a snapshot of a region the store does not route goes to "
                  "the supervisor") {
  // Store 2 holds another region, elsewhere in the key space, and has a supervisor.
  auto other = region_meta();
  other.id = region_id{5};
  other.start_key = "x";
  auto d = make_file(dir.sub("sent.snap"), 5);
  d.region.region.end_key = "x";
  route_only(other);
  caf::anon_send(t2, connect_atom::value, caf::actor_cast<raft_sink_actor>(stand_in));
  send(d);
  CHECK(status() == true);
  std::lock_guard lock{rec->mtx};
  REQUIRE(rec->delivered.has_value());
  CHECK(rec->delivered->region == region_meta().id);
}

TEST_CASE_FIXTURE(two_stores,
                  "snapshot channel: a snapshot whose range overlaps another region here is "
                  "refused") {
  // Installing it would clear [, +inf), which holds region 5's data on store 2.
  auto other = region_meta();
  other.id = region_id{5};
  other.start_key = "x";
  route_only(other);
  caf::anon_send(t2, connect_atom::value, caf::actor_cast<raft_sink_actor>(stand_in));
  send(make_file(dir.sub("sent.snap"), 5));
  CHECK(status() == false);
  std::lock_guard lock{rec->mtx};
  CHECK_FALSE(rec->delivered.has_value());
  CHECK(std::filesystem::is_empty(dir.sub("recv")));
}

namespace {

/// Streams limited to 400 KiB/s.
struct paced_stores : two_stores {
  paced_stores() : two_stores(400 << 10) {}
};

}  // namespace

TEST_CASE_FIXTURE(paced_stores, "snapshot channel: a stream keeps to its rate limit") {
  // 100 KiB: the last chunk may leave no sooner than (100 - 4) KiB / 400 KiB/s = 0.24 s after
  // the first (a lower bound only: a slow machine makes it later, never sooner).
  auto d = make_file(dir.sub("sent.snap"), 100);
  auto start = std::chrono::steady_clock::now();
  send(d);
  CHECK(status() == true);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds{200});
  std::lock_guard lock{rec->mtx};
  CHECK(rec->delivered.has_value());
}
