// rdb-bench-snapshot: the cost of catching a replica up by snapshot. Store 1 holds one region
// with MiB of data (values of 256 B..4 KiB); its snapshot is made by the same code as the
// snapshot worker's, streamed to store 2's transport over the snapshot channel (1 MiB chunks,
// window 4, through CAF's middleman over loopback TCP), and installed into store 2 as its apply
// writer would (one kv commit).
//
// Usage: rdb-bench-snapshot [MiB, default 64] [directory, - for a temporary one]. Prints each
// phase's time and MiB/s, and the end-to-end MiB/s; checks that store 2 then holds every key.
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>

#include "actors/region/region_snapshot.hpp"
#include "actors/store/region_bootstrap.hpp"
#include "actors/store/store_types.hpp"
#include "actors/store/writer_types.hpp"
#include "actors/transport/transport.hpp"
#include "storage/engines.hpp"

using namespace rdb;
using clock_type = std::chrono::steady_clock;

namespace {

struct bench_config : caf::actor_system_config {
  bench_config() {
    add_store_types(*this);
    load<caf::io::middleman>();
  }
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rdb-bench-snapshot: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(storage::result<T> r, const char* what) {
  if (!r) die(std::string{what} + ": " + r.error().message);
  return std::move(*r);
}

void must(storage::result<void> r, const char* what) {
  if (!r) die(std::string{what} + ": " + r.error().message);
}

storage::engines open_store(const std::string& dir, store_id store) {
  storage::store_options o;
  o.cluster = cluster_id{1};
  o.store = store;
  o.create_if_missing = true;
  return must(storage::engines::open(dir, o), "open store");
}

storage::region_meta region() {
  storage::region_meta m;
  m.id = region_id{1};
  m.epoch = storage::bootstrap_epoch;
  m.peers = {{peer_id{11}, store_id{1}, storage::peer_role::voter},
             {peer_id{12}, store_id{2}, storage::peer_role::voter}};
  return m;
}

void found(const storage::engines& st) {
  storage::write_batch log;
  add_founding_state(log, region(), write_stage::log);
  must(st.raft->write(log), "found (log)");
  storage::write_batch kv;
  add_founding_state(kv, region(), write_stage::apply);
  must(st.kv->write(kv), "found (kv)");
}

/// Writes `bytes` of data into the region in 4 MiB batches; answers the number of keys.
std::uint64_t fill(const storage::engines& st, std::uint64_t bytes) {
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<std::size_t> size{256, 4096};
  std::uint64_t keys = 0;
  std::uint64_t written = 0;
  while (written < bytes) {
    storage::write_batch b;
    for (std::uint64_t in_batch = 0; in_batch < (4u << 20) && written < bytes;) {
      char key[32];
      std::snprintf(key, sizeof key, "key%012llu", static_cast<unsigned long long>(keys++));
      std::string value(size(rng), static_cast<char>('a' + keys % 26));
      in_batch += value.size() + 15;
      written += value.size() + 15;
      b.put(region().id, key, value);
    }
    must(st.kv->write(b), "fill");
  }
  return keys;
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// What the stand-in peer actor saw: the delivered message, and the stream's outcome.
struct outcome {
  std::mutex mtx;
  std::condition_variable cv;
  std::optional<raft_envelope> delivered;
  std::optional<bool> ok;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 64;
  std::string dir = argc > 2 ? argv[2] : "-";
  bool temp = dir == "-";
  if (temp) {
    char tmpl[] = "/tmp/rdb-bench-snapshot-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) die("cannot create a temporary directory");
    dir = tmpl;
  }
  auto s1 = open_store(dir + "/store1", store_id{1});
  auto s2 = open_store(dir + "/store2", store_id{2});
  found(s1);
  found(s2);
  auto keys = fill(s1, mib << 20);
  std::filesystem::create_directories(dir + "/snap1");
  std::filesystem::create_directories(dir + "/snap2");

  // Generation.
  auto t0 = clock_type::now();
  auto snap = must(
      build_region_snapshot(s1, region().id, session_table::limits{}, dir + "/snap1/region-1.snap"),
      "make the snapshot");
  auto t1 = clock_type::now();
  auto desc = decode_descriptor(snap.data);
  if (!desc) die("descriptor does not decode");
  double file_mib = static_cast<double>(desc->bytes) / (1 << 20);

  // Transfer over the snapshot channel, between two actor systems over loopback TCP, as
  // between two node processes.
  auto out = std::make_shared<outcome>();
  {
    bench_config cfg_a;
    bench_config cfg_b;
    caf::actor_system sys_a{cfg_a};
    caf::actor_system sys_b{cfg_b};
    auto stand_in = [out](caf::event_based_actor*) -> caf::behavior {
      return {
          [=](raft_msg_atom, raft_envelope& env) {
            std::lock_guard lock{out->mtx};
            out->delivered = std::move(env);
            out->cv.notify_all();
          },
          [=](snapshot_status_atom, peer_id, bool ok) {
            std::lock_guard lock{out->mtx};
            out->ok = ok;
            out->cv.notify_all();
          },
      };
    };
    auto leader = sys_a.spawn(stand_in);
    auto follower = sys_b.spawn(stand_in);
    auto routes = std::make_shared<route_holder>();
    routes->publish(std::make_shared<const route_table>(
        *route_table{}.with_update(region(), caf::actor_cast<region_peer_actor>(follower))));
    snapshot_channel_config sc;
    auto ta = spawn_transport(sys_a, store_id{1}, std::make_shared<route_holder>(), {}, sc);
    sc.dir = dir + "/snap2";
    auto tb = spawn_transport(sys_b, store_id{2}, routes, {}, sc);
    auto port =
        sys_b.middleman().publish(caf::actor_cast<transport_inbox_actor>(tb), 0, "127.0.0.1", true);
    if (!port) die("cannot listen: " + sys_b.render(port.error()));
    auto inbox = sys_a.middleman().remote_actor<transport_inbox_actor>("127.0.0.1", *port);
    if (!inbox) die("cannot connect: " + sys_a.render(inbox.error()));
    caf::anon_send(ta, connect_atom::value, store_id{2}, *inbox);
    raft_envelope env;
    env.region = region().id;
    env.from = region().peers[0];
    env.to = region().peers[1];
    env.msg.type = raft::message_type::snapshot;
    env.msg.snapshot = snap;
    t1 = clock_type::now();
    caf::send_as(leader, ta, send_snapshot_atom::value, std::move(env));
    std::unique_lock lock{out->mtx};
    if (!out->cv.wait_for(lock, std::chrono::minutes{5},
                          [&] { return out->ok.has_value() && (!*out->ok || out->delivered); }))
      die("the transfer did not finish within 5 minutes");
    if (!*out->ok) die("the transfer failed");
    lock.unlock();
    for (auto a : {caf::actor_cast<caf::actor>(ta), caf::actor_cast<caf::actor>(leader)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto a : {caf::actor_cast<caf::actor>(tb), caf::actor_cast<caf::actor>(follower)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  auto t2 = clock_type::now();

  // Install, as the apply writer does it.
  auto received = decode_descriptor(out->delivered->msg.snapshot.data);
  if (!received) die("delivered descriptor does not decode");
  write_task task;
  task.region = region().id;
  task.stage = write_stage::apply;
  task.snapshot_file = received->path;
  task.has_apply_state = true;
  task.apply_state = storage::apply_state{snap.meta.index, snap.meta.index, snap.meta.term};
  task.has_region_state = true;
  task.region_state = received->region;
  task.ops.push_back(data_op{data_op_kind::delete_range, "", ""});
  auto contents = must(storage::read_snapshot_file(task.snapshot_file), "read the snapshot");
  storage::write_batch batch;
  must(add_snapshot_install(batch, task, contents), "install");
  must(s2.kv->write(batch), "install commit");
  auto t3 = clock_type::now();

  auto view = must(s2.kv->read(), "read store 2");
  std::uint64_t found_keys = 0;
  must(view.for_each("", "",
                     [&](std::string_view, std::string_view) {
                       ++found_keys;
                       return true;
                     }),
       "count keys");
  if (found_keys != keys)
    die("store 2 holds " + std::to_string(found_keys) + " keys, not " + std::to_string(keys));
  auto rate = [&](double s) { return s > 0 ? file_mib / s : 0.0; };
  std::printf("region data: %llu MiB, %llu keys; snapshot file %.1f MiB\n",
              static_cast<unsigned long long>(mib), static_cast<unsigned long long>(keys),
              file_mib);
  std::printf("generate  %7.3f s  %8.1f MiB/s\n", seconds(t1 - t0), rate(seconds(t1 - t0)));
  std::printf("transfer  %7.3f s  %8.1f MiB/s\n", seconds(t2 - t1), rate(seconds(t2 - t1)));
  std::printf("install   %7.3f s  %8.1f MiB/s\n", seconds(t3 - t2), rate(seconds(t3 - t2)));
  std::printf("end to end %6.3f s  %8.1f MiB/s\n", seconds(t3 - t0), rate(seconds(t3 - t0)));
  if (temp) std::filesystem::remove_all(dir);
  return 0;
}
