#include <doctest/doctest.h>

#include "storage/region_log.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

raft::log_index idx(std::uint64_t i) {
  return raft::log_index{i};
}
raft::term_id term(std::uint64_t t) {
  return raft::term_id{t};
}
constexpr std::uint64_t unlimited = ~std::uint64_t{0};

}  // namespace

TEST_CASE("an empty log starts after index 0 and answers term(0)") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  CHECK(take(log.first_index()) == idx(1));
  CHECK(take(log.last_index()) == idx(0));
  CHECK(take(log.term(idx(0))) == term(0));
  CHECK(code_of(log.term(idx(1))) == errc::unavailable);
  CHECK(take(log.entries(idx(1), idx(1), unlimited)).empty());
  CHECK(code_of(log.entries(idx(1), idx(2), unlimited)) == errc::unavailable);
}

TEST_CASE("appended entries read back in order with their terms") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  take(log.append(make_entries(1, 10, 1)));
  CHECK(take(log.first_index()) == idx(1));
  CHECK(take(log.last_index()) == idx(10));
  CHECK(take(log.term(idx(7))) == term(1));
  CHECK(take(log.entries(idx(1), idx(11), unlimited)) == make_entries(1, 10, 1));
  CHECK(take(log.entries(idx(4), idx(6), unlimited)) == make_entries(4, 5, 1));
  CHECK(code_of(log.entries(idx(5), idx(4), unlimited)) == errc::invalid_argument);
  CHECK(code_of(log.entries(idx(1), idx(12), unlimited)) == errc::unavailable);
}

TEST_CASE("entries stop at max_bytes but always return at least one") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  take(log.append(make_entries(1, 10, 1)));
  CHECK(take(log.entries(idx(1), idx(11), 0)).size() == 1);
  auto one = take(log.entries(idx(1), idx(11), 0));
  auto all = take(log.entries(idx(1), idx(11), unlimited));
  REQUIRE(all.size() == 10);
  // Each record is at most a few dozen bytes: 3 records fit in 200 bytes, 10 do not.
  auto some = take(log.entries(idx(1), idx(11), 200));
  CHECK(some.size() > 1);
  CHECK(some.size() < 10);
  CHECK(some == std::vector<raft::entry>(all.begin(), all.begin() + some.size()));
  CHECK(one.front() == all.front());
}

TEST_CASE("a conflicting append replaces the suffix from its first index") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  take(log.append(make_entries(1, 10, 1)));
  take(log.append(make_entries(6, 7, 2)));
  CHECK(take(log.last_index()) == idx(7));
  auto got = take(log.entries(idx(1), idx(8), unlimited));
  auto want = make_entries(1, 5, 1);
  for (auto& e : make_entries(6, 7, 2))
    want.push_back(e);
  CHECK(got == want);
  CHECK(code_of(log.term(idx(8))) == errc::unavailable);
  // Appending at last + 1 extends; past it leaves a gap and is refused without change.
  take(log.append(make_entries(8, 8, 2)));
  CHECK(code_of(log.append(make_entries(10, 11, 2))) == errc::invalid_argument);
  CHECK(take(log.last_index()) == idx(8));
  // Rewriting from the very first index replaces everything.
  take(log.append(make_entries(1, 2, 3)));
  CHECK(take(log.last_index()) == idx(2));
  CHECK(take(log.term(idx(1))) == term(3));
}

TEST_CASE("non-consecutive or zero indexes in one append are refused") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  auto bad = make_entries(1, 3, 1);
  bad[2].index = idx(5);
  CHECK(code_of(log.append(bad)) == errc::invalid_argument);
  CHECK(code_of(log.append(make_entries(0, 1, 1))) == errc::invalid_argument);
  CHECK(take(log.last_index()) == idx(0));
}

TEST_CASE("compaction moves the first index and reads below it are compacted") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  take(log.append(make_entries(1, 5, 1)));
  take(log.append(make_entries(6, 10, 2)));
  take(log.compact(idx(6)));
  CHECK(take(log.first_index()) == idx(7));
  CHECK(take(log.last_index()) == idx(10));
  // term(truncated index) comes from the apply state.
  CHECK(take(log.term(idx(6))) == term(2));
  CHECK(code_of(log.term(idx(5))) == errc::compacted);
  auto r = log.entries(idx(6), idx(8), unlimited);
  CHECK(code_of(r) == errc::compacted);
  CHECK(r.error().message.find("region 1") != std::string::npos);
  CHECK(take(log.entries(idx(7), idx(11), unlimited)) == make_entries(7, 10, 2));
  CHECK(code_of(log.compact(idx(6))) == errc::compacted);
  CHECK(code_of(log.compact(idx(11))) == errc::invalid_argument);
  // Compacting everything leaves an empty log that still knows where it ends.
  take(log.compact(idx(10)));
  CHECK(take(log.first_index()) == idx(11));
  CHECK(take(log.last_index()) == idx(10));
  CHECK(take(log.term(idx(10))) == term(2));
  // Appends at or below the truncated index are skipped, the rest extend the log.
  take(log.append(make_entries(9, 12, 2)));
  CHECK(take(log.first_index()) == idx(11));
  CHECK(take(log.entries(idx(11), idx(13), unlimited)) == make_entries(11, 12, 2));
}

TEST_CASE("logs of neighbouring regions stay apart") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log a{*s, region_id{1}};
  region_log b{*s, region_id{2}};
  region_log top{*s, region_id{~std::uint64_t{0}}};
  take(a.append(make_entries(1, 5, 1)));
  take(b.append(make_entries(1, 3, 4)));
  take(top.append(make_entries(1, 2, 9)));
  take(a.append(make_entries(2, 2, 2)));  // truncates a only
  CHECK(take(a.last_index()) == idx(2));
  CHECK(take(b.last_index()) == idx(3));
  CHECK(take(top.last_index()) == idx(2));
  take(b.compact(idx(3)));
  CHECK(take(a.entries(idx(1), idx(3), unlimited)).size() == 2);
  CHECK(take(region_log(*s, region_id{3}).last_index()) == idx(0));
  write_batch clear;
  clear.clear_log(region_id{1});
  take(s->write(clear));
  CHECK(take(a.last_index()) == idx(0));
  CHECK(take(top.term(idx(2))) == term(9));
}

TEST_CASE("the log survives reopening the store") {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    region_log log{*s, region_id{5}};
    take(log.append(make_entries(1, 20, 3)));
    take(log.compact(idx(4)));
  }
  auto s = open_store(dir.path());
  region_log log{*s, region_id{5}};
  CHECK(take(log.first_index()) == idx(5));
  CHECK(take(log.term(idx(4))) == term(3));
  CHECK(take(log.entries(idx(5), idx(21), unlimited)) == make_entries(5, 20, 3));
}

TEST_CASE("the largest allowed entry payload is stored, a larger one refused") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{1}};
  auto big = make_entries(1, 1, 1);
  big[0].data.assign(max_value_size, 'x');
  take(log.append(big));
  CHECK(take(log.entries(idx(1), idx(2), 0)) == big);
  auto too_big = make_entries(2, 2, 1);
  too_big[0].data.assign(max_value_size + 1, 'x');
  CHECK(code_of(log.append(too_big)) == errc::invalid_argument);
}

TEST_CASE("compacting and truncating long logs keeps the remaining entries exact") {
  temp_dir dir;
  auto s = open_store(dir.path());
  region_log log{*s, region_id{2}};
  region_log other{*s, region_id{3}};
  take(log.append(make_entries(1, 3000, 1)));
  take(other.append(make_entries(1, 10, 1)));
  take(log.compact(idx(1500)));
  take(log.append(make_entries(2500, 2600, 2)));
  CHECK(take(log.first_index()) == idx(1501));
  CHECK(take(log.last_index()) == idx(2600));
  auto got = take(log.entries(idx(1501), idx(2601), unlimited));
  REQUIRE(got.size() == 1100);
  CHECK(got.front() == make_entries(1501, 1501, 1).front());
  CHECK(got[998] == make_entries(2499, 2499, 1).front());
  CHECK(got[999] == make_entries(2500, 2500, 2).front());
  CHECK(take(other.entries(idx(1), idx(11), unlimited)) == make_entries(1, 10, 1));
}
