// Crash atomicity: a child process commits numbered batches (log + state + data of two
// regions together, see crash_batches.hpp) and is SIGKILLed at random moments. After every
// kill the store is reopened and each batch must be all or nothing: the logs, hard states,
// apply states, data and the regions' approximate sizes all agree on the last committed batch,
// which is the last one the child reported or the one after it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "crash_batches.hpp"
#include "storage/log_engine.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

/// Upper bound for any wait on the child; far above what a healthy child needs even under
/// sanitizers, so hitting it means the child hangs.
constexpr int wait_ms = 30'000;

/// The writer child: its pid and the read end of its report pipe.
struct child {
  pid_t pid = -1;
  int reports = -1;
};

child spawn(const std::string& writer, const std::string& dir, const char* mode) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(writer.c_str(), writer.c_str(), dir.c_str(), mode, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return child{pid, fds[0]};
}

/// Reads the next batch number the child reported; false at end of stream.
bool next_report(int fd, std::uint64_t& k) {
  char buf[sizeof k];
  std::size_t got = 0;
  while (got < sizeof buf) {
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    REQUIRE_MESSAGE(rc > 0, "crash writer stalled");
    auto n = ::read(fd, buf + got, sizeof buf - got);
    if (n == 0) return false;
    REQUIRE(n > 0);
    got += static_cast<std::size_t>(n);
  }
  std::memcpy(&k, buf, sizeof k);
  return true;
}

/// Counts what disagrees with "batches 1..c committed, nothing else", printing the first few.
class tally {
 public:
  std::uint64_t torn = 0;
  std::uint64_t batches_checked = 0;
  /// Kills that landed after a commit but before its report reached the pipe.
  std::uint64_t unreported_commits = 0;

 protected:
  void expect(bool ok, const std::string& what) {
    if (ok) return;
    if (++torn <= 10) MESSAGE("torn: " << what);
  }
  /// The last committed batch `c` must be the last reported one or the one after it.
  void expect_committed(std::uint64_t c, std::uint64_t reported) {
    expect(c >= reported && c <= reported + 1,
           "committed " + std::to_string(c) + " but reported " + std::to_string(reported));
    if (c == reported + 1) ++unreported_commits;
    batches_checked += c;
  }
};

/// Checks a store (LMDB) directory.
class checker : public tally {
 public:
  void check(const std::string& dir, std::uint64_t reported) {
    store_options opts;
    opts.cluster = cluster_id{7};
    auto s = store::open(dir, opts);
    if (!s && s.error().code == errc::not_bootstrapped && reported == 0) return;
    auto opened = take(std::move(s));
    auto view = take(opened->read());
    std::uint64_t c = 0;
    if (auto counter = take(view.get(crash::counter_key)))
      std::from_chars(counter->data(), counter->data() + counter->size(), c);
    expect_committed(c, reported);
    for (std::uint64_t r = 1; r <= crash::regions; ++r)
      check_region(view, region_id{r}, c);
    check_data(view, c);
  }

 private:
  void check_region(const read_view& view, region_id region, std::uint64_t c) {
    auto where = "region " + std::to_string(region.value()) + " at batch " + std::to_string(c);
    auto hs = take(view.load_hard_state(region));
    auto as = take(view.load_apply_state(region));
    expect(take(view.last_index(region)) == raft::log_index{c}, where + ": last index");
    expect(c == 0 ? !hs : hs && hs->commit == raft::log_index{c}, where + ": hard state");
    expect(c == 0 ? !as : as && as->applied_index == raft::log_index{c}, where + ": applied");
    auto truncated = crash::truncated_after(c);
    expect(c == 0 || (as && as->truncated_index == raft::log_index{truncated}),
           where + ": truncated index");
    auto first = take(view.first_index(region));
    expect(first == raft::log_index{truncated + 1}, where + ": first index");
    auto entries = take(view.entries(region, first, raft::log_index{c + 1}, ~std::uint64_t{0}));
    expect(entries.size() == c + 1 - first.value(), where + ": entry count");
    for (const auto& e : entries)
      expect(e.term == raft::term_id{1} &&
                 e.data == crash::batch_value(e.index.value(), region.value()),
             where + ": entry " + std::to_string(e.index.value()));
  }

  void check_data(const read_view& view, std::uint64_t c) {
    auto kvs = take(view.scan("batch/", "batch0", ~std::size_t{0}));
    expect(kvs.size() == c,
           "data holds " + std::to_string(kvs.size()) + " batches, counter " + std::to_string(c));
    for (std::size_t i = 0; i < kvs.size(); ++i)
      expect(kvs[i].key == crash::batch_key(i + 1) && kvs[i].value == crash::batch_value(i + 1, 0),
             "data of batch " + std::to_string(i + 1));
    // Every data write of the child is booked to region 1, so its size must match exactly.
    expect(take(view.approximate_usage(region_id{1})).bytes == take(view.range_size("", "")),
           "approximate size of region 1");
  }
};

/// The same for the log halves written to a raft log engine: the logs and hard states agree on
/// the last committed batch.
class log_checker : public tally {
 public:
  void check(const std::string& dir, std::uint64_t reported) {
    store_options opts;
    opts.cluster = cluster_id{7};
    opts.log_segment_bytes = std::uint64_t{64} << 10;
    auto opened = log_engine::open(dir, opts);
    if (!opened && opened.error().code == errc::not_bootstrapped && reported == 0) return;
    auto log = take(std::move(opened));
    auto hs = log->hard_state(region_id{1});
    std::uint64_t c = hs ? hs->commit.value() : 0;
    expect_committed(c, reported);
    for (std::uint64_t r = 1; r <= crash::regions; ++r) {
      region_id region{r};
      auto where = "region " + std::to_string(r) + " at batch " + std::to_string(c);
      auto rhs = log->hard_state(region);
      expect(c == 0 ? !rhs : rhs && rhs->commit == raft::log_index{c}, where + ": hard state");
      expect(take(log->last_index(region)) == raft::log_index{c}, where + ": last index");
      auto first = take(log->first_index(region));
      expect(first == raft::log_index{crash::truncated_after(c) + 1}, where + ": first index");
      auto entries = take(log->entries(region, first, raft::log_index{c + 1}, ~std::uint64_t{0}));
      expect(entries.size() == c + 1 - first.value(), where + ": entry count");
      for (const auto& e : entries)
        expect(e.term == raft::term_id{1} && e.data == crash::batch_value(e.index.value(), r),
               where + ": entry " + std::to_string(e.index.value()));
    }
  }
};

/// Starts the crash writer in `mode` and SIGKILLs it at random moments, checking the directory
/// after every kill; prints the figures as `<name>: kills=N batches_checked=M torn=T`.
template <class Checker>
void kill_repeatedly(const char* name, const char* mode, Checker& check) {
  const char* writer = std::getenv("RDB_CRASH_WRITER");
  REQUIRE_MESSAGE(writer, "RDB_CRASH_WRITER must name the crash writer binary");
  const char* sanitized = std::getenv("RDB_SANITIZED");
  const int kills = sanitized && std::string{sanitized} == "1" ? 50 : 60;
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("RDB_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("%s seed=%llu (replay with RDB_CRASH_SEED=%llu)\n", name,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng{seed};
  temp_dir dir;
  std::uint64_t reported = 0;
  for (int kill = 0; kill < kills; ++kill) {
    auto c = spawn(writer, dir.path(), mode);
    // Wait for a random number of fresh commits (0: kill while the child opens the store),
    // then add a random spin so the kill lands at varying points inside the next batch.
    auto target = rng() % 12;
    std::uint64_t k = 0;
    for (std::uint64_t seen = 0; seen < target; ++seen) {
      REQUIRE_MESSAGE(next_report(c.reports, k), "crash writer exited early");
      reported = k;
    }
    for (auto spin = rng() % 2'000'000; spin > 0; --spin)
      std::atomic_signal_fence(std::memory_order_seq_cst);
    REQUIRE(::kill(c.pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
    CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                  "crash writer ended on its own, status " << status);
    // Reports written before the kill but not read yet still count as acknowledged.
    while (next_report(c.reports, k))
      reported = k;
    ::close(c.reports);
    check.check(dir.path(), reported);
  }
  std::printf("%s: %llu kills landed between a commit and its report\n", name,
              static_cast<unsigned long long>(check.unreported_commits));
  std::printf("%s: kills=%d batches_checked=%llu torn=%llu\n", name, kills,
              static_cast<unsigned long long>(check.batches_checked),
              static_cast<unsigned long long>(check.torn));
  CHECK(check.torn == 0);
  CHECK(check.batches_checked > 0);
}

}  // namespace

TEST_CASE("batches survive SIGKILL all or nothing") {
  checker check;
  kill_repeatedly("storage-crash", nullptr, check);
}

TEST_CASE("raft log batches survive SIGKILL all or nothing") {
  log_checker check;
  kill_repeatedly("storage-crash-log", "log", check);
}
