// The ready/advance contract: what may be sent before persistence, what only after, and that a
// node's own vote and own log copy count only once durable (§5.1, Figure 2 "respond after
// persisting").

#include <doctest/doctest.h>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

config cfg(std::uint64_t id) {
  config c;
  c.id = nid(id);
  return c;
}

void persist(memory_storage& s, const ready& rd) {
  if (!rd.snapshot.is_empty()) REQUIRE(s.apply_snapshot(rd.snapshot).has_value());
  REQUIRE(s.append(rd.entries).has_value());
  if (rd.hard_state) s.set_hard_state(*rd.hard_state);
}

/// Makes the only member of a group leader and commits the empty entry of its term.
void elect_alone(raw_node& n, memory_storage& s) {
  n.campaign();
  for (int i = 0; i < 2; ++i) {
    auto rd = n.ready();
    persist(s, rd);
    n.advance(rd);
  }
  REQUIRE(n.commit_index() == idx(1));
}

/// Node 2 of three, a follower that may have four readies on their way to disk.
struct pipelined_follower {
  static config pipelined() {
    auto c = cfg(2);
    c.max_outstanding_readies = 4;
    return c;
  }

  /// Entry `i` of term `t`.
  static entry ent(std::uint64_t i, std::uint64_t t) {
    return entry{.term = tid(t), .index = idx(i), .data = "t" + std::to_string(t)};
  }

  memory_storage s{conf_state{{nid(1), nid(2), nid(3)}, {}}};
  raw_node n{pipelined(), s};
};

}  // namespace

TEST_CASE("ready: a vote grant is released only as a persisted message, with the vote durable") {
  memory_storage s{conf_state{{nid(1), nid(2), nid(3)}, {}}};
  raw_node n{cfg(2), s};
  REQUIRE(n.step(message{.type = message_type::vote, .to = nid(2), .from = nid(1), .term = tid(1)})
              .has_value());
  REQUIRE(n.has_ready());
  auto rd = n.ready();
  CHECK(find_msg(rd.messages, message_type::vote_resp) == nullptr);
  auto* grant = find_msg(rd.persisted_messages, message_type::vote_resp);
  REQUIRE(grant != nullptr);
  CHECK_FALSE(grant->reject);
  REQUIRE(rd.hard_state.has_value());
  CHECK(rd.hard_state->vote == nid(1));
  CHECK(rd.hard_state->term == tid(1));
  CHECK(rd.must_sync);
}

TEST_CASE("ready: append acknowledgements are persisted messages, leader appends are immediate") {
  network net({1, 2});
  net.elect(1);
  net.hold = true;
  REQUIRE(net.node(1).propose("x"));
  REQUIRE(net.node(1).has_ready());
  auto rd = net.node(1).ready();
  // The leader may replicate before its own write completes (thesis §10.2.1).
  auto* app = find_msg(rd.messages, message_type::append);
  REQUIRE(app != nullptr);
  CHECK(rd.entries.size() == 1);
  persist(net.at(1).storage, rd);
  net.node(1).advance(rd);

  REQUIRE(net.node(2).step(*app).has_value());
  auto frd = net.node(2).ready();
  CHECK(find_msg(frd.messages, message_type::append_resp) == nullptr);
  auto* ack = find_msg(frd.persisted_messages, message_type::append_resp);
  REQUIRE(ack != nullptr);
  CHECK(ack->index == frd.entries.back().index);
}

TEST_CASE("ready: a node's own vote counts only after advance") {
  memory_storage s{conf_state{{nid(1)}, {}}};
  raw_node n{cfg(1), s};
  n.campaign();
  CHECK(n.role() == role::candidate);
  auto rd = n.ready();
  // The self vote is neither sent nor counted before the vote is durable.
  CHECK(rd.persisted_messages.empty());
  CHECK(n.role() == role::candidate);
  persist(s, rd);
  n.advance(rd);
  CHECK(n.role() == role::leader);
}

TEST_CASE("ready: the leader's own entry counts toward commit only after advance") {
  memory_storage s{conf_state{{nid(1)}, {}}};
  raw_node n{cfg(1), s};
  n.campaign();
  auto rd = n.ready();
  persist(s, rd);
  n.advance(rd);
  REQUIRE(n.role() == role::leader);
  rd = n.ready();  // the empty entry of the new term
  REQUIRE(rd.entries.size() == 1);
  CHECK(n.commit_index() == idx(0));
  persist(s, rd);
  n.advance(rd);
  CHECK(n.commit_index() == idx(1));
}

TEST_CASE("ready: has_ready is false until advance; later inputs show up in the next ready") {
  memory_storage s{conf_state{{nid(1)}, {}}};
  raw_node n{cfg(1), s};
  elect_alone(n, s);

  REQUIRE(n.propose("a"));
  REQUIRE(n.has_ready());
  auto rd1 = n.ready();
  CHECK_FALSE(n.has_ready());
  REQUIRE(n.propose("b"));
  CHECK_FALSE(n.has_ready());
  CHECK(rd1.entries.size() == 1);
  persist(s, rd1);
  n.advance(rd1);
  REQUIRE(n.has_ready());
  auto rd2 = n.ready();
  CHECK(rd2.number == rd1.number + 1);
  REQUIRE(rd2.entries.size() == 1);
  CHECK(rd2.entries[0].data == "b");
  // "a" committed when its acknowledgement was delivered by the first advance.
  REQUIRE(rd2.committed_entries.size() == 1);
  CHECK(rd2.committed_entries[0].data == "a");
}

TEST_CASE("ready: pipelined readies hand out each entry and each committed entry once") {
  memory_storage s{conf_state{{nid(1)}, {}}};
  auto c = cfg(1);
  c.max_outstanding_readies = 3;
  raw_node n{c, s};
  elect_alone(n, s);

  REQUIRE(n.propose("a"));
  auto rd1 = n.ready();
  REQUIRE(n.propose("b"));
  // The pipeline has room: "b" leaves while "a" is still being written.
  REQUIRE(n.has_ready());
  auto rd2 = n.ready();
  REQUIRE(rd1.entries.size() == 1);
  REQUIRE(rd2.entries.size() == 1);
  CHECK(rd2.entries[0].data == "b");
  // Nothing is committed before the leader's own copy is durable.
  CHECK(rd2.committed_entries.empty());
  REQUIRE(n.propose("c"));
  auto rd3 = n.ready();
  CHECK(rd3.entries.size() == 1);
  REQUIRE(n.propose("d"));
  CHECK_FALSE(n.has_ready());  // three outstanding: full

  persist(s, rd1);
  n.advance(rd1);
  CHECK(n.commit_index() == idx(2));
  REQUIRE(n.has_ready());
  auto rd4 = n.ready();
  REQUIRE(rd4.entries.size() == 1);
  CHECK(rd4.entries[0].data == "d");
  REQUIRE(rd4.committed_entries.size() == 1);
  CHECK(rd4.committed_entries[0].data == "a");

  persist(s, rd2);
  n.advance(rd2);
  persist(s, rd3);
  n.advance(rd3);
  CHECK(n.commit_index() == idx(4));
  auto rd5 = n.ready();
  CHECK(rd5.entries.empty());
  // "a" was handed out by rd4, which is not acknowledged yet: it is not handed out again.
  REQUIRE(rd5.committed_entries.size() == 2);
  CHECK(rd5.committed_entries[0].data == "b");
  CHECK(rd5.committed_entries[1].data == "c");
  persist(s, rd4);
  n.advance(rd4);
  persist(s, rd5);
  n.advance(rd5);
  CHECK(n.applied_index() == idx(4));
  auto rd6 = n.ready();
  REQUIRE(rd6.committed_entries.size() == 1);
  CHECK(rd6.committed_entries[0].data == "d");
}

TEST_CASE_FIXTURE(pipelined_follower,
                  "ready: entries replaced while on their way to disk are written again") {
  REQUIRE(n.step(message{.type = message_type::append,
                         .to = nid(2),
                         .from = nid(1),
                         .term = tid(1),
                         .entries = {ent(1, 1), ent(2, 1), ent(3, 1)}})
              .has_value());
  auto rd1 = n.ready();
  REQUIRE(rd1.entries.size() == 3);
  // A new leader of term 2 replaces entries 2 and 3 before rd1 is durable.
  REQUIRE(n.step(message{.type = message_type::append,
                         .to = nid(2),
                         .from = nid(3),
                         .term = tid(2),
                         .log_term = tid(1),
                         .index = idx(1),
                         .entries = {ent(2, 2)}})
              .has_value());
  REQUIRE(n.has_ready());
  auto rd2 = n.ready();
  REQUIRE(rd2.entries.size() == 1);
  CHECK(rd2.entries[0].index == idx(2));
  CHECK(rd2.entries[0].term == tid(2));
  // The acknowledgement of the new entry is released only with the ready that writes it.
  auto* ack = find_msg(rd2.persisted_messages, message_type::append_resp);
  REQUIRE(ack != nullptr);
  CHECK(ack->to == nid(3));
  CHECK(ack->index == idx(2));

  persist(s, rd1);
  n.advance(rd1);
  persist(s, rd2);
  n.advance(rd2);
  CHECK_FALSE(n.has_ready());
  CHECK(s.last_index() == idx(2));
  CHECK(s.term(idx(2)) == tid(2));
}

TEST_CASE_FIXTURE(pipelined_follower,
                  "ready: an entry replaced and brought back while on its way to disk is not "
                  "taken for durable") {
  auto append = [&](std::uint64_t from, std::uint64_t term, std::uint64_t index,
                    std::uint64_t log_term, std::vector<entry> ents, std::uint64_t commit = 0) {
    REQUIRE(n.step(message{.type = message_type::append,
                           .to = nid(2),
                           .from = nid(from),
                           .term = tid(term),
                           .log_term = tid(log_term),
                           .index = idx(index),
                           .entries = std::move(ents),
                           .commit = idx(commit)})
                .has_value());
  };
  append(1, 1, 0, 0, {ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)});
  auto rd1 = n.ready();
  // A leader of term 2 replaces 2..4; then one of term 3, whose log is the term-1 log, brings
  // 2..4 back with their old terms, before any of these readies is durable.
  append(3, 2, 1, 1, {ent(2, 2), ent(3, 2)});
  auto rd2 = n.ready();
  append(1, 3, 1, 1, {ent(2, 1), ent(3, 1), ent(4, 1), ent(5, 3)});
  auto rd3 = n.ready();
  REQUIRE(rd3.entries.size() == 4);
  // rd1 and rd2 are durable, rd3 is not: the disk now holds 2..3 of term 2, and entry 4 (term
  // 1) is gone again, although rd1 wrote an entry 4 of term 1.
  persist(s, rd1);
  n.advance(rd1);
  persist(s, rd2);
  n.advance(rd2);
  append(1, 3, 5, 3, {}, 5);
  auto rd4 = n.ready();
  // Everything committed is handed out with the terms of the leader's log.
  REQUIRE(rd4.committed_entries.size() == 5);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(rd4.committed_entries[i].term == tid(1));
  CHECK(rd4.committed_entries[4].term == tid(3));
  persist(s, rd3);
  n.advance(rd3);
  persist(s, rd4);
  n.advance(rd4);
  CHECK(s.last_index() == idx(5));
  CHECK(s.term(idx(4)) == tid(1));
}

TEST_CASE("ready: committed entries are handed out exactly once and in order") {
  network net({1, 2, 3});
  net.elect(1);
  for (int i = 0; i < 20; ++i)
    REQUIRE(net.propose(1 + i % 3, "v" + std::to_string(i)));
  for (auto id : {1, 2, 3}) {
    const auto& applied = net.at(id).applied_entries;
    for (std::size_t i = 1; i < applied.size(); ++i)
      CHECK(applied[i].index == applied[i - 1].index + 1);
    CHECK(net.at(id).applied.size() == 20);
  }
}

TEST_CASE("ready: soft state reports leader and role changes once") {
  network net({1, 2, 3});
  net.elect(1);
  int leader_reports = 0;
  for (const auto& rd : net.at(1).readys)
    if (rd.soft_state && rd.soft_state->role == role::leader) ++leader_reports;
  CHECK(leader_reports == 1);
}

TEST_CASE("step: local message types and unknown responders are refused") {
  memory_storage s{conf_state{{nid(1), nid(2)}, {}}};
  raw_node n{cfg(1), s};
  CHECK(n.step(message{.type = message_type::hup}).error() == errc::step_local_msg);
  CHECK(n.step(message{
                   .type = message_type::append_resp, .to = nid(1), .from = nid(9), .term = tid(1)})
            .error() == errc::step_peer_not_found);
}

TEST_CASE("config: invalid settings are reported") {
  config c;
  CHECK(c.validate().error() == errc::invalid_config);
  c.id = nid(1);
  CHECK(c.validate().has_value());
  c.election_tick = 1;
  CHECK(c.validate().error() == errc::invalid_config);
  c.election_tick = 10;
  c.max_outstanding_readies = 0;
  CHECK(c.validate().error() == errc::invalid_config);
}
