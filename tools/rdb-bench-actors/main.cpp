// rdb-bench-actors: durable write throughput and latency of the whole store runtime in one
// process: PD bootstraps 64 regions with 3 replicas over 3 stores, each store runs its
// writer, ticker, router, transport, supervisor and heartbeat agent, and the stores talk over
// the in-process transport. 64 closed-loop clients (one per region) put 256-byte values straight
// to the region peer that the routes of the store leading their region name, as the KV service
// does.
//
// Usage: rdb-bench-actors [seconds] [directory, - for a temporary one] [clients, default 64;
// client i writes into region i % 64]. Prints writes/s, latency percentiles, syncs/s
// per store and writes per sync.
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/router/route_table.hpp"
#include "actors/store/store_node.hpp"
#include "actors/store/store_types.hpp"
#include "pd/pd_actor.hpp"
#include "tools/bench-support/in_process_cluster.hpp"

using namespace rdb;
using namespace rdb::bench;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t store_count = 3;
constexpr std::size_t region_count = 64;
constexpr std::size_t value_size = 256;

/// One closed-loop client: one write in flight at a time, into its own region.
struct client {
  std::vector<std::shared_ptr<route_holder>> routes;
  std::map<store_id, std::size_t> index_of;
  std::string prefix;
  std::uint64_t id = 0;
  std::size_t target = 0;
  std::uint64_t seq = 0;
  std::uint64_t errors = 0;
  std::vector<std::uint32_t> latencies_us;
  std::shared_ptr<std::atomic<bool>> measuring;
  std::shared_ptr<std::atomic<bool>> stopping;
  std::shared_ptr<std::atomic<std::size_t>> stopped;
};

void write_next(caf::event_based_actor* self, std::shared_ptr<client> c) {
  if (*c->stopping) {
    ++*c->stopped;
    self->quit();
    return;
  }
  auto key = c->prefix + "-" + std::to_string(c->seq % 100'000);
  auto start = clock_type::now();
  put_request req{{}, key, std::string(value_size, 'v'), client_id{c->id}, 0};
  auto table = c->routes[c->target]->load();
  auto route = table->route(req.header, key);
  if (!route) {
    ++c->errors;
    c->target = (c->target + 1) % c->routes.size();
    self->send(self, kv_put_atom::value);
    return;
  }
  // No CAF timeout (each costs the clock thread wake-ups): no peer is killed in this run.
  self->request((*route)->peer, caf::infinite, kv_put_atom::value, std::move(req))
      .then(
          [=](write_response&) {
            ++c->seq;
            if (*c->measuring) {
              auto us =
                  std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
              c->latencies_us.push_back(static_cast<std::uint32_t>(us.count()));
            }
            write_next(self, c);
          },
          [=](caf::error& e) {
            ++c->errors;
            auto hint = not_leader_hint(e);
            if (hint && c->index_of.count(hint->store) > 0)
              c->target = c->index_of[hint->store];
            else
              c->target = (c->target + 1) % c->routes.size();
            write_next(self, c);
          });
}

/// The region's leader as the stores' routes say, as an index into `nodes`, or none.
std::optional<std::size_t> leader_of(const std::vector<std::unique_ptr<store_node>>& nodes,
                                     region_id region) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto table = nodes[i]->routes()->load();
    const auto* r = table ? table->find(region) : nullptr;
    if (r != nullptr && r->leader.store == nodes[i]->id()) return i;
  }
  return std::nullopt;
}

/// User plus system CPU time of the whole process so far.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

/// Bytes this process has caused to be written to storage (/proc/self/io), 0 if unknown.
std::uint64_t written_bytes() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return 0;
  char name[64];
  unsigned long long value = 0;
  std::uint64_t out = 0;
  while (std::fscanf(f, "%63s %llu", name, &value) == 2)
    if (std::string{name} == "write_bytes:") out = value;
  std::fclose(f);
  return out;
}

/// The counters of every store's log writer and apply writer.
std::vector<std::pair<writer_stats, writer_stats>> both_writer_stats(
    caf::actor_system& sys, const std::vector<std::unique_ptr<store_node>>& nodes) {
  std::vector<std::pair<writer_stats, writer_stats>> out;
  for (const auto& n : nodes)
    out.emplace_back(
        call<writer_stats>(sys, n->writer(), stats_atom::value).value_or(writer_stats{}),
        call<writer_stats>(sys, n->applier(), stats_atom::value).value_or(writer_stats{}));
  return out;
}

int run(int seconds, const std::string& root, std::size_t client_count) {
  bench_config cfg;
  caf::actor_system sys{cfg};
  std::vector<std::string> split_keys;
  for (std::size_t i = 1; i < region_count; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "r%03zu", i);
    split_keys.emplace_back(buf);
  }
  auto cluster = start_cluster(sys, root, store_count, split_keys);
  if (!cluster) return 1;
  const auto* regions = &cluster->regions;
  auto& nodes = cluster->nodes;
  auto all_led = [&] {
    for (const auto& m : *regions)
      if (!leader_of(nodes, m.id)) return false;
    return true;
  };
  if (!wait_until(all_led, std::chrono::seconds{60})) {
    std::fprintf(stderr, "not every region elected a leader\n");
    return 1;
  }
  // Spread leaders: region r is led from store r % 3. A follower's campaign would be refused
  // while its leader is alive (check quorum), so the leader is asked to transfer, as PD would.
  auto spread = [&] {
    bool done = true;
    for (std::size_t r = 0; r < regions->size(); ++r) {
      const auto& meta = (*regions)[r];
      auto want = r % nodes.size();
      auto now = leader_of(nodes, meta.id);
      if (!now || *now == want) continue;
      done = false;
      auto table = nodes[*now]->routes()->load();
      const auto* route = table->find(meta.id);
      for (const auto& p : route->meta.peers) {
        if (p.store != nodes[want]->id()) continue;
        pd::directive d;
        d.kind = pd::directive_kind::transfer_leader;
        d.region = meta.id;
        d.epoch = route->meta.epoch;
        d.peer = p;
        caf::anon_send(route->peer, directive_atom::value, d);
      }
    }
    return done;
  };
  for (int attempt = 0; attempt < 20 && !spread(); ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
  std::vector<std::size_t> leads(nodes.size());
  for (const auto& m : *regions)
    if (auto l = leader_of(nodes, m.id)) ++leads[*l];
  std::printf("leaders per store:");
  for (auto l : leads)
    std::printf(" %zu", l);
  std::printf("\n");

  auto measuring = std::make_shared<std::atomic<bool>>(false);
  auto stopping = std::make_shared<std::atomic<bool>>(false);
  auto stopped = std::make_shared<std::atomic<std::size_t>>(0);
  std::vector<std::shared_ptr<client>> clients;
  for (std::size_t k = 0; k < client_count; ++k) {
    auto r = k % region_count;
    auto c = std::make_shared<client>();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      c->routes.push_back(nodes[i]->routes());
      c->index_of[nodes[i]->id()] = i;
    }
    c->prefix = (r == 0 ? std::string{"a"} : split_keys[r - 1]) + "-" + std::to_string(k);
    c->id = k + 1;
    c->target = leader_of(nodes, (*regions)[r].id).value_or(0);
    c->measuring = measuring;
    c->stopping = stopping;
    c->stopped = stopped;
    c->latencies_us.reserve(200'000);
    clients.push_back(c);
    sys.spawn([c](caf::event_based_actor* self) -> caf::behavior {
      write_next(self, c);
      // A write that found no route is tried again from here, not from inside its own call.
      return {[=](kv_put_atom) { write_next(self, c); }};
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds{1});
  auto before = both_writer_stats(sys, nodes);
  auto t0 = clock_type::now();
  auto cpu0 = cpu_seconds();
  auto written0 = written_bytes();
  *measuring = true;
  // Meanwhile, probe how long a message waits in the first store's writer mailbox: a writer
  // that is always busy syncing answers after about half a sync on average.
  std::vector<double> probe_ms;
  auto measure_end = t0 + std::chrono::seconds{seconds};
  while (clock_type::now() < measure_end) {
    auto p0 = clock_type::now();
    call<writer_stats>(sys, nodes[0]->writer(), stats_atom::value);
    probe_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - p0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  *measuring = false;
  auto elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto cpu = cpu_seconds() - cpu0;
  auto written = static_cast<double>(written_bytes() - written0);
  auto after = both_writer_stats(sys, nodes);
  *stopping = true;
  wait_until([&] { return *stopped == clients.size(); }, std::chrono::seconds{15});

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0;
  for (auto& c : clients) {
    all.insert(all.end(), c->latencies_us.begin(), c->latencies_us.end());
    errors += c->errors;
  }
  std::sort(all.begin(), all.end());
  auto writes = static_cast<double>(all.size());
  std::printf("clients %zu, value %zu B, %.1f s measured\n", clients.size(), value_size, elapsed);
  std::printf("writes/s %.0f (errors/retries %llu)\n", writes / elapsed,
              static_cast<unsigned long long>(errors));
  std::printf("latency us: p50 %u  p99 %u  p99.9 %u  max %u\n", percentile(all, 0.50),
              percentile(all, 0.99), percentile(all, 0.999), all.empty() ? 0 : all.back());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto id = static_cast<unsigned long long>(nodes[i]->id().value());
    for (int w = 0; w < 2; ++w) {
      const auto& b = w == 0 ? before[i].first : before[i].second;
      const auto& a = w == 0 ? after[i].first : after[i].second;
      auto syncs = static_cast<double>(a.syncs - b.syncs);
      auto tasks = static_cast<double>(a.tasks - b.tasks);
      std::printf(
          "store %llu %s writer: syncs/s %.0f, tasks per sync %.1f, client writes per sync "
          "%.1f, largest batch %llu tasks\n",
          id, w == 0 ? "log" : "apply", syncs / elapsed, syncs > 0 ? tasks / syncs : 0.0,
          syncs > 0 ? writes / syncs : 0.0, static_cast<unsigned long long>(a.max_batch_tasks));
    }
  }
  std::sort(probe_ms.begin(), probe_ms.end());
  double probe_avg = 0;
  for (auto v : probe_ms)
    probe_avg += v / static_cast<double>(probe_ms.size());
  std::printf("process cpu %.2f cores of %u; writer mailbox wait avg %.2f ms, p50 %.2f ms\n",
              cpu / elapsed, std::thread::hardware_concurrency(), probe_avg,
              probe_ms.empty() ? 0.0 : probe_ms[probe_ms.size() / 2]);
  std::printf("disk writes %.1f MB/s, %.0f bytes per client write\n", written / elapsed / 1e6,
              writes > 0 ? written / writes : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  bool scratch = argc <= 2 || std::string{argv[2]} == "-";
  std::size_t client_count = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : region_count;
  std::string root;
  if (!scratch) {
    root = argv[2];
    std::filesystem::create_directories(root);
  } else {
    std::string pattern = "/tmp/rdb-bench-actors-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    root = pattern;
  }
  auto rc = run(seconds, root, client_count);
  if (scratch) std::filesystem::remove_all(root);
  return rc;
}
