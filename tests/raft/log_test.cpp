// Building blocks: the in-memory storage, the raft log with its unstable tail, inflights.

#include <doctest/doctest.h>

#include <limits>

#include "actors/raft/inflights.hpp"
#include "actors/raft/raft_log.hpp"
#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

constexpr auto no_limit = std::numeric_limits<std::uint64_t>::max();

std::vector<entry> ents(std::uint64_t first, const std::vector<std::uint64_t>& terms) {
  std::vector<entry> out;
  for (std::size_t i = 0; i < terms.size(); ++i)
    out.push_back(entry{.term = tid(terms[i]), .index = idx(first + i)});
  return out;
}

}  // namespace

TEST_CASE("memory storage: append replaces a conflicting suffix") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 1, 2, 2})));
  REQUIRE(s.append(ents(3, {3})));
  CHECK(s.last_index().value() == idx(3));
  CHECK(s.term(idx(3)).value() == tid(3));
  CHECK(s.append(ents(6, {3})).error() == errc::unavailable);  // a gap
}

TEST_CASE("memory storage: compaction keeps the term of the last compacted entry") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 1, 2, 2, 3})));
  REQUIRE(s.create_snapshot(idx(3), std::nullopt, "img"));
  REQUIRE(s.compact(idx(3)));
  CHECK(s.first_index().value() == idx(4));
  CHECK(s.term(idx(3)).value() == tid(2));
  CHECK(s.term(idx(2)).error() == errc::compacted);
  CHECK(s.term(idx(9)).error() == errc::unavailable);
  CHECK(s.entries(idx(2), idx(5), no_limit).error() == errc::compacted);
  CHECK(s.entries(idx(4), idx(6), no_limit)->size() == 2);
  CHECK(s.compact(idx(2)).error() == errc::compacted);
  CHECK(s.snapshot()->meta.index == idx(3));
  CHECK(s.create_snapshot(idx(2), std::nullopt, "").error() == errc::snapshot_out_of_date);
}

TEST_CASE("memory storage: entries honour the byte limit but return at least one") {
  memory_storage s;
  auto e = ents(1, {1, 1, 1});
  for (auto& x : e)
    x.data = std::string(100, 'x');
  REQUIRE(s.append(e));
  CHECK(s.entries(idx(1), idx(4), 0)->size() == 1);
  CHECK(s.entries(idx(1), idx(4), 2 * entry_size(e[0]))->size() == 2);
  CHECK(s.entries(idx(1), idx(4), no_limit)->size() == 3);
}

TEST_CASE("memory storage: a snapshot replaces the log; an older one is refused") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 1})));
  snapshot snap;
  snap.meta.index = idx(10);
  snap.meta.term = tid(4);
  snap.meta.conf = conf_state{{nid(1)}, {}};
  REQUIRE(s.apply_snapshot(snap));
  CHECK(s.first_index().value() == idx(11));
  CHECK(s.last_index().value() == idx(10));
  CHECK(s.term(idx(10)).value() == tid(4));
  CHECK(s.initial_state()->conf == snap.meta.conf);
  CHECK(s.apply_snapshot(snap).error() == errc::snapshot_out_of_date);
}

TEST_CASE("raft log: maybe_append checks the previous entry and caps the commit index") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 2, 3})));
  raft_log log{s, no_limit};
  // Previous entry mismatch: nothing happens.
  CHECK_FALSE(log.maybe_append(idx(3), tid(2), idx(3), ents(4, {4})).has_value());
  // The leader's commit (10) is capped to the last entry this message proves we share (4).
  auto last = log.maybe_append(idx(3), tid(3), idx(10), ents(4, {4}));
  REQUIRE(last.has_value());
  CHECK(*last == idx(4));
  CHECK(log.committed() == idx(4));
  // A conflict at index 4 is not possible after commit; at index 5 it replaces the suffix.
  REQUIRE(log.maybe_append(idx(4), tid(4), idx(4), ents(5, {4, 4})).has_value());
  REQUIRE(log.maybe_append(idx(4), tid(4), idx(4), ents(5, {5})).has_value());
  CHECK(log.last_index() == idx(5));
  CHECK(log.term(idx(5)).value() == tid(5));
  // A re-sent prefix that matches does not truncate anything.
  REQUIRE(log.maybe_append(idx(3), tid(3), idx(4), ents(4, {4})).has_value());
  CHECK(log.last_index() == idx(5));
}

TEST_CASE("raft log: find_conflict_by_term walks back to a term not newer than the leader's") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 1, 2, 2, 2, 5, 5})));
  raft_log log{s, no_limit};
  CHECK(log.find_conflict_by_term(idx(7), tid(4)) == std::pair{idx(5), tid(2)});
  CHECK(log.find_conflict_by_term(idx(7), tid(1)) == std::pair{idx(2), tid(1)});
  CHECK(log.find_conflict_by_term(idx(7), tid(6)) == std::pair{idx(7), tid(5)});
  CHECK(log.find_conflict_by_term(idx(9), tid(6)).first == idx(9));
}

TEST_CASE("raft log: commit only of an entry of the given term (Figure 8 rule)") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 2, 3})));
  raft_log log{s, no_limit};
  CHECK_FALSE(log.maybe_commit(idx(2), tid(3)));
  CHECK(log.committed() == idx(0));
  CHECK(log.maybe_commit(idx(3), tid(3)));
  CHECK(log.committed() == idx(3));
  CHECK_FALSE(log.maybe_commit(idx(2), tid(2)));  // never backwards
}

TEST_CASE("raft log: up-to-date comparison (§5.4.1)") {
  memory_storage s;
  REQUIRE(s.append(ents(1, {1, 2, 2})));
  raft_log log{s, no_limit};
  CHECK(log.is_up_to_date(idx(3), tid(2)));
  CHECK(log.is_up_to_date(idx(1), tid(3)));
  CHECK_FALSE(log.is_up_to_date(idx(2), tid(2)));
  CHECK_FALSE(log.is_up_to_date(idx(9), tid(1)));
}

TEST_CASE("inflights: the window fills, frees in order and reports full") {
  inflights in{3, 0};
  in.add(idx(1), 10);
  in.add(idx(3), 10);
  in.add(idx(5), 10);
  CHECK(in.full());
  in.free_le(idx(3));
  CHECK(in.count() == 1);
  CHECK_FALSE(in.full());
  in.add(idx(7), 10);
  in.add(idx(9), 10);
  CHECK(in.full());
  in.free_le(idx(100));
  CHECK(in.count() == 0);
  inflights by_bytes{100, 25};
  by_bytes.add(idx(1), 20);
  CHECK_FALSE(by_bytes.full());
  by_bytes.add(idx(2), 20);
  CHECK(by_bytes.full());
}

TEST_CASE("message: renders compactly for logs and scripts") {
  message m{.type = message_type::append,
            .to = nid(2),
            .from = nid(1),
            .term = tid(3),
            .log_term = tid(2),
            .index = idx(5),
            .entries = {entry{.term = tid(3), .index = idx(6), .data = "x"}},
            .commit = idx(4)};
  CHECK(to_string(m) == "1->2 append t3 lt2 i5 c4 [t3/6 x]");
}
