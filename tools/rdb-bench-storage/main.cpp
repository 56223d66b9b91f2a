// rdb-bench-storage: durable write throughput of the storage write batch API next to plain
// LMDB doing the same work (same environment flags, same keys and values, one synced commit
// per batch) in the same run, so the ratio shows what the storage layer costs on top of LMDB.
//
// Raw and store runs alternate in short rounds so drift in the disk's sync latency hits both
// alike. Prints one row per batch shape.
#include <lmdb.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "storage/store.hpp"

using namespace rdb;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t value_size = 256;
constexpr std::size_t key_size = 16;
constexpr int rounds = 3;
constexpr auto round_time = std::chrono::milliseconds{400};
constexpr std::size_t map_size = std::size_t{1} << 30;

/// A fresh directory under /tmp, removed again on destruction.
struct scratch_dir {
  std::string path;
  scratch_dir() {
    std::string pattern = "/tmp/rdb-bench-storage-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Random fixed-size keys and values; both targets draw the same sequence.
struct workload {
  std::mt19937_64 rng{42};
  std::string value = std::string(value_size, 'v');

  std::string next_key() {
    std::string k(key_size, '\0');
    for (auto& c : k)
      c = static_cast<char>('a' + rng() % 26);
    return k;
  }
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rdb-bench-storage: %s\n", what.c_str());
  std::exit(1);
}

/// Plain LMDB: one environment like the store's (MDB_NOTLS, synced commits), one database.
class raw_target {
 public:
  explicit raw_target(const std::string& dir) {
    if (mdb_env_create(&env_) || mdb_env_set_maxdbs(env_, 4) ||
        mdb_env_set_mapsize(env_, map_size) || mdb_env_open(env_, dir.c_str(), MDB_NOTLS, 0644))
      die("raw LMDB open failed");
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) || mdb_dbi_open(txn, "data", MDB_CREATE, &dbi_) ||
        mdb_txn_commit(txn))
      die("raw LMDB database open failed");
  }
  raw_target(const raw_target&) = delete;
  raw_target& operator=(const raw_target&) = delete;
  ~raw_target() { mdb_env_close(env_); }

  void batch(workload& w, std::size_t puts) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn)) die("raw begin failed");
    for (std::size_t i = 0; i < puts; ++i) {
      // The same one-byte prefix the store adds, so both write identical key sizes.
      auto key = "z" + w.next_key();
      MDB_val k{key.size(), key.data()};
      MDB_val v{w.value.size(), w.value.data()};
      if (mdb_put(txn, dbi_, &k, &v, 0)) die("raw put failed");
    }
    if (mdb_txn_commit(txn)) die("raw commit failed");
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

/// The storage engine: one write_batch per batch, committed by store::write.
class store_target {
 public:
  explicit store_target(const std::string& dir) {
    storage::store_options opts;
    opts.cluster = cluster_id{1};
    opts.store = store_id{1};
    opts.create_if_missing = true;
    opts.initial_map_size = map_size;
    auto s = storage::store::open(dir, opts);
    if (!s) die("store open failed: " + s.error().message);
    store_ = std::move(*s);
  }

  void batch(workload& w, std::size_t puts) {
    storage::write_batch b;
    for (std::size_t i = 0; i < puts; ++i)
      b.put(region_id{1}, w.next_key(), w.value);
    if (auto ok = store_->write(b); !ok) die("store write failed: " + ok.error().message);
  }

 private:
  std::unique_ptr<storage::store> store_;
};

/// Runs `batch` for one round and adds the batches done and the time taken.
void run_round(const std::function<void()>& batch, std::uint64_t& batches, double& seconds) {
  auto start = clock_type::now();
  auto stop = start + round_time;
  auto now = start;
  do {
    batch();
    ++batches;
    now = clock_type::now();
  } while (now < stop);
  seconds += std::chrono::duration<double>(now - start).count();
}

}  // namespace

int main() {
  std::printf("durable batches of N puts x %zu B values, %zu B keys; one synced commit each\n",
              value_size, key_size);
  std::printf("%6s | %14s %12s | %14s %12s | %6s\n", "puts/N", "raw batches/s", "raw puts/s",
              "store batch/s", "store puts/s", "ratio");
  for (std::size_t puts : {1, 16, 256}) {
    scratch_dir raw_dir, store_dir;
    raw_target raw{raw_dir.path};
    store_target st{store_dir.path};
    workload raw_load, store_load;
    std::uint64_t raw_batches = 0, store_batches = 0;
    double raw_seconds = 0, store_seconds = 0;
    for (int r = 0; r < rounds; ++r) {
      run_round([&] { raw.batch(raw_load, puts); }, raw_batches, raw_seconds);
      run_round([&] { st.batch(store_load, puts); }, store_batches, store_seconds);
    }
    double raw_rate = raw_batches / raw_seconds;
    double store_rate = store_batches / store_seconds;
    std::printf("%6zu | %14.0f %12.0f | %14.0f %12.0f | %5.0f%%\n", puts, raw_rate, raw_rate * puts,
                store_rate, store_rate * puts, 100 * store_rate / raw_rate);
  }
  return 0;
}
