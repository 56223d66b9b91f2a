// The log engine deletes segments that hold no live entry, after a checkpoint of every
// region's state, and a restart reads only what is left.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/log_engine.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

const region_id busy{1};
const region_id quiet{2};
const region_id stuck{3};
constexpr std::uint64_t segment_bytes = 4096;

std::unique_ptr<log_engine> open_log(const std::string& dir) {
  auto opts = test_options();
  opts.log_segment_bytes = segment_bytes;
  return take(log_engine::open(dir, opts));
}

raft::log_index idx(std::uint64_t i) {
  return raft::log_index{i};
}

std::string segment(const std::string& dir, int n) {
  char name[32];
  std::snprintf(name, sizeof name, "/%016d.log", n);
  return dir + name;
}

/// Founds `quiet` (truncated at 5, a vote) and then writes `busy` in batches of 5 entries up to
/// index `last`, compacting it to 10 entries behind every 4th batch.
void write_load(log_engine& log, std::uint64_t last) {
  write_batch found;
  found.set_apply_state(quiet, apply_state{idx(5), idx(5), raft::term_id{5}});
  found.set_hard_state(quiet, raft::hard_state{raft::term_id{7}, raft::node_id{2}, idx(5)});
  found.set_apply_state(busy, apply_state{idx(0), idx(0), raft::term_id{0}});
  take(log.write(found));
  for (std::uint64_t lo = 1, k = 0; lo <= last; lo += 5, ++k) {
    write_batch b;
    b.append(busy, make_entries(lo, lo + 4, 3));
    b.set_hard_state(busy, raft::hard_state{raft::term_id{3}, raft::node_id{1}, idx(lo + 4)});
    if (k % 4 == 3) b.compact_log(busy, idx(lo + 4 - 10));
    take(log.write(b));
  }
}

}  // namespace

TEST_CASE("raft log purge: segments with no live entry go, and a reopen restores every region") {
  temp_dir dir;
  {
    auto log = open_log(dir.path());
    write_load(*log, 2000);
    // Far more was written than fits in a few segments.
    CHECK(log->segment_count() <= 3);
    CHECK(log->bytes() < 3 * segment_bytes);
    CHECK_FALSE(std::filesystem::exists(segment(dir.path(), 1)));
  }
  auto log = open_log(dir.path());
  CHECK(log->segment_count() <= 3);
  CHECK(log->ident().store == test_options().store);
  auto truncated = log->truncated(busy).value().truncated_index;
  CHECK(truncated >= idx(1980));
  CHECK(take(log->entries(busy, truncated + 1, idx(2001), UINT64_MAX)) ==
        make_entries(truncated.value() + 1, 2000, 3));
  CHECK(log->hard_state(busy) == raft::hard_state{raft::term_id{3}, raft::node_id{1}, idx(2000)});
  // The quiet region wrote nothing since its founding, long purged: the checkpoints kept it.
  CHECK(log->hard_state(quiet) == raft::hard_state{raft::term_id{7}, raft::node_id{2}, idx(5)});
  CHECK(log->truncated(quiet) == apply_state{idx(5), idx(5), raft::term_id{5}});
  // And the log goes on.
  write_batch more;
  more.append(busy, make_entries(2001, 2003, 4));
  take(log->write(more));
  CHECK(log->last_index(busy).value() == idx(2003));
}

TEST_CASE("raft log purge: a region that keeps an old entry keeps its segment") {
  temp_dir dir;
  auto log = open_log(dir.path());
  write_batch old;
  old.append(stuck, make_entries(1, 1, 1));
  take(log->write(old));
  write_load(*log, 1000);
  CHECK(std::filesystem::exists(segment(dir.path(), 1)));
  CHECK(log->segment_count() > 5);
  CHECK(take(log->entries(stuck, idx(1), idx(2), UINT64_MAX)) == make_entries(1, 1, 1));
}

TEST_CASE("raft log purge: a missing segment after a purge is corruption, not a shorter log") {
  temp_dir dir;
  std::uint64_t count = 0;
  {
    auto log = open_log(dir.path());
    write_load(*log, 2000);
    count = log->segment_count();
  }
  REQUIRE(count >= 2);
  // The oldest segment left holds the busy region's oldest live entries.
  std::uint32_t first = ~0u;
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    if (f.path().extension() == ".log")
      first = std::min(first, static_cast<std::uint32_t>(std::stoul(f.path().stem().string())));
  std::filesystem::remove(segment(dir.path(), static_cast<int>(first)));
  auto opts = test_options();
  opts.log_segment_bytes = segment_bytes;
  auto reopened = log_engine::open(dir.path(), opts);
  REQUIRE_FALSE(reopened.has_value());
  CHECK(reopened.error().code == errc::storage_corrupt);
}

TEST_CASE("raft log purge: a crash between a checkpoint and the last deletion leaves a log") {
  // Found by the SIGKILL test: a purge that deleted only the oldest of its segments left a log
  // whose first segment no checkpoint named.
  temp_dir dir;
  temp_dir before;
  auto log = open_log(dir.path());
  // An old live entry of another region holds every segment until it is compacted.
  write_batch old;
  old.append(stuck, make_entries(1, 1, 1));
  take(log->write(old));
  write_load(*log, 200);
  REQUIRE(log->segment_count() > 3);
  std::uint64_t lo = 201;
  // Write on until a batch purges more than one segment, keeping a copy of the directory from
  // before that batch.
  for (int guard = 0; guard < 1000; ++guard, lo += 5) {
    std::filesystem::remove_all(before.path());
    std::filesystem::copy(dir.path(), before.path());
    auto segments = log->segment_count();
    write_batch b;
    b.append(busy, make_entries(lo, lo + 4, 3));
    b.compact_log(busy, idx(lo + 4 - 10));
    b.compact_log(stuck, idx(1));
    take(log->write(b));
    if (log->segment_count() + 1 < segments) break;
  }
  log.reset();
  // Put back every segment that batch deleted but the oldest, as if the crash came then.
  std::vector<std::uint32_t> gone;
  for (const auto& f : std::filesystem::directory_iterator(before.path()))
    if (f.path().extension() == ".log" &&
        !std::filesystem::exists(dir.path() + "/" + f.path().filename().string()))
      gone.push_back(static_cast<std::uint32_t>(std::stoul(f.path().stem().string())));
  REQUIRE(gone.size() >= 2);
  std::sort(gone.begin(), gone.end());
  for (std::size_t k = 1; k < gone.size(); ++k)
    std::filesystem::copy_file(segment(before.path(), static_cast<int>(gone[k])),
                               segment(dir.path(), static_cast<int>(gone[k])));
  auto reopened = open_log(dir.path());
  auto truncated = reopened->truncated(busy).value().truncated_index;
  CHECK(truncated == idx(lo + 4 - 10));
  CHECK(take(reopened->entries(busy, truncated + 1, idx(lo + 5), UINT64_MAX)) ==
        make_entries(truncated.value() + 1, lo + 4, 3));
  CHECK(reopened->hard_state(quiet) ==
        raft::hard_state{raft::term_id{7}, raft::node_id{2}, idx(5)});
}
