#include <doctest/doctest.h>

#include "actors/region/session_table.hpp"

using namespace rdb;

namespace {

raft::log_index at(std::uint64_t i) {
  return raft::log_index{i};
}

session_table::limits small(std::size_t sessions, std::size_t applied) {
  session_table::limits l;
  l.max_sessions = sessions;
  l.max_applied = applied;
  return l;
}

}  // namespace

TEST_CASE("sessions: a write is admitted once, its retry is not") {
  session_table t{session_table::limits{}};
  CHECK(t.admit(7, 1, 1, at(10)));
  CHECK_FALSE(t.admit(7, 1, 1, at(11)));
  CHECK(t.admit(7, 2, 2, at(12)));
  CHECK_FALSE(t.admit(7, 1, 1, at(13)));
  CHECK_FALSE(t.admit(7, 2, 2, at(14)));
  // Another client's numbers are its own.
  CHECK(t.admit(8, 1, 1, at(15)));
  REQUIRE(t.find(7) != nullptr);
  CHECK(t.find(7)->last_index == 12);
}

TEST_CASE("sessions: client 0 or sequence 0 asks for no dedup") {
  session_table t{session_table::limits{}};
  CHECK(t.admit(0, 5, 5, at(1)));
  CHECK(t.admit(0, 5, 5, at(2)));
  CHECK(t.admit(3, 0, 0, at(3)));
  CHECK(t.admit(3, 0, 0, at(4)));
  CHECK(t.size() == 0);
  CHECK(t.take_changes(at(4)).first.empty());
}

TEST_CASE("sessions: writes in flight together are each admitted once, in any order") {
  session_table t{session_table::limits{}};
  // Numbers 5..7 were sent together (first incomplete 5); they commit out of order.
  CHECK(t.admit(7, 6, 5, at(1)));
  CHECK(t.admit(7, 5, 5, at(2)));
  CHECK_FALSE(t.admit(7, 6, 5, at(3)));
  CHECK(t.admit(7, 7, 5, at(4)));
  CHECK(t.find(7)->applied == std::vector<std::uint64_t>{5, 6, 7});
  // The client has its answers up to 7: below 8 it never sends again, so those are forgotten
  // and anything below the watermark counts as done.
  CHECK(t.admit(7, 9, 8, at(5)));
  CHECK(t.find(7)->watermark == 8);
  CHECK(t.find(7)->applied == std::vector<std::uint64_t>{9});
  CHECK_FALSE(t.admit(7, 6, 8, at(6)));
  CHECK(t.admit(7, 8, 8, at(7)));
}

TEST_CASE("sessions: a promise beyond the write's own number is capped at that number") {
  session_table t{session_table::limits{}};
  CHECK(t.admit(7, 4, 100, at(1)));
  CHECK(t.find(7)->watermark == 4);
  CHECK(t.admit(7, 5, 4, at(2)));
}

TEST_CASE("sessions: a client's window is bounded by forgetting its oldest numbers") {
  session_table t{small(10, 3)};
  for (std::uint64_t s = 1; s <= 5; ++s)
    CHECK(t.admit(7, s, 0, at(s)));
  CHECK(t.find(7)->applied == std::vector<std::uint64_t>{3, 4, 5});
  CHECK_FALSE(t.admit(7, 4, 0, at(6)));
}

TEST_CASE("sessions: the session idle longest in log order is evicted and deleted") {
  session_table t{small(2, 8)};
  CHECK(t.admit(1, 1, 1, at(1)));
  CHECK(t.admit(2, 1, 1, at(2)));
  CHECK(t.admit(1, 2, 2, at(3)));
  (void)t.take_changes(at(3));
  CHECK(t.admit(3, 1, 1, at(4)));
  CHECK(t.find(2) == nullptr);
  CHECK(t.find(1) != nullptr);
  auto [put, ended] = t.take_changes(at(4));
  REQUIRE(put.size() == 1);
  CHECK(put[0] == storage::client_session{3, 1, 4, {1}, {}});
  CHECK(ended == std::vector<std::uint64_t>{2});
  // Changes are taken once.
  auto again = t.take_changes(at(4));
  CHECK(again.first.empty());
  CHECK(again.second.empty());
}

TEST_CASE("sessions: loaded sessions decide like the ones that wrote them") {
  session_table a{session_table::limits{}};
  CHECK(a.admit(7, 3, 3, at(1)));
  CHECK(a.admit(7, 4, 3, at(2)));
  session_table b{session_table::limits{}};
  b.load(a.take_changes(at(2)).first, at(2));
  CHECK_FALSE(b.admit(7, 3, 3, at(3)));
  CHECK_FALSE(b.admit(7, 4, 4, at(4)));
  CHECK(b.admit(7, 5, 5, at(5)));
  CHECK(b.take_changes(at(5)).first.size() == 1);
}

TEST_CASE("sessions: a failed compare-and-swap is remembered while its number is") {
  session_table t{small(10, 2)};
  CHECK(t.admit(7, 1, 1, at(1)));
  t.record_failed(7, 1);
  CHECK(t.failed(7, 1));
  CHECK(t.admit(7, 2, 1, at(2)));
  CHECK_FALSE(t.failed(7, 2));
  // A number never admitted is not recorded.
  t.record_failed(7, 9);
  CHECK_FALSE(t.failed(7, 9));
  CHECK(t.find(7)->failed == std::vector<std::uint64_t>{1});
  // Forgetting the number forgets the outcome.
  CHECK(t.admit(7, 3, 1, at(3)));
  CHECK(t.find(7)->applied == std::vector<std::uint64_t>{2, 3});
  CHECK(t.find(7)->failed.empty());
}

TEST_CASE("sessions: a checkpoint is due after enough entries, or at once after a failed swap") {
  session_table::limits l;
  l.checkpoint_entries = 10;
  session_table t{l};
  t.load({}, at(100));
  CHECK_FALSE(t.checkpoint_due(at(109)));
  // Due even with nothing changed: the index alone bounds what a restart replays.
  CHECK(t.checkpoint_due(at(110)));
  CHECK(t.take_changes(at(110)).first.empty());
  CHECK(t.admit(7, 1, 1, at(111)));
  CHECK_FALSE(t.checkpoint_due(at(111)));
  CHECK(t.checkpoint_due(at(120)));
  CHECK(t.take_changes(at(120)).first.size() == 1);
  CHECK(t.admit(7, 2, 2, at(121)));
  CHECK_FALSE(t.checkpoint_due(at(121)));
  t.record_failed(7, 2);
  CHECK(t.checkpoint_due(at(121)));
  (void)t.take_changes(at(121));
  CHECK(t.admit(7, 3, 3, at(122)));
  CHECK_FALSE(t.checkpoint_due(at(122)));
}
