// rdb-bench: closed-loop load on a running cluster through the client library. Each client
// sends its next request as soon as the last one is answered. The clients are spread over
// `--threads` threads; the clients of one thread share its client library instance and its
// connections, with their requests in flight together (as etcd's benchmark spreads its clients
// over a few connections). Prints one JSON line: throughput and latency percentiles from a
// histogram.
//
//   rdb-bench --stores=127.0.0.1:20161 --clients=64 --threads=2 --duration=10s
//             --value-size=256 --keys=100000 --get-ratio=0
//
// Keys are spread over the whole first byte (the initial regions split there). With `--fill` the
// clients write every key of the key space once, in order, and stop: a bulk load that leaves a
// known amount of data (the run ends early when done; `--duration` bounds it). With `--ping`
// the clients ping the stores in turn instead: the client API's round trip alone, a bound on
// what any request can reach. With `--history=FILE` every put and get, warmup included, is
// recorded in the history format rdb-lincheck reads (README, "Checking histories"), each put
// writing a value of its own; keys are written as two hex digits of their first byte, a colon
// and the rest.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>

#include "tools/client/client.hpp"
#include "tools/lincheck/history.hpp"
#include "tools/rdb-bench/histogram.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct bench_config : caf::actor_system_config {
  std::string stores = "127.0.0.1:20161";
  std::size_t clients = 64;
  std::size_t threads = 2;
  caf::timespan duration = std::chrono::seconds{10};
  caf::timespan warmup = std::chrono::seconds{1};
  std::size_t value_size = 256;
  std::size_t keys = 100'000;
  double get_ratio = 0.0;
  bool ping = false;
  bool fill = false;
  std::string history;

  bench_config() {
    opt_group{custom_options_, "global"}
        .add(stores, "stores",
             "client addresses of stores, comma-separated (default: 127.0.0.1:20161)")
        .add(clients, "clients", "closed-loop clients (default: 64)")
        .add(threads, "threads",
             "threads the clients are spread over, at most one per client (default: 2)")
        .add(duration, "duration", "measured time (default: 10s)")
        .add(warmup, "warmup", "unmeasured time before it (default: 1s)")
        .add(value_size, "value-size", "bytes per value (default: 256)")
        .add(keys, "keys", "size of the key space (default: 100000)")
        .add(get_ratio, "get-ratio", "fraction of requests that are gets, 0-1 (default: 0)")
        .add(fill, "fill", "put every key once, in order, then stop; no warmup (default: false)")
        .add(ping, "ping",
             "ping the stores in turn instead: no raft or storage work (default: false)")
        .add(history, "history",
             "record every operation in this file, in rdb-lincheck's format (default: none)");
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

/// `key` as the history writes it: its first byte (any value) in hex, then the rest.
std::string history_key(const std::string& key) {
  static constexpr char hex[] = "0123456789abcdef";
  auto b = static_cast<unsigned char>(key.front());
  return std::string{hex[b >> 4], hex[b & 15], ':'} + key.substr(1);
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

struct worker_result {
  rdb::bench::histogram latency;
  std::uint64_t puts = 0;
  std::uint64_t gets = 0;
  std::uint64_t pings = 0;
  std::uint64_t errors = 0;
  std::uint64_t retries = 0;
  std::string last_error;
};

/// What the closed-loop clients of one thread share.
struct loop_context {
  const bench_config& cfg;
  const std::atomic<bool>& measuring;
  const std::atomic<bool>& stopping;
  const std::vector<std::string>& stores;
  /// The next key a client writes under `--fill`, shared by all threads.
  std::atomic<std::uint64_t>& next_key;
  rdb::client::client& client;
  worker_result& result;
  std::mt19937_64 rng;
  std::string value;
  /// This thread's part of the history, if one is recorded.
  std::ofstream* history = nullptr;
  std::uint64_t written = 0;
};

enum class op_kind { put, get, ping };

/// The next request of a client.
op_kind pick(loop_context& ctx) {
  if (ctx.cfg.ping) return op_kind::ping;
  if (ctx.cfg.fill) return op_kind::put;
  bool get = std::uniform_real_distribution<double>{0, 1}(ctx.rng) < ctx.cfg.get_ratio;
  return get ? op_kind::get : op_kind::put;
}

/// Records one finished operation in the thread's part of the history.
void record(loop_context& ctx, rdb::lincheck::operation op,
            const rdb::client::result<std::optional<std::string>>* got,
            const rdb::client::error* failed) {
  op.ret = now_ns();
  if (failed) {
    // Refused before it was proposed, or a read (which changes nothing): never took effect.
    bool never = !failed->maybe_applied || op.kind == rdb::lincheck::op_kind::get;
    op.out = never ? rdb::lincheck::outcome::fail : rdb::lincheck::outcome::unknown;
    if (!never) op.ret.reset();
  } else if (got) {
    op.read = **got;
  }
  *ctx.history << rdb::lincheck::to_json(op) << '\n';
}

/// The value of the next put: unique within the history when one is recorded.
std::string next_value(loop_context& ctx, std::size_t client) {
  if (!ctx.history) return ctx.value;
  auto v = "c" + std::to_string(client) + "-" + std::to_string(++ctx.written);
  if (v.size() < ctx.cfg.value_size) v.resize(ctx.cfg.value_size, 'a');
  return v;
}

/// One closed-loop client: a request, then the next once it is answered, until stopping.
kj::Promise<void> closed_loop(loop_context& ctx, std::size_t client) {
  if (ctx.stopping) return kj::READY_NOW;
  auto index = ctx.cfg.fill ? ctx.next_key++ : ctx.rng() % ctx.cfg.keys;
  if (index >= ctx.cfg.keys) return kj::READY_NOW;
  auto key = key_of(index);
  auto kind = pick(ctx);
  auto start = clock_type::now();
  std::optional<rdb::lincheck::operation> op;
  if (ctx.history && kind != op_kind::ping) {
    op.emplace();
    op->client = client;
    op->kind = kind == op_kind::get ? rdb::lincheck::op_kind::get : rdb::lincheck::op_kind::put;
    op->key = history_key(key);
    op->invoke = now_ns();
  }
  auto done = [&ctx, kind, start](const std::string& error) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
    auto& res = ctx.result;
    if (!error.empty()) res.last_error = error;
    if (!ctx.measuring) return;
    if (!error.empty()) {
      ++res.errors;
      return;
    }
    res.latency.record(static_cast<std::uint64_t>(us.count()));
    ++(kind == op_kind::get ? res.gets : kind == op_kind::put ? res.puts : res.pings);
  };
  // Moved into the promise: kj keeps a reference to a callback given as an lvalue.
  auto finish = [done](auto&& r) { done(r ? std::string{} : r.error().detail); };
  kj::Promise<void> call = nullptr;
  switch (kind) {
    case op_kind::get:
      call = ctx.client.get_async(std::move(key))
                 .then([&ctx, finish, op](rdb::client::result<std::optional<std::string>>&& r) {
                   if (op) record(ctx, *op, r ? &r : nullptr, r ? nullptr : &r.error());
                   finish(r);
                 });
      break;
    case op_kind::put: {
      auto value = next_value(ctx, client);
      if (op) op->value = value;
      call = ctx.client.put_async(std::move(key), std::move(value))
                 .then([&ctx, finish, op](rdb::client::result<void>&& r) {
                   if (op) record(ctx, *op, nullptr, r ? nullptr : &r.error());
                   finish(r);
                 });
      break;
    }
    case op_kind::ping:
      call = ctx.client.ping_async(ctx.stores[ctx.rng() % ctx.stores.size()]).then(kj::mv(finish));
      break;
  }
  return call.then([&ctx, client] { return closed_loop(ctx, client); });
}

/// Joins the threads' parts of the history into `path`, removing them.
bool join_history(const std::string& path, std::size_t parts) {
  std::ofstream out{path, std::ios::trunc};
  for (std::size_t w = 0; w < parts; ++w) {
    auto part = path + ".part" + std::to_string(w);
    {
      std::ifstream in{part};
      out << in.rdbuf();
    }
    std::filesystem::remove(part);
  }
  return static_cast<bool>(out);
}

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
      cfg.get_ratio > 1 || (cfg.fill && cfg.ping)) {
    std::fprintf(stderr,
                 "rdb-bench: need --stores, clients >= 1, keys >= 1, get-ratio in 0-1, and not "
                 "both --fill and --ping\n");
    return 2;
  }
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_key{0};
  std::atomic<std::size_t> threads_done{0};
  auto thread_count = std::min(std::max<std::size_t>(cfg.threads, 1), cfg.clients);
  std::vector<worker_result> results(thread_count);
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < thread_count; ++w) {
    threads.emplace_back([&, w] {
      rdb::client::options opts;
      opts.stores = stores;
      rdb::client::client c{opts};
      std::ofstream history;
      if (!cfg.history.empty()) history.open(cfg.history + ".part" + std::to_string(w));
      loop_context ctx{cfg,
                       measuring,
                       stopping,
                       stores,
                       next_key,
                       c,
                       results[w],
                       std::mt19937_64{w + 1},
                       std::string(cfg.value_size, static_cast<char>('a' + w % 26)),
                       cfg.history.empty() ? nullptr : &history};
      // Clients 0..n-1 go round-robin to the threads.
      auto loops = kj::heapArrayBuilder<kj::Promise<void>>((cfg.clients - w + thread_count - 1) /
                                                           thread_count);
      for (auto i = w; i < cfg.clients; i += thread_count)
        loops.add(closed_loop(ctx, i));
      kj::joinPromises(loops.finish()).wait(c.wait_scope());
      results[w].retries = c.stats().retries;
      ++threads_done;
    });
  }
  if (!cfg.fill) std::this_thread::sleep_for(cfg.warmup);
  measuring = true;
  auto begin = clock_type::now();
  if (cfg.fill) {
    // Polled rather than joined: `--duration` still ends a fill that cannot finish.
    while (threads_done < thread_count && clock_type::now() - begin < cfg.duration)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
  } else {
    std::this_thread::sleep_for(cfg.duration);
  }
  measuring = false;
  auto seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
  stopping = true;
  for (auto& t : threads)
    t.join();

  if (!cfg.history.empty() && !join_history(cfg.history, thread_count)) {
    std::fprintf(stderr, "rdb-bench: cannot write the history to %s\n", cfg.history.c_str());
    return 1;
  }
  worker_result total;
  for (const auto& r : results) {
    total.latency.merge(r.latency);
    total.puts += r.puts;
    total.gets += r.gets;
    total.pings += r.pings;
    total.errors += r.errors;
    total.retries += r.retries;
    if (!r.last_error.empty()) total.last_error = r.last_error;
  }
  auto ops = total.puts + total.gets + total.pings;
  std::printf(
      "{\"clients\":%zu,\"threads\":%zu,\"seconds\":%.2f,\"value_size\":%zu,\"keys\":%zu,"
      "\"get_ratio\":%.2f,\"ops\":%llu,\"ops_per_s\":%.0f,\"puts_per_s\":%.0f,"
      "\"gets_per_s\":%.0f,\"pings_per_s\":%.0f,\"errors\":%llu,\"retries\":%llu,"
      "\"p50_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu}\n",
      cfg.clients, thread_count, seconds, cfg.value_size, cfg.keys, cfg.get_ratio,
      static_cast<unsigned long long>(ops), static_cast<double>(ops) / seconds,
      static_cast<double>(total.puts) / seconds, static_cast<double>(total.gets) / seconds,
      static_cast<double>(total.pings) / seconds, static_cast<unsigned long long>(total.errors),
      static_cast<unsigned long long>(total.retries),
      static_cast<unsigned long long>(total.latency.percentile(0.50)),
      static_cast<unsigned long long>(total.latency.percentile(0.99)),
      static_cast<unsigned long long>(total.latency.percentile(0.999)),
      static_cast<unsigned long long>(total.latency.max()));
  if (total.errors > 0)
    std::fprintf(stderr, "rdb-bench: last error: %s\n", total.last_error.c_str());
  return 0;
}
