#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <capnp/ez-rpc.h>
#include <kj/async-io.h>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/kv/kv_service.hpp"
#include "actors/kv/local_reader.hpp"
#include "actors/router/route_table.hpp"
#include "schemas/kv.capnp.h"
#include "storage/write_batch.hpp"
#include "tests/support/live_system.hpp"
#include "tests/support/temp_dir.hpp"

namespace rdb::test {

namespace {

using namespace std::chrono_literals;

/// A region peer that takes puts and gets and never answers them: one that hangs, or one about
/// to be killed while it holds requests.
struct black_hole {
  std::atomic<int> held{0};
  region_peer_actor actor;
};

std::shared_ptr<black_hole> spawn_black_hole(caf::actor_system& sys) {
  auto h = std::make_shared<black_hole>();
  auto a = sys.spawn([h](caf::event_based_actor* self) -> caf::behavior {
    return {
        [=](kv_put_atom, const put_request&) {
          ++h->held;
          return self->make_response_promise<write_response>();
        },
        [=](kv_get_atom, const get_request&) {
          ++h->held;
          return self->make_response_promise<get_response>();
        },
    };
  });
  h->actor = caf::actor_cast<region_peer_actor>(a);
  return h;
}

/// One region holding every key, served by `peer` on this store.
std::shared_ptr<route_holder> routes_to(const region_peer_actor& peer) {
  storage::region_meta m;
  m.id = region_id{1};
  m.epoch = {1, 1};
  m.peers.push_back({peer_id{11}, store_id{1}, storage::peer_role::voter});
  auto table = route_table{}.with_update(m, peer);
  REQUIRE(table);
  auto holder = std::make_shared<route_holder>();
  holder->publish(std::make_shared<const route_table>(std::move(*table)));
  return holder;
}

/// A KV service on a real actor system, and a Cap'n Proto client of it on this thread.
struct served {
  live_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<black_hole> hole = spawn_black_hole(sys);
  std::unique_ptr<kv_service> service;

  explicit served(kv_service_config kc = {}) {
    kc.store = store_id{1};
    auto s = kv_service::start(sys, routes_to(hole->actor), pd::pd_actor{},
                               std::make_shared<address_book>(), kc);
    REQUIRE(s);
    service = std::move(*s);
  }

  ~served() {
    service->stop();
    caf::anon_send_exit(hole->actor, caf::exit_reason::kill);
  }
};

kj::Promise<capnp::Response<kv::Kv::PutResults>> put(kv::Kv::Client& kv, const std::string& key) {
  auto req = kv.putRequest();
  req.setKey(capnp::Data::Reader{reinterpret_cast<const kj::byte*>(key.data()), key.size()});
  req.setValue(capnp::Data::Reader{reinterpret_cast<const kj::byte*>(key.data()), key.size()});
  return req.send();
}

}  // namespace

TEST_CASE("kv service: a region peer killed while it holds requests answers them all") {
  served s;
  capnp::EzRpcClient client{"127.0.0.1", s.service->port()};
  auto kv = client.getMain<kv::Kv>();
  auto& ws = client.getWaitScope();
  std::vector<kj::Promise<capnp::Response<kv::Kv::PutResults>>> puts;
  for (int i = 0; i < 8; ++i)
    puts.push_back(put(kv, "k" + std::to_string(i)));
  auto get = kv.getRequest();
  get.setKey(capnp::Data::Reader{reinterpret_cast<const kj::byte*>("g"), 1});
  auto got = get.send();
  // Pumping the client's loop sends the requests; the peer holds each one.
  REQUIRE(wait_until([&] {
    client.getIoProvider().getTimer().afterDelay(1 * kj::MILLISECONDS).wait(ws);
    return s.hole->held == 9;
  }));
  CHECK(s.service->waiting().requests == 9);
  CHECK(s.service->waiting().watched == 1);
  caf::anon_send_exit(s.hole->actor, caf::exit_reason::kill);
  for (auto& p : puts) {
    auto r = p.wait(ws);
    CHECK(r.getError().isRegionNotFound());
  }
  CHECK(got.wait(ws).getError().isRegionNotFound());
  auto left = s.service->waiting();
  CHECK(left.requests == 0);
  CHECK(left.watched == 0);
  // The route still names the dead peer: a new request is bounced and answered the same way.
  CHECK(put(kv, "late").wait(ws).getError().isRegionNotFound());
  CHECK(s.service->waiting().requests == 0);
}

TEST_CASE("kv service: a hanging peer gets timeout, and a full service answers busy") {
  kv_service_config kc;
  kc.request_timeout = 300ms;
  kc.max_pending = 2;
  served s{kc};
  capnp::EzRpcClient client{"127.0.0.1", s.service->port()};
  auto kv = client.getMain<kv::Kv>();
  auto& ws = client.getWaitScope();
  auto first = put(kv, "a");
  auto second = put(kv, "b");
  REQUIRE(wait_until([&] {
    client.getIoProvider().getTimer().afterDelay(1 * kj::MILLISECONDS).wait(ws);
    return s.hole->held == 2;
  }));
  // Two wait: a third is refused at once, without reaching the peer.
  CHECK(put(kv, "c").wait(ws).getError().isServerBusy());
  CHECK(s.hole->held == 2);
  auto start = std::chrono::steady_clock::now();
  CHECK(first.wait(ws).getError().isTimeout());
  CHECK(second.wait(ws).getError().isTimeout());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(s.service->waiting().requests == 0);
  // Timed-out requests no longer count: the next one reaches the peer again.
  auto fourth = put(kv, "d");
  REQUIRE(wait_until([&] {
    client.getIoProvider().getTimer().afterDelay(1 * kj::MILLISECONDS).wait(ws);
    return s.hole->held == 3;
  }));
  CHECK(fourth.wait(ws).getError().isTimeout());
}

namespace {

/// A store whose data holds "k" = "v" in region 1, applied up to index 7; its leases, and a
/// local reader over both.
struct leased_data {
  temp_dir dir;
  std::shared_ptr<storage::store> data;
  std::shared_ptr<lease_grants> grants = std::make_shared<lease_grants>();
  std::shared_ptr<local_reader> reader;

  leased_data() {
    storage::store_options o;
    o.cluster = cluster_id{7};
    o.store = store_id{1};
    o.create_if_missing = true;
    auto st = storage::store::open(dir.path(), o);
    REQUIRE(st);
    data = std::move(*st);
    storage::write_batch b;
    b.put(region_id{1}, "k", "v");
    b.set_apply_state(region_id{1}, storage::apply_state{raft::log_index{7}, {}, {}});
    REQUIRE(data->write(b));
    reader = std::make_shared<local_reader>(grants, data);
  }

  kv_service_config config() const {
    kv_service_config kc;
    kc.local_reads = reader;
    kc.request_timeout = 200ms;
    return kc;
  }
};

}  // namespace

TEST_CASE("kv service: a get under the local leader's lease is answered without the peer") {
  leased_data d;
  served s{d.config()};
  capnp::EzRpcClient client{"127.0.0.1", s.service->port()};
  auto kv = client.getMain<kv::Kv>();
  auto& ws = client.getWaitScope();
  auto get = [&] {
    auto req = kv.getRequest();
    req.setKey(capnp::Data::Reader{reinterpret_cast<const kj::byte*>("k"), 1});
    return req.send().wait(ws);
  };
  auto grant = d.grants->of(region_id{1});
  auto now = std::chrono::steady_clock::now();
  grant->publish(now + 1h, raft::log_index{7}, {1, 1});
  auto local = get();
  REQUIRE(local.getError().isNone());
  CHECK(local.getFound());
  CHECK(local.getValue().size() == 1);
  CHECK(d.reader->served() == 1);
  CHECK(s.hole->held == 0);

  // Each of these must go to the peer (which never answers: the service times out).
  SUBCASE("the apply is behind the commit index") {
    grant->publish(now + 1h, raft::log_index{8}, {1, 1});
  }
  SUBCASE("the lease is revoked") {
    grant->revoke();
  }
  SUBCASE("the lease has ended") {
    grant->publish(now - 1ms, raft::log_index{7}, {1, 1});
  }
  SUBCASE("the region's epoch moved on") {
    grant->publish(now + 1h, raft::log_index{7}, {2, 1});
  }
  CHECK(get().getError().isTimeout());
  CHECK(s.hole->held == 1);
  CHECK(d.reader->served() == 1);
}

}  // namespace rdb::test
