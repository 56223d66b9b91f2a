#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using namespace rdb::test;

namespace {

struct cas_cluster : cluster {
  cas_cluster() {
    start_all(true);
    caf::anon_send(nodes[0].peer, campaign_atom::value);
    sched.run();
  }

  caf::expected<cas_response> cas(std::optional<std::string> expected, std::string value,
                                  std::uint64_t client = 0, std::uint64_t seq = 0) {
    cas_request req{header(),          "k", !expected, expected.value_or(""), std::move(value),
                    client_id{client}, seq, seq};
    return ask<cas_response>(sys, sched, nodes[0].peer, kv_cas_atom::value, std::move(req));
  }

  std::optional<std::string> value_on(std::size_t i) {
    return nodes[i].store.kv->read().value().get("k").value();
  }
};

}  // namespace

TEST_CASE_FIXTURE(cas_cluster, "cas: swaps only when the key holds what is expected") {
  auto absent = cas(std::nullopt, "1");
  REQUIRE(absent.engaged());
  CHECK(absent->swapped);
  CHECK_FALSE(absent->found);
  // Expecting absence of a present key, or a value it does not hold, swaps nothing.
  auto not_absent = cas(std::nullopt, "x");
  REQUIRE(not_absent.engaged());
  CHECK_FALSE(not_absent->swapped);
  CHECK(not_absent->found);
  CHECK(not_absent->previous == "1");
  auto wrong = cas(std::string{"0"}, "x");
  REQUIRE(wrong.engaged());
  CHECK_FALSE(wrong->swapped);
  CHECK(wrong->previous == "1");
  auto right = cas(std::string{"1"}, "2");
  REQUIRE(right.engaged());
  CHECK(right->swapped);
  CHECK(right->previous == "1");
  CHECK(right->index > absent->index);
  // The empty value is a value, not absence.
  REQUIRE(put(0, "k", "").engaged());
  CHECK_FALSE(cas(std::nullopt, "y")->swapped);
  CHECK(cas(std::string{}, "3")->swapped);
  // Every replica decided alike.
  tick_all(2);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(value_on(i) == std::optional<std::string>{"3"});
}

TEST_CASE_FIXTURE(cas_cluster, "cas: the answer waits for the apply, so a read after it sees it") {
  REQUIRE(cas(std::nullopt, "v").engaged());
  CHECK(status(0).applied >= status(0).commit);
  CHECK(get(0, "k")->value == "v");
}

TEST_CASE_FIXTURE(cas_cluster,
                  "cas: a retried compare-and-swap is applied once and told its outcome") {
  auto first = cas(std::nullopt, "mine", 7, 1);
  REQUIRE(first.engaged());
  CHECK(first->swapped);
  CHECK_FALSE(first->retried);
  REQUIRE(put(0, "k", "theirs").engaged());
  // The same call again (its answer was lost): it must not overwrite "theirs", and it reports
  // that it swapped the first time.
  auto again = cas(std::nullopt, "mine", 7, 1);
  REQUIRE(again.engaged());
  CHECK(again->retried);
  CHECK(again->swapped);
  CHECK(again->previous == "theirs");
  // A failed one is reported as failed when retried, even if it would succeed now.
  auto failed = cas(std::string{"nope"}, "x", 7, 2);
  REQUIRE(failed.engaged());
  CHECK_FALSE(failed->swapped);
  REQUIRE(put(0, "k", "nope").engaged());
  auto failed_again = cas(std::string{"nope"}, "x", 7, 2);
  REQUIRE(failed_again.engaged());
  CHECK(failed_again->retried);
  CHECK_FALSE(failed_again->swapped);
  CHECK(get(0, "k")->value == "nope");
}

TEST_CASE_FIXTURE(cas_cluster,
                  "cas: oversized values and foreign keys are refused before proposing") {
  auto big = ask<cas_response>(
      sys, sched, nodes[0].peer, kv_cas_atom::value,
      cas_request{header(), "k", false, std::string(storage::max_value_size + 1, 'e'), "v",
                  client_id{}, 0, 0});
  REQUIRE_FALSE(big.engaged());
  CHECK(code_of(big.error()) == errc::invalid_argument);
  auto foreign = ask<cas_response>(sys, sched, nodes[0].peer, kv_cas_atom::value,
                                   cas_request{header(), "zz", true, "", "v", client_id{}, 0, 0});
  REQUIRE_FALSE(foreign.engaged());
  CHECK(code_of(foreign.error()) == errc::key_not_in_region);
  auto follower = ask<cas_response>(sys, sched, nodes[1].peer, kv_cas_atom::value,
                                    cas_request{header(), "k", true, "", "v", client_id{}, 0, 0});
  REQUIRE_FALSE(follower.engaged());
  CHECK(code_of(follower.error()) == errc::not_leader);
}

TEST_CASE_FIXTURE(cas_cluster,
                  "cas: a failed compare-and-swap stays failed for its retry after a restart") {
  auto failed = cas(std::string{"nope"}, "x", 7, 1);
  REQUIRE(failed.engaged());
  CHECK_FALSE(failed->swapped);
  REQUIRE(put(0, "k", "nope").engaged());
  // A replay of the log could not tell this swap failed (the key holds "nope" now): the
  // failure forced a checkpoint of the sessions.
  stop_all();
  start_all(false);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(0).is_leader());
  auto again = cas(std::string{"nope"}, "x", 7, 1);
  REQUIRE(again.engaged());
  CHECK(again->retried);
  CHECK_FALSE(again->swapped);
  CHECK(get(0, "k")->value == "nope");
}
