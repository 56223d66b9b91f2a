#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <capnp/ez-rpc.h>

#include "schemas/kv.capnp.h"
#include "tools/client/client.hpp"

namespace rdb::test {

namespace {

/// A KV service that holds every put until the test answers it, on the test's own thread.
/// It leads one region holding every key.
class holding_kv final : public kv::Kv::Server {
 public:
  struct held_put {
    std::uint64_t seq = 0;
    std::uint64_t first_incomplete = 0;
    kj::Own<kj::PromiseFulfiller<void>> answer;
  };

  std::string address;
  std::vector<held_put> puts;

  /// Resolves once `n` puts have arrived.
  kj::Promise<void> arrived(std::size_t n) {
    if (puts.size() >= n) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    waiting_for = n;
    waiter = kj::mv(paf.fulfiller);
    return kj::mv(paf.promise);
  }

  kj::Promise<void> regionInfo(RegionInfoContext ctx) override {
    auto r = ctx.getResults().initRegion();
    r.setId(1);
    r.setLeader(11);
    auto peers = r.initPeers(1);
    peers[0].setId(11);
    peers[0].setStore(1);
    auto addresses = r.initStoreAddresses(1);
    addresses[0].setStore(1);
    addresses[0].setAddress(address);
    return kj::READY_NOW;
  }

  kj::Promise<void> put(PutContext ctx) override {
    auto p = ctx.getParams();
    auto paf = kj::newPromiseAndFulfiller<void>();
    puts.push_back(held_put{p.getSeq(), p.getFirstIncomplete(), kj::mv(paf.fulfiller)});
    if (waiter && puts.size() >= waiting_for) waiter->fulfill();
    // Answered without an error once the test fulfils it.
    return kj::mv(paf.promise);
  }

 private:
  std::size_t waiting_for = 0;
  kj::Own<kj::PromiseFulfiller<void>> waiter;
};

}  // namespace

TEST_CASE("client: writes in flight together report the lowest unanswered number") {
  auto service = kj::heap<holding_kv>();
  auto& kv = *service;
  capnp::EzRpcServer server{kj::mv(service), "127.0.0.1", 0};
  auto& ws = server.getWaitScope();
  kv.address = "127.0.0.1:" + std::to_string(server.getPort().wait(ws));
  client::options opts;
  opts.stores = {kv.address};
  client::client c{opts};

  auto a = c.put_async("a", "1");
  auto b = c.put_async("b", "2");
  kv.arrived(2).wait(ws);
  REQUIRE(kv.puts.size() == 2);
  auto seq_a = kv.puts[0].seq;
  auto seq_b = kv.puts[1].seq;
  CHECK(seq_a != seq_b);
  auto lowest = std::min(seq_a, seq_b);
  // Both went out while both were unanswered: below the lowest, the client sends nothing more.
  CHECK(kv.puts[0].first_incomplete == lowest);
  CHECK(kv.puts[1].first_incomplete == lowest);

  // Once the lower one is answered, the next write reports the other as its lowest.
  kv.puts[seq_a < seq_b ? 0 : 1].answer->fulfill();
  auto& first = seq_a < seq_b ? a : b;
  CHECK(first.wait(ws).has_value());
  auto later = c.put_async("c", "3");
  kv.arrived(3).wait(ws);
  CHECK(kv.puts[2].first_incomplete == std::max(seq_a, seq_b));
  CHECK(kv.puts[2].seq > std::max(seq_a, seq_b));

  kv.puts[seq_a < seq_b ? 1 : 0].answer->fulfill();
  kv.puts[2].answer->fulfill();
  CHECK((seq_a < seq_b ? b : a).wait(ws).has_value());
  CHECK(later.wait(ws).has_value());
}

}  // namespace rdb::test
