// rdb-bench: closed-loop load on a running cluster through the client library. Each client is
// a thread with its own connections that sends its next request as soon as the last one is
// answered. Prints one JSON line: throughput and latency percentiles from a histogram.
//
//   rdb-bench --stores=127.0.0.1:20161 --clients=64 --duration=10s --value-size=256
//             --keys=100000 --get-ratio=0
//
// Keys are spread over the whole first byte (the initial regions split there).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>

#include "tools/client/client.hpp"
#include "tools/rdb-bench/histogram.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct bench_config : caf::actor_system_config {
  std::string stores = "127.0.0.1:20161";
  std::size_t clients = 64;
  caf::timespan duration = std::chrono::seconds{10};
  caf::timespan warmup = std::chrono::seconds{1};
  std::size_t value_size = 256;
  std::size_t keys = 100'000;
  double get_ratio = 0.0;

  bench_config() {
    opt_group{custom_options_, "global"}
        .add(stores, "stores",
             "client addresses of stores, comma-separated (default: 127.0.0.1:20161)")
        .add(clients, "clients", "closed-loop clients, one thread each (default: 64)")
        .add(duration, "duration", "measured time (default: 10s)")
        .add(warmup, "warmup", "unmeasured time before it (default: 1s)")
        .add(value_size, "value-size", "bytes per value (default: 256)")
        .add(keys, "keys", "size of the key space (default: 100000)")
        .add(get_ratio, "get-ratio", "fraction of requests that are gets, 0-1 (default: 0)");
  }
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in{s};
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

/// Key `i` of the key space: a hashed first byte spreads keys over every region.
std::string key_of(std::uint64_t i) {
  auto h = i * 0x9E3779B97F4A7C15ull;
  std::string k(1, static_cast<char>(h >> 56));
  k += "key" + std::to_string(i);
  return k;
}

struct worker_result {
  rdb::bench::histogram latency;
  std::uint64_t puts = 0;
  std::uint64_t gets = 0;
  std::uint64_t errors = 0;
  std::uint64_t retries = 0;
  std::string last_error;
};

}  // namespace

int main(int argc, char** argv) {
  bench_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "rdb-bench: %s\n", cfg.render(err).c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  auto stores = split(cfg.stores);
  if (stores.empty() || cfg.clients == 0 || cfg.keys == 0 || cfg.get_ratio < 0 ||
      cfg.get_ratio > 1) {
    std::fprintf(stderr, "rdb-bench: need --stores, clients >= 1, keys >= 1, get-ratio in 0-1\n");
    return 2;
  }
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::vector<worker_result> results(cfg.clients);
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < cfg.clients; ++w) {
    threads.emplace_back([&, w] {
      rdb::client::options opts;
      opts.stores = stores;
      rdb::client::client c{opts};
      std::mt19937_64 rng{w + 1};
      std::uniform_real_distribution<double> coin{0, 1};
      std::string value(cfg.value_size, static_cast<char>('a' + w % 26));
      auto& res = results[w];
      while (!stopping) {
        auto key = key_of(rng() % cfg.keys);
        bool get = coin(rng) < cfg.get_ratio;
        auto start = clock_type::now();
        bool ok = true;
        if (get) {
          auto r = c.get(key);
          if (!r) ok = false, res.last_error = r.error().detail;
        } else {
          auto r = c.put(key, value);
          if (!r) ok = false, res.last_error = r.error().detail;
        }
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
        if (!measuring) continue;
        if (!ok) {
          ++res.errors;
          continue;
        }
        res.latency.record(static_cast<std::uint64_t>(us.count()));
        ++(get ? res.gets : res.puts);
      }
      res.retries = c.stats().retries;
    });
  }
  std::this_thread::sleep_for(cfg.warmup);
  measuring = true;
  auto begin = clock_type::now();
  std::this_thread::sleep_for(cfg.duration);
  measuring = false;
  auto seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
  stopping = true;
  for (auto& t : threads)
    t.join();

  worker_result total;
  for (const auto& r : results) {
    total.latency.merge(r.latency);
    total.puts += r.puts;
    total.gets += r.gets;
    total.errors += r.errors;
    total.retries += r.retries;
    if (!r.last_error.empty()) total.last_error = r.last_error;
  }
  auto ops = total.puts + total.gets;
  std::printf(
      "{\"clients\":%zu,\"seconds\":%.2f,\"value_size\":%zu,\"keys\":%zu,\"get_ratio\":%.2f,"
      "\"ops\":%llu,\"ops_per_s\":%.0f,\"puts_per_s\":%.0f,\"gets_per_s\":%.0f,\"errors\":%llu,"
      "\"retries\":%llu,\"p50_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu}\n",
      cfg.clients, seconds, cfg.value_size, cfg.keys, cfg.get_ratio,
      static_cast<unsigned long long>(ops), static_cast<double>(ops) / seconds,
      static_cast<double>(total.puts) / seconds, static_cast<double>(total.gets) / seconds,
      static_cast<unsigned long long>(total.errors), static_cast<unsigned long long>(total.retries),
      static_cast<unsigned long long>(total.latency.percentile(0.50)),
      static_cast<unsigned long long>(total.latency.percentile(0.99)),
      static_cast<unsigned long long>(total.latency.percentile(0.999)),
      static_cast<unsigned long long>(total.latency.max()));
  if (total.errors > 0)
    std::fprintf(stderr, "rdb-bench: last error: %s\n", total.last_error.c_str());
  return 0;
}
