#include <doctest/doctest.h>

#include "actors/region/proposal_queue.hpp"

using namespace rdb;

namespace {

raft::log_index idx(std::uint64_t i) {
  return raft::log_index{i};
}

raft::term_id term(std::uint64_t t) {
  return raft::term_id{t};
}

}  // namespace

TEST_CASE("proposal queue: proposals bind to their entry and are found by index") {
  proposal_queue q;
  q.add(1, 100);
  q.add(2, 200);
  CHECK(q.size() == 2);
  CHECK(q.bind(1, idx(7), term(6)));
  CHECK(q.bind(2, idx(8), term(6)));
  CHECK_FALSE(q.bind(3, idx(9), term(6)));
  CHECK(q.take_unbound().empty());
  proposal_queue::proposal p;
  REQUIRE(q.take_at(idx(8), p));
  CHECK(p.token == 200);
  CHECK(p.term == term(6));
  CHECK_FALSE(q.take_at(idx(8), p));
  CHECK(q.size() == 1);
}

TEST_CASE("proposal queue: what raft dropped stays unbound and is handed back") {
  proposal_queue q;
  q.add(1, 100);
  q.add(2, 200);
  REQUIRE(q.bind(2, idx(7), term(6)));
  auto dropped = q.take_unbound();
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].token == 100);
  CHECK(q.size() == 1);
}

TEST_CASE("proposal queue: losing leadership hands back only what may never commit") {
  proposal_queue q;
  for (std::uint64_t i = 0; i < 5; ++i) {
    q.add(i + 1, 100 + i);
    REQUIRE(q.bind(i + 1, idx(7 + i), term(6)));
  }
  auto lost = q.take_after(idx(9));
  REQUIRE(lost.size() == 2);
  CHECK(lost[0].index == idx(10));
  CHECK(lost[1].index == idx(11));
  // Entries at or below an applied index that were not the proposals' own are replaced.
  auto replaced = q.take_up_to(idx(8));
  CHECK(replaced.size() == 2);
  CHECK(q.size() == 1);
  CHECK_FALSE(q.empty());
}
