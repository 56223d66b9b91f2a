#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/log_engine.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

const region_id r1{1};
const region_id r2{2};

std::unique_ptr<log_engine> open_log(const std::string& dir,
                                     std::uint64_t segment_bytes = 1 << 20) {
  auto opts = test_options();
  opts.log_segment_bytes = segment_bytes;
  return take(log_engine::open(dir, opts));
}

void append(log_engine& log, region_id region, std::uint64_t lo, std::uint64_t hi,
            std::uint64_t term) {
  write_batch b;
  b.append(region, make_entries(lo, hi, term));
  take(log.write(b));
}

raft::log_index idx(std::uint64_t i) {
  return raft::log_index{i};
}

std::string first_segment(const std::string& dir) {
  return dir + "/0000000000000001.log";
}

}  // namespace

TEST_CASE("raft log: entries, terms and hard state survive a reopen") {
  temp_dir dir;
  {
    auto log = open_log(dir.path());
    append(*log, r1, 1, 10, 1);
    append(*log, r2, 1, 3, 4);
    write_batch b;
    b.set_hard_state(r1, raft::hard_state{raft::term_id{2}, raft::node_id{7}, idx(9)});
    take(log->write(b));
    CHECK(log->last_index(r1).value() == idx(10));
    CHECK(take(log->entries(r1, idx(1), idx(11), UINT64_MAX)) == make_entries(1, 10, 1));
  }
  auto log = open_log(dir.path());
  CHECK(log->ident() == store_ident{cluster_id{7}, store_id{1}, format_version});
  CHECK(log->regions() == std::vector<region_id>{r1, r2});
  CHECK(log->first_index(r1).value() == idx(1));
  CHECK(log->last_index(r1).value() == idx(10));
  CHECK(log->term(r2, idx(3)).value() == raft::term_id{4});
  CHECK(take(log->entries(r1, idx(3), idx(6), UINT64_MAX)) == make_entries(3, 5, 1));
  CHECK(take(log->entries(r2, idx(1), idx(4), UINT64_MAX)) == make_entries(1, 3, 4));
  CHECK(log->hard_state(r1) == raft::hard_state{raft::term_id{2}, raft::node_id{7}, idx(9)});
  CHECK(log->hard_state(r2) == std::nullopt);
  // A byte budget returns at least one entry.
  CHECK(take(log->entries(r1, idx(1), idx(11), 0)).size() == 1);
  CHECK(code_of(log->entries(r1, idx(1), idx(12), UINT64_MAX)) == errc::unavailable);
  CHECK(code_of(log->term(r1, idx(11))) == errc::unavailable);
}

TEST_CASE("raft log: a conflicting suffix is replaced, a gap refused, old entries skipped") {
  temp_dir dir;
  {
    auto log = open_log(dir.path());
    append(*log, r1, 1, 10, 1);
    append(*log, r1, 6, 7, 2);
    CHECK(log->last_index(r1).value() == idx(7));
    CHECK(log->term(r1, idx(7)).value() == raft::term_id{2});
    CHECK(log->term(r1, idx(5)).value() == raft::term_id{1});
    write_batch gap;
    gap.append(r1, make_entries(9, 9, 2));
    CHECK(code_of(log->write(gap)) == errc::invalid_argument);
    CHECK(log->last_index(r1).value() == idx(7));
  }
  auto log = open_log(dir.path());
  CHECK(log->last_index(r1).value() == idx(7));
  auto got = take(log->entries(r1, idx(5), idx(8), UINT64_MAX));
  CHECK(got == std::vector<raft::entry>{make_entries(5, 5, 1)[0], make_entries(6, 6, 2)[0],
                                        make_entries(7, 7, 2)[0]});
}

TEST_CASE("raft log: compaction, truncation state, clear and destroy") {
  temp_dir dir;
  {
    auto log = open_log(dir.path());
    write_batch b;
    // Founding: truncated at 5, then entries after it and a compaction, in one batch.
    b.set_apply_state(r1, apply_state{idx(5), idx(5), raft::term_id{5}});
    b.append(r1, make_entries(3, 12, 6));
    b.compact_log(r1, idx(8));
    b.append(r2, make_entries(1, 4, 1));
    take(log->write(b));
    CHECK(log->first_index(r1).value() == idx(9));
    CHECK(log->term(r1, idx(8)).value() == raft::term_id{6});
    CHECK(code_of(log->term(r1, idx(7))) == errc::compacted);
    CHECK(code_of(log->entries(r1, idx(8), idx(9), UINT64_MAX)) == errc::compacted);
    write_batch past;
    past.compact_log(r1, idx(13));
    CHECK(code_of(log->write(past)) == errc::invalid_argument);
    write_batch back;
    back.set_apply_state(r1, apply_state{idx(5), idx(5), raft::term_id{5}});
    CHECK(code_of(log->write(back)) == errc::invalid_argument);
    write_batch bye;
    bye.destroy_region(r2);
    take(log->write(bye));
    CHECK(log->regions() == std::vector<region_id>{r1});
  }
  auto log = open_log(dir.path());
  CHECK(log->truncated(r1) == apply_state{idx(8), idx(8), raft::term_id{6}});
  CHECK(take(log->entries(r1, idx(9), idx(13), UINT64_MAX)) == make_entries(9, 12, 6));
  CHECK(log->regions() == std::vector<region_id>{r1});
  write_batch clear;
  clear.clear_log(r1);
  take(log->write(clear));
  CHECK(log->last_index(r1).value() == idx(8));
  CHECK(log->first_index(r1).value() == idx(9));
}

TEST_CASE("raft log: records span segments and are all read back") {
  temp_dir dir;
  {
    auto log = open_log(dir.path(), 4096);
    for (std::uint64_t k = 0; k < 40; ++k)
      append(*log, r1, k * 5 + 1, k * 5 + 5, 1);
    CHECK(log->segment_count() > 3);
  }
  auto log = open_log(dir.path(), 4096);
  CHECK(log->segment_count() > 3);
  CHECK(take(log->entries(r1, idx(1), idx(201), UINT64_MAX)) == make_entries(1, 200, 1));
}

TEST_CASE("raft log: sealed segments are opened for reads only, a bounded number at once") {
  temp_dir dir;
  auto opts = test_options();
  opts.log_segment_bytes = 4096;
  opts.log_open_segments = 3;
  auto open_fds = [] {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator("/proc/self/fd"))
      ++n;
    return n;
  };
  auto before = open_fds();
  {
    auto log = take(log_engine::open(dir.path(), opts));
    // Nothing is compacted: every segment stays, but only the one being written is open.
    for (std::uint64_t k = 0; k < 100; ++k)
      append(*log, r1, k * 5 + 1, k * 5 + 5, 1);
    REQUIRE(log->segment_count() > 6);
    CHECK(log->open_segment_files() == 1);
    // Reading the whole log opens each sealed segment in turn, never more than three at once.
    CHECK(take(log->entries(r1, idx(1), idx(501), UINT64_MAX)) == make_entries(1, 500, 1));
    CHECK(log->open_segment_files() == 4);
    CHECK(open_fds() <= before + 4 + 2);
  }
  // A restart reads every live segment but keeps only the last one open.
  auto log = take(log_engine::open(dir.path(), opts));
  CHECK(log->open_segment_files() == 1);
  CHECK(take(log->entries(r1, idx(251), idx(256), UINT64_MAX)) == make_entries(251, 255, 1));
  CHECK(log->open_segment_files() == 2);
}

TEST_CASE("raft log: a segment prepared but never started is removed at open") {
  temp_dir dir;
  open_log(dir.path());
  auto stale = dir.path() + "/0000000000000007.log.prep";
  { std::ofstream{stale} << "left by a crash"; }
  auto log = open_log(dir.path());
  CHECK_FALSE(std::filesystem::exists(stale));
  append(*log, r1, 1, 2, 1);
  CHECK(log->segment_count() == 1);
}

TEST_CASE("raft log: a torn last record is cut off and the log goes on") {
  temp_dir dir;
  std::uint64_t good_bytes = 0;
  {
    auto log = open_log(dir.path());
    append(*log, r1, 1, 5, 1);
    good_bytes = log->bytes();
  }
  {
    // A crash in the middle of the next record: its header and half its payload made it.
    write_batch b;
    b.append(r1, make_entries(6, 6, 1));
    auto log = open_log(dir.path());
    take(log->write(b));
    int fd = ::open(first_segment(dir.path()).c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    std::string junk(20, '\x5a');
    REQUIRE(::pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(good_bytes + 12)) == 20);
    ::close(fd);
  }
  {
    auto log = open_log(dir.path());
    CHECK(log->last_index(r1).value() == idx(5));
    CHECK(log->bytes() == good_bytes);
    append(*log, r1, 6, 8, 2);
  }
  auto log = open_log(dir.path());
  CHECK(log->last_index(r1).value() == idx(8));
  CHECK(log->term(r1, idx(6)).value() == raft::term_id{2});
}

TEST_CASE("raft log: a torn record stays cut off after the log moves to a new segment") {
  temp_dir dir;
  std::uint64_t good_bytes = 0;
  {
    auto log = open_log(dir.path(), 8192);
    append(*log, r1, 1, 3, 1);
    good_bytes = log->bytes();
    append(*log, r1, 4, 4, 1);
  }
  int fd = ::open(first_segment(dir.path()).c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  std::string junk(20, '\x5a');
  REQUIRE(::pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(good_bytes + 12)) == 20);
  ::close(fd);
  {
    auto log = open_log(dir.path(), 8192);
    CHECK(log->last_index(r1).value() == idx(3));
    // Too big for what is left of the first segment: it opens the second.
    append(*log, r1, 4, 400, 2);
    CHECK(log->segment_count() == 2);
  }
  auto log = open_log(dir.path(), 8192);
  CHECK(log->last_index(r1).value() == idx(400));
  CHECK(log->term(r1, idx(4)).value() == raft::term_id{2});
}

TEST_CASE("raft log: a damaged record before the last segment is corruption") {
  temp_dir dir;
  {
    auto log = open_log(dir.path(), 4096);
    for (std::uint64_t k = 0; k < 20; ++k)
      append(*log, r1, k * 5 + 1, k * 5 + 5, 1);
    REQUIRE(log->segment_count() > 1);
  }
  int fd = ::open(first_segment(dir.path()).c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char byte = 0;
  REQUIRE(::pread(fd, &byte, 1, 200) == 1);
  byte = static_cast<char>(byte ^ 0x40);
  REQUIRE(::pwrite(fd, &byte, 1, 200) == 1);
  ::close(fd);
  auto opts = test_options();
  opts.log_segment_bytes = 4096;
  auto reopened = log_engine::open(dir.path(), opts);
  CHECK(code_of(reopened) == errc::storage_corrupt);
  CHECK_MESSAGE(reopened.error().message.find("checksum") != std::string::npos,
                reopened.error().message);
}

TEST_CASE("raft log: a damaged record followed by sound ones in the last segment is corruption") {
  temp_dir dir;
  std::uint64_t second_record = 0;
  {
    auto log = open_log(dir.path());
    append(*log, r1, 1, 5, 1);
    second_record = log->bytes();
    append(*log, r1, 6, 10, 1);
    append(*log, r1, 11, 15, 1);
    REQUIRE(log->segment_count() == 1);
  }
  // Bit rot in the payload of an acknowledged record in the middle of the only segment.
  int fd = ::open(first_segment(dir.path()).c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char byte = 0;
  auto at = static_cast<off_t>(second_record + 20);
  REQUIRE(::pread(fd, &byte, 1, at) == 1);
  byte = static_cast<char>(byte ^ 0x10);
  REQUIRE(::pwrite(fd, &byte, 1, at) == 1);
  ::close(fd);
  auto reopened = log_engine::open(dir.path(), test_options());
  CHECK(code_of(reopened) == errc::storage_corrupt);
  // Nothing was cut off: the damaged segment is as it was.
  auto opts = test_options();
  opts.read_only = true;
  CHECK(code_of(log_engine::open(dir.path(), opts)) == errc::storage_corrupt);
}

TEST_CASE("raft log: identity, read-only opens and refused operations") {
  temp_dir dir;
  auto opts = test_options();
  opts.create_if_missing = false;
  CHECK(code_of(log_engine::open(dir.path(), opts)) == errc::not_bootstrapped);
  open_log(dir.path());
  opts = test_options();
  opts.store = store_id{2};
  CHECK(code_of(log_engine::open(dir.path(), opts)) == errc::store_mismatch);
  opts = test_options();
  opts.cluster = cluster_id{8};
  CHECK(code_of(log_engine::open(dir.path(), opts)) == errc::cluster_mismatch);
  store_options ro;
  ro.read_only = true;
  auto log = take(log_engine::open(dir.path(), ro));
  write_batch b;
  b.append(r1, make_entries(1, 1, 1));
  CHECK(code_of(log->write(b)) == errc::invalid_argument);
  auto rw = open_log(dir.path());
  write_batch data;
  data.put(r1, "k", "v");
  auto refused = rw->write(data);
  CHECK(code_of(refused) == errc::invalid_argument);
  CHECK_MESSAGE(refused.error().message.find("kv environment") != std::string::npos,
                refused.error().message);
  CHECK(rw->regions().empty());
}
