#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using namespace rdb::test;

namespace {

/// A cluster whose store 0 leads and sends its apply halves through a gate.
struct gated_cluster : cluster {
  std::shared_ptr<writer_gate> gate = std::make_shared<writer_gate>();
  store_writer_actor gate_actor;
  /// The apply writer behind the gate.
  store_writer_actor applier;

  /// Starts the cluster, elects store 0, closes the gate and puts k = v through store 0.
  write_response put_behind_gate() {
    applier_for = [this](std::size_t i, store_writer_actor w) {
      if (i != 0) return w;
      applier = w;
      gate_actor = spawn_gate(sys, w, gate);
      return gate_actor;
    };
    start_all(true);
    caf::anon_send(nodes[0].peer, campaign_atom::value);
    sched.run();
    gate->hold = true;
    auto w = put(0, "k", "v", 1);
    REQUIRE(w.engaged());
    return *w;
  }
};

}  // namespace

TEST_CASE_FIXTURE(gated_cluster,
                  "region: a put is answered once committed, before its apply is "
                  "durable, and a later read sees it") {
  auto w = put_behind_gate();
  // The leader's apply batch of the put is still held back, yet the client has its answer.
  CHECK(gate->held.size() == 1);
  CHECK(status(0).applied < w.index);
  auto got = std::make_shared<std::optional<caf::expected<get_response>>>();
  auto leader = nodes[0].peer;
  auto req = get_request{header(), "k"};
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(leader, caf::infinite, kv_get_atom::value, req)
        .then([=](get_response& r) { *got = std::move(r); },
              [=](caf::error& e) { *got = caf::expected<get_response>{std::move(e)}; });
  });
  sched.run();
  // The read waits until the put's apply is written, and urges the apply writer once ...
  CHECK_FALSE(got->has_value());
  CHECK(gate->urges == 1);
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  // ... and then sees it.
  REQUIRE(got->has_value());
  REQUIRE((*got)->engaged());
  CHECK((**got)->found);
  CHECK((**got)->value == "v");
  CHECK(status(0).applied >= w.index);
}

TEST_CASE_FIXTURE(gated_cluster,
                  "region: a read that comes while a read-index round is in flight waits for "
                  "the next round") {
  put_behind_gate();
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  auto get_k = [&] {
    return send_request<get_response>(sys, nodes[0].peer, kv_get_atom::value,
                                      get_request{header(), "k"});
  };
  // The followers cut off, the first read's round gets no answer.
  net->isolate(store_of(1), true);
  net->isolate(store_of(2), true);
  auto first = get_k();
  sched.run();
  CHECK_FALSE(first->has_value());
  net->isolate(store_of(1), false);
  net->isolate(store_of(2), false);
  // A write is committed and answered while that round is in flight; its apply is held back.
  gate->hold = true;
  auto w = put(0, "k", "w", 2);
  REQUIRE(w.engaged());
  auto second = get_k();
  sched.run();
  CHECK_FALSE(second->has_value());
  // The next heartbeat ends the round in flight: the first read is served. Its read index
  // predates the write, so the second read must not use it: it waits for a round of its own
  // and then for the write's apply.
  tick_all(2);
  REQUIRE(first->has_value());
  CHECK((*first)->engaged());
  CHECK_FALSE(second->has_value());
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  REQUIRE(second->has_value());
  REQUIRE((*second)->engaged());
  CHECK((**second)->value == "w");
}

TEST_CASE_FIXTURE(gated_cluster,
                  "region: an apply lost in a crash is replayed from the log on restart") {
  auto w = put_behind_gate();
  REQUIRE_FALSE(gate->held.empty());
  {
    // The entry is durable in the leader's log, its apply is not in the kv environment.
    CHECK(nodes[0].store.raft->last_index(meta.id).value() >= w.index);
    auto kv = nodes[0].store.kv->read().value();
    CHECK(kv.get("k").value() == std::nullopt);
    CHECK(kv.load_apply_state(meta.id).value()->applied_index < w.index);
  }
  // Everything stops; the held apply halves are lost with the gate.
  stop_all();
  applier_for = nullptr;
  start_all(false);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(status(0).is_leader());
  auto g = get(0, "k");
  REQUIRE(g.engaged());
  CHECK(g->found);
  CHECK(g->value == "v");
  auto kv = nodes[0].store.kv->read().value();
  CHECK(kv.get("k").value() == std::optional<std::string>{"v"});
}

TEST_CASE_FIXTURE(gated_cluster,
                  "region: a membership change committed before its leader steps down is "
                  "answered once applied") {
  put_behind_gate();
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  gate->hold = true;
  storage::region_peer learner{peer_id{14}, store_id{4}, storage::peer_role::learner};
  auto answer = send_request<write_response>(
      sys, nodes[0].peer, change_peer_atom::value,
      change_peer_request{header(), peer_change_kind::add_learner, learner});
  sched.run();
  // Committed, its apply held back: no answer yet.
  REQUIRE_FALSE(gate->held.empty());
  CHECK_FALSE(answer->has_value());
  // Cut off, store 0 steps down before the apply is written; the change is committed all the
  // same.
  net->isolate(store_of(0), true);
  tick_all(40);
  REQUIRE_FALSE(status(0).is_leader());
  CHECK_FALSE(answer->has_value());
  net->isolate(store_of(0), false);
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  REQUIRE(answer->has_value());
  CHECK_MESSAGE((*answer)->engaged(), sys.render((*answer)->error()));
  CHECK(status(0).region.peers.size() == 4);
}

TEST_CASE_FIXTURE(cluster, "region: a peer that stops answers the clients it kept waiting") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  // Cut off, the leader cannot commit: the put waits.
  net->isolate(store_of(0), true);
  auto leader = nodes[0].peer;
  auto out = send_request<write_response>(sys, leader, kv_put_atom::value,
                                          put_request{header(), "k", "v", client_id{1}, 1});
  sched.run();
  CHECK_FALSE(out->has_value());
  caf::anon_send_exit(leader, caf::exit_reason::user_shutdown);
  sched.run();
  REQUIRE(out->has_value());
  REQUIRE_FALSE((*out)->engaged());
  CHECK(code_of((*out)->error()) == errc::region_not_found);
  net->isolate(store_of(0), false);
}

TEST_CASE_FIXTURE(gated_cluster,
                  "region: a compare-and-swap sees a write whose apply is not yet durable") {
  put_behind_gate();
  REQUIRE(gate->held.size() == 1);
  auto got = std::make_shared<std::optional<caf::expected<cas_response>>>();
  auto leader = nodes[0].peer;
  auto req = cas_request{header(), "k", false, "v", "w", client_id{3}, 1, 1};
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(leader, caf::infinite, kv_cas_atom::value, req)
        .then([=](cas_response& r) { *got = std::move(r); },
              [=](caf::error& e) { *got = caf::expected<cas_response>{std::move(e)}; });
  });
  sched.run();
  // Decided against "v", still only in the held apply half; answered once its own apply is
  // written.
  CHECK_FALSE(got->has_value());
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  REQUIRE(got->has_value());
  REQUIRE((*got)->engaged());
  CHECK((**got)->swapped);
  CHECK((**got)->previous == "v");
  CHECK(get(0, "k")->value == "w");
}

TEST_CASE_FIXTURE(gated_cluster,
                  "region: a compare-and-swap sees the latest unwritten change once an older "
                  "apply half is written") {
  put_behind_gate();
  REQUIRE(put(0, "k", "w", 2).engaged());
  REQUIRE(gate->held.size() == 2);
  // Only the first apply half (k = v) is written; k = w is still held back.
  auto [from, task] = std::move(gate->held.front());
  gate->held.erase(gate->held.begin());
  caf::send_as(caf::actor_cast<caf::actor>(from), applier, persist_atom::value, std::move(task));
  sched.run();
  auto got = std::make_shared<std::optional<caf::expected<cas_response>>>();
  auto leader = nodes[0].peer;
  auto req = cas_request{header(), "k", false, "w", "x", client_id{3}, 1, 1};
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(leader, caf::infinite, kv_cas_atom::value, req)
        .then([=](cas_response& r) { *got = std::move(r); },
              [=](caf::error& e) { *got = caf::expected<cas_response>{std::move(e)}; });
  });
  sched.run();
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  REQUIRE(got->has_value());
  REQUIRE((*got)->engaged());
  CHECK((**got)->swapped);
  CHECK((**got)->previous == "w");
  CHECK(get(0, "k")->value == "x");
}

TEST_CASE_FIXTURE(cluster,
                  "region: with a write pipeline, a leader whose own log write is slow answers "
                  "once its followers made the entry durable") {
  max_outstanding_readies = 4;
  auto gate = std::make_shared<writer_gate>();
  store_writer_actor gate_actor;
  writer_for = [&](std::size_t i, store_writer_actor w) {
    if (i != 0) return w;
    gate_actor = spawn_gate(sys, w, gate);
    return gate_actor;
  };
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "k", "v", 1).engaged());
  gate->hold = true;
  auto w = send_request<write_response>(sys, nodes[0].peer, kv_put_atom::value,
                                        put_request{header(), "k", "w", client_id{1}, 2});
  sched.run();
  // The entry is durable on both followers, a quorum, while the leader's copy is held back:
  // it is committed, and a later ready (the pipeline has room) hands out the commit.
  REQUIRE(w->has_value());
  REQUIRE((*w)->engaged());
  CHECK(gate->held.size() >= 2);
  // The leader applies it only after its own copy is durable.
  CHECK(status(0).applied < (**w)->index);
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  CHECK(status(0).applied >= (**w)->index);
  auto got = get(0, "k");
  REQUIRE(got.engaged());
  CHECK(got->value == "w");
}
