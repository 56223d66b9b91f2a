// Commits numbered batches (see crash_batches.hpp) to the store in argv[1] until killed,
// reporting each committed batch number as 8 raw bytes on stdout. Started and SIGKILLed by
// the crash test; resumes after whatever batch the store says was committed last. With "log"
// as argv[2] it writes the log half of the same batches to a raft log engine instead.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "crash_batches.hpp"
#include "storage/log_engine.hpp"
#include "storage/store.hpp"

using namespace rdb;
using namespace rdb::storage;
namespace crash = rdb::storage::test::crash;

namespace {

int die(const std::string& what, const error& e) {
  std::fprintf(stderr, "crash_writer: %s: %s\n", what.c_str(), e.message.c_str());
  return 2;
}

int report(std::uint64_t k) {
  return ::write(STDOUT_FILENO, &k, sizeof k) == sizeof k ? 0 : 3;
}

/// The log half of batch k: entry k, hard state commit k and the compaction of every region.
void add_log_half(write_batch& b, std::uint64_t k) {
  for (std::uint64_t r = 1; r <= crash::regions; ++r) {
    region_id region{r};
    b.append(region, {raft::entry{raft::term_id{1}, raft::log_index{k}, raft::entry_type::normal,
                                  crash::batch_value(k, r)}});
    b.set_hard_state(region,
                     raft::hard_state{raft::term_id{1}, raft::node_id{1}, raft::log_index{k}});
    if (k % crash::compact_every == 0) b.compact_log(region, raft::log_index{k - crash::keep});
  }
}

int run_log(const char* dir, const store_options& opts) {
  auto log = log_engine::open(dir, opts);
  if (!log) return die("open", log.error());
  auto hs = (*log)->hard_state(region_id{1});
  for (auto k = hs ? hs->commit.value() + 1 : 1;; ++k) {
    write_batch b;
    add_log_half(b, k);
    if (auto ok = (*log)->write(b); !ok) return die("write batch " + std::to_string(k), ok.error());
    if (int rc = report(k); rc != 0) return rc;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool log_mode = argc == 3 && std::strcmp(argv[2], "log") == 0;
  if (argc != 2 && !log_mode) {
    std::fprintf(stderr, "usage: crash_writer DIR [log]\n");
    return 2;
  }
  store_options opts;
  opts.cluster = cluster_id{7};
  opts.store = store_id{1};
  opts.create_if_missing = true;
  opts.initial_map_size = std::size_t{1} << 20;      // small, so crashes also hit map growth
  opts.log_segment_bytes = std::uint64_t{64} << 10;  // small, so crashes also hit rotation
  if (log_mode) return run_log(argv[1], opts);
  auto s = store::open(argv[1], opts);
  if (!s) return die("open", s.error());
  std::uint64_t k = 0;
  {
    auto view = (*s)->read();
    if (!view) return die("read", view.error());
    auto counter = view->get(crash::counter_key);
    if (!counter) return die("counter", counter.error());
    if (*counter)
      std::from_chars(counter->value().data(), counter->value().data() + counter->value().size(),
                      k);
  }
  for (++k;; ++k) {
    write_batch b;
    auto truncated = crash::truncated_after(k - 1);
    for (std::uint64_t r = 1; r <= crash::regions; ++r)
      b.set_apply_state(region_id{r}, apply_state{raft::log_index{k}, raft::log_index{truncated},
                                                  raft::term_id{truncated == 0 ? 0u : 1u}});
    add_log_half(b, k);
    b.put(region_id{1}, crash::batch_key(k), crash::batch_value(k, 0));
    b.put(region_id{1}, crash::counter_key, std::to_string(k));
    if (auto ok = (*s)->write(b); !ok) return die("write batch " + std::to_string(k), ok.error());
    if (int rc = report(k); rc != 0) return rc;
  }
}
