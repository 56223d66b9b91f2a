#include <doctest/doctest.h>

#include <cstdint>
#include <map>
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

/// One of two stores holding one region (peer 11 on store 1, peer 12 on store 2), answering
/// as the test scripts it: which store it names as leader, and whether it is paused (it then
/// holds every call, as a stopped process does).
class scripted_kv final : public kv::Kv::Server {
 public:
  std::uint64_t store = 0;
  std::map<std::uint64_t, std::string>* addresses = nullptr;
  std::uint64_t leader = 1;
  /// Calls still answered naming store 1 as leader, whatever `leader` says (a follower that
  /// has not noticed the election yet); 0: `leader` holds.
  std::size_t stale_answers = 0;
  bool paused = false;
  /// The next this many puts are answered `timeout`, the write possibly proposed.
  std::size_t timeouts = 0;
  /// Then every put is refused with `serverBusy`, before being proposed.
  bool busy = false;
  /// Puts are held (and only puts).
  bool hold_puts = false;
  std::size_t calls = 0;

  kj::Promise<void> regionInfo(RegionInfoContext ctx) override {
    ++calls;
    if (paused) return kj::NEVER_DONE;
    auto r = ctx.getResults().initRegion();
    r.setId(1);
    r.setLeader(10 + named_leader());
    auto peers = r.initPeers(2);
    auto known = r.initStoreAddresses(2);
    for (unsigned i = 0; i < 2; ++i) {
      peers[i].setId(11 + i);
      peers[i].setStore(1 + i);
      known[i].setStore(1 + i);
      known[i].setAddress(addresses->at(1 + i));
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> put(PutContext ctx) override {
    ++calls;
    if (paused || hold_puts) return kj::NEVER_DONE;
    if (timeouts > 0 || busy) {
      auto e = ctx.getResults().initError();
      e.setDetail("scripted");
      e.setMayHaveApplied(timeouts > 0);
      if (timeouts > 0) {
        --timeouts;
        e.setTimeout();
      } else {
        e.setServerBusy();
      }
      return kj::READY_NOW;
    }
    auto named = named_leader();
    if (named != store) {
      auto nl = ctx.getResults().initError().initNotLeader();
      nl.setLeaderStore(named);
      nl.setLeaderAddress(addresses->at(named));
    }
    return kj::READY_NOW;
  }

 private:
  std::uint64_t named_leader() {
    if (stale_answers == 0) return leader;
    --stale_answers;
    return 1;
  }
};

client::options to(const std::string& address) {
  client::options opts;
  opts.stores = {address};
  return opts;
}

/// A client of a `holding_kv` served on this thread.
struct held_client {
  kj::Own<holding_kv> made = kj::heap<holding_kv>();
  holding_kv& kv = *made;
  capnp::EzRpcServer server{kj::mv(made), "127.0.0.1", 0};
  kj::WaitScope& ws = server.getWaitScope();
  std::uint16_t port = static_cast<std::uint16_t>(server.getPort().wait(ws));
  std::string address = kv.address = "127.0.0.1:" + std::to_string(port);
  client::client c{to(address)};
};

}  // namespace

TEST_CASE_FIXTURE(held_client,
                  "client: writes in flight together report the lowest unanswered number") {
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

TEST_CASE_FIXTURE(held_client,
                  "client: a write more than 500 numbers above the lowest unanswered one waits") {
  // A region remembers 1,024 numbers of a client above its lowest unanswered one: the client
  // keeps its writes within 500 of it.
  std::vector<kj::Promise<client::result<void>>> writes;
  for (int i = 0; i < 501; ++i)
    writes.push_back(c.put_async("k" + std::to_string(i), "v"));
  kv.arrived(500).wait(ws);
  auto last = kv.arrived(501);
  CHECK_FALSE(last.poll(ws));
  CHECK(kv.puts.size() == 500);
  // Answering the lowest lets the held write go, reporting the next lowest.
  auto lowest = kv.puts[0].seq;
  for (const auto& p : kv.puts)
    lowest = std::min(lowest, p.seq);
  for (auto& p : kv.puts)
    if (p.seq == lowest) p.answer->fulfill();
  last.wait(ws);
  REQUIRE(kv.puts.size() == 501);
  CHECK(kv.puts[500].seq == lowest + 500);
  CHECK(kv.puts[500].first_incomplete == lowest + 1);
  for (auto& p : kv.puts)
    if (p.seq != lowest) p.answer->fulfill();
  for (auto& w : writes) {
    auto r = w.wait(ws);
    CHECK_MESSAGE(r.has_value(), (r ? std::string{} : r.error().detail));
  }
}

TEST_CASE("client: a leader that stops answering is asked once, then avoided while suspect") {
  std::map<std::uint64_t, std::string> addresses;
  auto made1 = kj::heap<scripted_kv>();
  auto made2 = kj::heap<scripted_kv>();
  auto& s1 = *made1;
  auto& s2 = *made2;
  capnp::EzRpcServer server1{kj::mv(made1), "127.0.0.1", 0};
  capnp::EzRpcServer server2{kj::mv(made2), "127.0.0.1", 0};
  auto& ws = server1.getWaitScope();
  addresses[1] = "127.0.0.1:" + std::to_string(server1.getPort().wait(ws));
  addresses[2] = "127.0.0.1:" + std::to_string(server2.getPort().wait(ws));
  s1.store = 1;
  s2.store = 2;
  s1.addresses = s2.addresses = &addresses;

  client::options opts;
  opts.stores = {addresses[1], addresses[2]};
  opts.attempt_timeout = std::chrono::milliseconds{200};
  client::client c{opts};
  REQUIRE(c.put("k", "1").has_value());

  // Store 1 stops; store 2 is elected, but names store 1 for its next three answers.
  s1.paused = true;
  s1.calls = 0;
  s2.leader = 2;
  s2.stale_answers = 3;
  auto written = c.put("k", "2");
  REQUIRE_MESSAGE(written.has_value(), written.error().detail);
  // One attempt waited out store 1; lookups and retries then went to store 2 only.
  CHECK(s1.calls == 1);
  CHECK(s2.stale_answers == 0);
}

TEST_CASE("client: a failed write says what went wrong last and whether it may have happened") {
  std::map<std::uint64_t, std::string> addresses;
  auto made = kj::heap<scripted_kv>();
  auto& kv = *made;
  capnp::EzRpcServer server{kj::mv(made), "127.0.0.1", 0};
  auto& ws = server.getWaitScope();
  addresses[1] = addresses[2] = "127.0.0.1:" + std::to_string(server.getPort().wait(ws));
  kv.store = 1;
  kv.addresses = &addresses;
  client::options opts;
  opts.stores = {addresses[1]};
  opts.deadline = std::chrono::milliseconds{300};
  opts.attempt_timeout = std::chrono::milliseconds{100};
  client::client c{opts};

  // Refused every time before being proposed: certainly not applied.
  kv.busy = true;
  auto busy = c.put("k", "1");
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().what == client::code::deadline_exceeded);
  CHECK(busy.error().cause == client::code::server_busy);
  CHECK_FALSE(busy.error().maybe_applied);
  // One attempt whose fate the store did not know, then refusals: it may have happened.
  kv.timeouts = 1;
  auto unknown = c.put("k", "2");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().cause == client::code::server_busy);
  CHECK(unknown.error().maybe_applied);
  // No answer at all: it may have happened.
  kv.busy = false;
  kv.hold_puts = true;
  auto silent = c.put("k", "3");
  REQUIRE_FALSE(silent.has_value());
  CHECK(silent.error().cause == client::code::connection_lost);
  CHECK_MESSAGE(silent.error().maybe_applied, silent.error().detail);
  // A read changes nothing, whatever happened.
  auto read = c.get("k");
  REQUIRE_FALSE(read.has_value());
  CHECK_FALSE(read.error().maybe_applied);
}

}  // namespace rdb::test
