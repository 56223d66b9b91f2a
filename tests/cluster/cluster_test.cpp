// Whole-cluster tests: PD and three stores as real rdb-node processes on loopback, driven
// through the client library (and, for bad input, through raw sockets and raw Cap'n Proto).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <capnp/ez-rpc.h>

#include "schemas/kv.capnp.h"
#include "tests/cluster/process_cluster.hpp"
#include "tests/cluster/syn_hole.hpp"
#include "tests/support/wait.hpp"
#include "tools/client/client.hpp"

namespace rdb::test {

namespace {

/// Key `i`: its first byte spreads keys over every initial region (they split on it).
std::string key_of(std::size_t i) {
  std::string k(1, static_cast<char>((i * 37) % 256));
  return k + "key" + std::to_string(i);
}

std::string value_of(std::size_t i, const std::string& round) {
  return "value-" + std::to_string(i) + "-" + round;
}

client::options to(std::vector<std::string> stores) {
  client::options o;
  o.stores = std::move(stores);
  // Elections after a kill and reconnects take a few seconds; the bound only stops a hang.
  o.deadline = std::chrono::seconds{30};
  return o;
}

void put_range(client::client& c, std::size_t from, std::size_t to, const std::string& round) {
  for (auto i = from; i < to; ++i) {
    auto ok = c.put(key_of(i), value_of(i, round));
    REQUIRE_MESSAGE(ok.has_value(), "put " << i << ": " << ok.error().detail);
  }
}

void check_range(client::client& c, std::size_t from, std::size_t to, const std::string& round) {
  for (auto i = from; i < to; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == value_of(i, round));
  }
}

capnp::Data::Reader bytes(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

/// A raw TCP connection to `address` (host:port).
int dial(const std::string& address) {
  auto colon = address.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  REQUIRE(inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr) == 1);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

/// Whether the peer closes `fd` within five seconds (what it sends first is skipped).
bool closed_by_peer(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("cluster: writes and reads across every region, through every store") {
  process_cluster cluster{3};
  client::client c{to(cluster.client_addresses())};
  constexpr std::size_t n = 300;
  put_range(c, 0, n, "a");
  check_range(c, 0, n, "a");

  // The key space is cut into 16 regions on the first byte, each with three replicas.
  std::map<std::uint64_t, client::region> regions;
  for (int b = 0; b < 256; b += 16) {
    auto r = c.region_of(std::string(1, static_cast<char>(b)));
    REQUIRE(r.has_value());
    CHECK(r->stores.size() == 3);
    regions[r->id] = *r;
  }
  CHECK(regions.size() == 16);

  // Every store answers a ping with its own id.
  for (std::size_t s = 0; s < cluster.stores(); ++s) {
    auto id = c.ping(cluster.client_address(s));
    REQUIRE_MESSAGE(id.has_value(), id.error().detail);
    CHECK(std::to_string(*id) == cluster.store_id(s));
  }

  // Each store alone answers for the whole key space (region lookups, leader redirects).
  for (std::size_t s = 0; s < cluster.stores(); ++s) {
    client::client only{to({cluster.client_address(s)})};
    check_range(only, 0, n, "a");
  }

  auto all = c.scan("", "", 10'000);
  REQUIRE(all.has_value());
  CHECK(all->size() == n);
  for (std::size_t i = 1; i < all->size(); ++i)
    CHECK((*all)[i - 1].first < (*all)[i].first);
  auto few = c.scan("", "", 7);
  REQUIRE(few.has_value());
  CHECK(few->size() == 7);

  std::vector<std::pair<std::string, std::string>> batch;
  std::vector<std::string> keys;
  for (std::size_t i = n; i < n + 40; ++i) {
    batch.emplace_back(key_of(i), value_of(i, "b"));
    keys.push_back(key_of(i));
  }
  REQUIRE(c.batch_put(batch).has_value());
  // More pairs than one batch numbers at once go in chunks.
  std::vector<std::pair<std::string, std::string>> large;
  for (std::size_t i = 0; i < client::client::batch_chunk * 2 + 7; ++i)
    large.emplace_back("large/" + std::to_string(i), "x");
  REQUIRE(c.batch_put(large).has_value());
  CHECK(c.get(large.back().first)->value_or("") == "x");
  CHECK(c.get(large.front().first)->value_or("") == "x");
  keys.push_back("absent key");
  auto got = c.batch_get(keys);
  REQUIRE(got.has_value());
  REQUIRE(got->size() == keys.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    CHECK((*got)[i] == std::optional<std::string>{batch[i].second});
  CHECK_FALSE(got->back().has_value());

  for (std::size_t i = 0; i < 10; ++i)
    REQUIRE(c.del(key_of(i)).has_value());
  for (std::size_t i = 0; i < 10; ++i) {
    auto g = c.get(key_of(i));
    REQUIRE(g.has_value());
    CHECK_FALSE(g->has_value());
  }
  check_range(c, 10, n, "a");

  // Compare-and-swap on an absent key, then against its value, then against a stale one.
  auto first = c.compare_and_swap(key_of(0), std::nullopt, "one");
  REQUIRE(first.has_value());
  CHECK(first->swapped);
  CHECK_FALSE(first->previous.has_value());
  auto second = c.compare_and_swap(key_of(0), "one", "two");
  REQUIRE(second.has_value());
  CHECK(second->swapped);
  CHECK(second->previous == std::optional<std::string>{"one"});
  auto stale = c.compare_and_swap(key_of(0), "one", "three");
  REQUIRE(stale.has_value());
  CHECK_FALSE(stale->swapped);
  CHECK(stale->previous == std::optional<std::string>{"two"});
  CHECK_FALSE(c.compare_and_swap(key_of(0), std::nullopt, "four")->swapped);
  CHECK(c.get(key_of(0))->value_or("") == "two");
}

TEST_CASE("cluster: a store killed with SIGKILL; writes go on; restarted, it catches up") {
  process_cluster cluster{3};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 100, "a");

  cluster.kill_store(0);
  auto gone = c.ping(cluster.client_address(0));
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().what == client::code::deadline_exceeded);
  // Regions it led elect a new leader among the other two.
  put_range(c, 100, 200, "a");
  put_range(c, 0, 50, "b");

  cluster.restart_store(0);
  auto back = c.ping(cluster.client_address(0));
  REQUIRE_MESSAGE(back.has_value(), back.error().detail);
  CHECK(std::to_string(*back) == cluster.store_id(0));
  // With store 1 gone as well, every write needs store 0's vote and log: they succeed only
  // once it has caught up.
  cluster.kill_store(1);
  put_range(c, 200, 250, "a");
  client::client via_restarted{to({cluster.client_address(0)})};
  check_range(via_restarted, 0, 50, "b");
  check_range(via_restarted, 50, 250, "a");
}

TEST_CASE("cluster: a store killed with SIGKILL while every region sleeps; writes go on") {
  // Fast ticks so that idle regions hibernate soon; debug logs tell when a store sleeps.
  process_cluster cluster{3, {"--tick-interval=20ms", "--log-level=debug"}};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 100, "a");
  const std::string asleep = "every region of the store hibernates";
  std::vector<std::size_t> before;
  for (std::size_t i = 0; i < cluster.stores(); ++i)
    before.push_back(count_in_file(cluster.store_log(i), asleep));
  // Hibernation takes 40 quiet ticks (0.8 s); the bound only stops a hang.
  auto all_slept = [&] {
    for (std::size_t i = 0; i < cluster.stores(); ++i)
      if (count_in_file(cluster.store_log(i), asleep) <= before[i]) return false;
    return true;
  };
  REQUIRE_MESSAGE(test::wait_until(all_slept, std::chrono::seconds{30}),
                  "the stores never hibernated all their regions");

  // The followers of the regions it led sleep too: losing its store must wake them.
  cluster.kill_store(0);
  put_range(c, 0, 100, "b");
  check_range(c, 0, 100, "b");
}

TEST_CASE("cluster: PD killed with SIGKILL; regions keep serving; restarted, it lost nothing") {
  process_cluster cluster{3};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 100, "a");

  cluster.kill_pd();
  put_range(c, 100, 200, "a");
  // A client with an empty cache finds regions through the stores' own routes.
  client::client fresh{to(cluster.client_addresses())};
  check_range(fresh, 0, 200, "a");
  auto routed = fresh.region_of(key_of(0));
  REQUIRE(routed.has_value());
  CHECK_FALSE(routed->from_pd);

  cluster.restart_pd();
  client::client after{to(cluster.client_addresses())};
  // The stores reconnect to PD with backoff (from 100 ms, up to 2 s); until then they answer
  // from their own routes.
  auto reconnected = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  for (;;) {
    auto r = after.region_of(key_of(0));
    REQUIRE(r.has_value());
    if (r->from_pd) break;
    REQUIRE(std::chrono::steady_clock::now() < reconnected);
  }
  std::set<std::uint64_t> regions;
  for (int b = 0; b < 256; b += 16) {
    auto r = after.region_of(std::string(1, static_cast<char>(b)));
    REQUIRE(r.has_value());
    // Described by the restarted PD from what it persisted.
    CHECK(r->from_pd);
    CHECK(r->stores.size() == 3);
    regions.insert(r->id);
  }
  CHECK(regions.size() == 16);
  put_range(after, 200, 250, "a");
  check_range(after, 0, 250, "a");
  // A store restarted after PD still registers under its old id and serves.
  auto id_before = cluster.store_id(2);
  REQUIRE(cluster.stop_store(2) == 0);
  cluster.restart_store(2);
  CHECK(cluster.store_id(2) == id_before);
  client::client via_restarted{to({cluster.client_address(2)})};
  check_range(via_restarted, 0, 250, "a");
}

TEST_CASE(
    "cluster: a store whose address drops connection attempts holds up no reconnect or stop") {
  process_cluster cluster{3};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 100, "a");

  auto peer = cluster.peer_address(2);
  auto port = static_cast<std::uint16_t>(std::stoi(peer.substr(peer.rfind(':') + 1)));
  cluster.kill_store(2);
  syn_hole hole{port};
  // Store 0 tries to reach store 2 again (backoff from 100 ms up to 2 s); the bound only stops
  // a hang.
  REQUIRE_MESSAGE(test::wait_until([&] { return syn_sent(cluster.store_pid(0), port); },
                                   std::chrono::seconds{20}, std::chrono::milliseconds{5}),
                  "store 0 never tried store 2 again");

  // Store 1 restarts meanwhile: with store 2 gone, every write needs stores 0 and 1 to reach
  // each other again, within the client's deadline.
  cluster.kill_store(1);
  cluster.restart_store(1);
  put_range(c, 100, 200, "a");
  check_range(c, 0, 200, "a");
  // A graceful stop takes a few seconds; waiting out a dropped connect takes minutes.
  CHECK(cluster.stop_store(0, std::chrono::seconds{20}) == 0);
}

TEST_CASE("cluster: bad input gets a clear error and the node keeps serving") {
  process_cluster cluster{3, {"--max-value-bytes=65536"}};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 20, "a");

  auto long_key = c.put(std::string(4097, 'k'), "v");
  REQUIRE_FALSE(long_key.has_value());
  CHECK(long_key.error().what == client::code::invalid_argument);
  // Refused at the region lookup already, for a client that has no region cached.
  client::client cold{to(cluster.client_addresses())};
  auto cold_key = cold.get(std::string(4097, 'k'));
  REQUIRE_FALSE(cold_key.has_value());
  CHECK(cold_key.error().what == client::code::invalid_argument);
  auto big_value = c.put("k", std::string(65537, 'v'));
  REQUIRE_FALSE(big_value.has_value());
  CHECK(big_value.error().what == client::code::invalid_argument);
  REQUIRE(c.put("k", std::string(65536, 'v')).has_value());
  // The largest key is fine, and so are long keys sharing their first 500 bytes.
  for (auto len : {500, 501, 4096}) {
    std::string k(static_cast<std::size_t>(len), 'k');
    REQUIRE(c.put(k, std::to_string(len)).has_value());
  }
  for (auto len : {500, 501, 4096})
    CHECK(c.get(std::string(static_cast<std::size_t>(len), 'k'))->value_or("") ==
          std::to_string(len));

  auto address = cluster.client_address(0);
  // Garbage where a Cap'n Proto frame belongs, and a frame header announcing 2^32 segments.
  int garbage = dial(address);
  std::string junk(64, '\xff');
  REQUIRE(::write(garbage, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  CHECK(closed_by_peer(garbage));
  ::close(garbage);
  int huge = dial(address);
  const unsigned char header[8] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  REQUIRE(::write(huge, header, sizeof header) == 8);
  CHECK(closed_by_peer(huge));
  ::close(huge);

  {
    capnp::EzRpcClient raw{address};
    auto kv = raw.getMain<kv::Kv>();
    auto& ws = raw.getWaitScope();
    // A region id no store has.
    auto get = kv.getRequest();
    get.initHeader().setRegion(987654321);
    get.setKey(bytes(key_of(1)));
    auto res = get.send().wait(ws);
    CHECK(res.getError().isRegionNotFound());
    auto scan = kv.scanRequest();
    scan.setLimit(0);
    CHECK(scan.send().wait(ws).getError().isInvalidArgument());
  }
  {
    // A client that goes away with its write in flight. It waits for one answer first:
    // an EzRpcClient must not be destroyed while it is still connecting.
    capnp::EzRpcClient raw{address};
    auto kv = raw.getMain<kv::Kv>();
    auto info = kv.regionInfoRequest();
    info.setKey(bytes("left behind"));
    info.send().wait(raw.getWaitScope());
    auto put = kv.putRequest();
    put.setKey(bytes("left behind"));
    put.setValue(bytes("v"));
    auto pending = put.send();
  }
  check_range(c, 0, 20, "a");
  put_range(c, 20, 40, "a");
  client::client only{to({address})};
  check_range(only, 0, 40, "a");
}

TEST_CASE("cluster: a leader paused past its lease serves no stale read once it resumes") {
  process_cluster cluster{3};
  client::client old{to(cluster.client_addresses())};
  client::client probe{to(cluster.client_addresses())};
  const auto key = key_of(0);
  REQUIRE(old.put(key, "1").has_value());
  // PD learns leaders from heartbeats: ask until it names one; the bound only stops a hang.
  auto leader_of = [&] {
    std::uint64_t leader = 0;
    test::wait_until(
        [&] {
          auto r = probe.region_of(key);
          REQUIRE_MESSAGE(r.has_value(), r.error().detail);
          leader = r->leader_store;
          return leader != 0;
        },
        std::chrono::seconds{10}, std::chrono::milliseconds{50});
    return std::to_string(leader);
  };
  auto leader = leader_of();
  std::size_t paused = cluster.stores();
  for (std::size_t i = 0; i < cluster.stores(); ++i)
    if (cluster.store_id(i) == leader) paused = i;
  REQUIRE_MESSAGE(paused < cluster.stores(), "PD names no leader for the key's region");
  // The old client reads through the leader, and keeps it as the leader in its cache.
  REQUIRE(old.get(key)->value_or("") == "1");

  ::kill(cluster.store_pid(paused), SIGSTOP);
  client::client fresh{to(cluster.client_addresses())};
  auto written = fresh.put(key, "2");
  auto moved = leader_of();
  ::kill(cluster.store_pid(paused), SIGCONT);
  REQUIRE_MESSAGE(written.has_value(), written.error().detail);
  CHECK(moved != leader);
  // Its first request after the pause goes to the paused leader, whose lease ran out while it
  // was stopped: it must confirm its leadership, fail, and send the client on.
  auto got = old.get(key);
  REQUIRE_MESSAGE(got.has_value(), got.error().detail);
  CHECK(got->value_or("") == "2");
}

TEST_CASE("cluster: with PD down, a store paused until its links dropped is reached again") {
  process_cluster cluster{3};
  client::client c{to(cluster.client_addresses())};
  put_range(c, 0, 100, "a");
  cluster.kill_pd();

  // Paused past the middleman's connection timeout, the store loses its links to both others.
  ::kill(cluster.store_pid(2), SIGSTOP);
  auto lost = "lost the connection to store " + cluster.store_id(2);
  test::wait_until(
      [&] {
        return count_in_file(cluster.store_log(0), lost) > 0 &&
               count_in_file(cluster.store_log(1), lost) > 0;
      },
      std::chrono::seconds{20}, std::chrono::milliseconds{20});
  ::kill(cluster.store_pid(2), SIGCONT);
  REQUIRE_MESSAGE(count_in_file(cluster.store_log(1), lost) > 0, "store 1 kept its link");

  // Every write now needs stores 1 and 2 to reach each other again, which they must do from
  // the store list PD gave them before it went away.
  cluster.kill_store(0);
  client::client rest{to({cluster.client_address(1), cluster.client_address(2)})};
  put_range(rest, 100, 200, "a");
  check_range(rest, 0, 200, "a");
}

}  // namespace rdb::test
